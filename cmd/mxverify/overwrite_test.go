//go:build unix

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRefuseOverwrite: an output that is an input, the cache or another
// output is refused before any DNS query, with exit 1 and one line naming
// both, and the input is left as it was. Files are compared, not their
// spellings: a hard link, a symbolic link or ./ are the same file.
func TestRefuseOverwrite(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	const list = "email\na@shop.mxdemo.net\n"
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		want  string // the one stderr line, after "mxverify: "
	}{
		{"-o is the input", nil, []string{"list.csv", "-o", "list.csv"},
			"-o list.csv is the input list.csv: refusing to overwrite an input"},
		{"--out spelled another way", nil, []string{"list.csv", "--out", "./sub/../list.csv"},
			"-o ./sub/../list.csv is the input list.csv: refusing to overwrite an input"},
		{"-o by absolute path", nil, []string{"list.csv", "-o", "ABS/list.csv"},
			"-o ABS/list.csv is the input list.csv: refusing to overwrite an input"},
		{"--domains is the input", nil, []string{"list.csv", "-o", "out.csv", "--domains", "list.csv"},
			"--domains list.csv is the input list.csv: refusing to overwrite an input"},
		{"--summary is the input", nil, []string{"list.csv", "-o", "out.csv", "--summary", "list.csv"},
			"--summary list.csv is the input list.csv: refusing to overwrite an input"},
		{"--changes is the input", nil, []string{"list.csv", "-o", "out.csv", "--cache", "c.db", "--changes", "list.csv"},
			"--changes list.csv is the input list.csv: refusing to overwrite an input"},
		{"--metrics is the input", nil, []string{"list.csv", "-o", "out.csv", "--metrics", "list.csv"},
			"--metrics list.csv is the input list.csv: refusing to overwrite an input"},
		{"the second input", func(t *testing.T, dir string) { writeFile(t, dir, "b.csv", list) },
			[]string{"list.csv", "b.csv", "-o", "b.csv"},
			"-o b.csv is the input b.csv: refusing to overwrite an input"},
		{"gzip input", func(t *testing.T, dir string) { writeFile(t, dir, "list.csv.gz", "not read") },
			[]string{"list.csv.gz", "-o", "list.csv.gz"},
			"-o list.csv.gz is the input list.csv.gz: refusing to overwrite an input"},
		{"hard link to the input", func(t *testing.T, dir string) {
			link(t, os.Link, filepath.Join(dir, "list.csv"), filepath.Join(dir, "other.csv"))
		},
			[]string{"list.csv", "-o", "other.csv"},
			"-o other.csv is the input list.csv: refusing to overwrite an input"},
		{"symbolic link to the input", func(t *testing.T, dir string) { link(t, os.Symlink, "list.csv", filepath.Join(dir, "ln.csv")) },
			[]string{"list.csv", "-o", "ln.csv"},
			"-o ln.csv is the input list.csv: refusing to overwrite an input"},
		{"input through a linked directory", func(t *testing.T, dir string) { link(t, os.Symlink, ".", filepath.Join(dir, "here")) },
			[]string{"here/list.csv", "-o", "list.csv"},
			"-o list.csv is the input here/list.csv: refusing to overwrite an input"},
		{"two new outputs", nil, []string{"list.csv", "-o", "out.csv", "--domains", "out.csv"},
			"--domains out.csv is the same file as -o out.csv: two outputs cannot share a file"},
		{"two new outputs spelled apart", nil, []string{"list.csv", "-o", "out.jsonl", "--summary", "./out.jsonl"},
			"--summary ./out.jsonl is the same file as -o out.jsonl: two outputs cannot share a file"},
		{"two new outputs through a linked directory", func(t *testing.T, dir string) { link(t, os.Symlink, ".", filepath.Join(dir, "here")) },
			[]string{"list.csv", "-o", "out.csv", "--metrics", "here/out.csv"},
			"--metrics here/out.csv is the same file as -o out.csv: two outputs cannot share a file"},
		{"two outputs over an old file", func(t *testing.T, dir string) { writeFile(t, dir, "old.csv", "old\n") },
			[]string{"list.csv", "-o", "out.csv", "--domains", "old.csv", "--changes", "old.csv", "--cache", "c.db"},
			"--changes old.csv is the same file as --domains old.csv: two outputs cannot share a file"},
		{"the cache", func(t *testing.T, dir string) { writeFile(t, dir, "c.db", "") },
			[]string{"list.csv", "-o", "out.csv", "--cache", "c.db", "--summary", "c.db"},
			"--summary c.db is the --cache file c.db: refusing to overwrite it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, "list.csv", list)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := listDir(t, dir)
			args := []string{"run", "--resolver", srv.Addr(), "--progress", "never"}
			for _, a := range tt.args {
				args = append(args, strings.Replace(a, "ABS", dir, 1))
			}
			r := mxverify(t, dir, "", args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
			}
			if want := "mxverify: " + strings.Replace(tt.want, "ABS", dir, 1) + "\n"; r.stderr != want {
				t.Errorf("stderr\n%q\nwant\n%q", r.stderr, want)
			}
			if got := readFile(t, filepath.Join(dir, "list.csv")); got != list {
				t.Errorf("the input changed: %q", got)
			}
			if after := listDir(t, dir); !slices.Equal(after, before) {
				t.Errorf("files before %q, after %q", before, after)
			}
		})
	}
	// Refused before any query, not after a run's worth of them.
	t.Cleanup(func() {
		if n := srv.Total(); n != 0 {
			t.Errorf("%d DNS queries sent", n)
		}
	})
}

func link(t *testing.T, ln func(old, new string) error, old, new string) {
	t.Helper()
	if err := ln(old, new); err != nil {
		t.Fatal(err)
	}
}
