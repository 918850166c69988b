package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time by the Makefile:
// -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
// A plain go build or go install leaves them empty, and the module's build
// information stands in.
var version, commit, date string

// versionLine names the version, the commit and the build date, e.g.
// "mxverify v0.3.0 (commit 1a2b3c4d5e6f, built 2026-01-02T03:04:05Z, go1.26.0 linux/amd64)".
func versionLine() string {
	return formatVersion(version, commit, date, buildInfo())
}

// buildInfo is what the Go toolchain recorded in the binary: the module's
// version (go install …@v1.2.3) and the VCS revision and time (a build in
// a git checkout).
func buildInfo() map[string]string {
	info := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info["version"] = v
	}
	for _, s := range bi.Settings {
		info[s.Key] = s.Value
	}
	return info
}

func formatVersion(version, commit, date string, info map[string]string) string {
	if version == "" {
		version = info["version"]
	}
	if version == "" {
		version = "dev"
	}
	if commit == "" {
		commit = info["vcs.revision"]
		if len(commit) > 12 {
			commit = commit[:12]
		}
		if commit != "" && info["vcs.modified"] == "true" {
			commit += "-dirty"
		}
	}
	if commit == "" {
		commit = "unknown"
	}
	if date == "" {
		date = info["vcs.time"] // the commit's time: the best a plain build knows
	}
	if date == "" {
		date = "unknown"
	}
	return fmt.Sprintf("mxverify %s (commit %s, built %s, %s %s/%s)",
		version, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
