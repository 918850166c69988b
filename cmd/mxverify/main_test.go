package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify/dnstest"
)

// TestMain lets the test binary stand in for the built command: with
// MXVERIFY_MAIN set it runs main() itself, so exit codes, signals and
// stderr are those of the real program (litestream's harness).
func TestMain(m *testing.M) {
	if os.Getenv("MXVERIFY_MAIN") == "1" {
		code := command()
		if path := os.Getenv("MXVERIFY_PEAK_FILE"); path != "" {
			writePeak(path)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// result is what one run of the command left behind.
type result struct {
	code           int
	stdout, stderr string
}

// mxverify runs the command in a child process with args, in dir, with
// stdin as its standard input.
func mxverify(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	return runChild(t, dir, stdin, nil, args...)
}

// runChild is mxverify with env added to the child's environment.
func runChild(t *testing.T, dir, stdin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "MXVERIFY_MAIN=1"), env...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run mxverify: %v", err)
		}
		r.code = ee.ExitCode()
	}
	return r
}

// demoServer serves every zone of testdata/zones on loopback.
func demoServer(t *testing.T) *dnstest.Server {
	t.Helper()
	files, err := filepath.Glob("../../testdata/zones/*.zone")
	if err != nil || len(files) == 0 {
		t.Fatalf("zone files: %v", err)
	}
	return dnstest.New(t, files...)
}

// testdataPath is an absolute path into the repository's testdata, for
// runs whose working directory is a temporary one.
func testdataPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("../../testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listDir names the files in dir, to show that a failed run left none.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// writePeak writes the process's peak resident memory (VmHWM, in kB) to
// path. The kernel's rusage of a child would not do: a child started by a
// large test binary inherits the parent's high-water mark across exec.
func writePeak(path string) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			os.WriteFile(path, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB"))), 0o644)
		}
	}
}
