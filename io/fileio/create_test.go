package fileio_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/io/fileio"
)

// entries lists dir, so that tests can assert that no temporary file is
// left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func write(t *testing.T, f *fileio.File, s string) {
	t.Helper()
	if _, err := f.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
}

func TestCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	f, err := fileio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if f.Name() != path {
		t.Errorf("Name() = %q, want %q", f.Name(), path)
	}
	write(t, f, "a\n1\n")

	// Until Commit, only a hidden temporary file exists.
	names := entries(t, dir)
	if len(names) != 1 || !strings.HasPrefix(names[0], ".out.csv.tmp-") {
		t.Fatalf("before Commit the directory holds %q, want one .out.csv.tmp-* file", names)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, dir); len(got) != 1 || got[0] != "out.csv" {
		t.Errorf("after Commit the directory holds %q, want [out.csv]", got)
	}
	if data, _ := os.ReadFile(path); string(data) != "a\n1\n" {
		t.Errorf("out.csv = %q", data)
	}

	// Abort after Commit does nothing; everything else is refused.
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Abort after Commit removed the output: %v", err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Commit: %v, want os.ErrClosed", err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Commit: %v, want os.ErrClosed", err)
	}
}

func TestCommitReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := fileio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "new")
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("before Commit out.csv = %q, want the old content", data)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "new" {
		t.Errorf("out.csv = %q, want new", data)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after replace = %v (%v), want the old file's -rw-r-----", fi.Mode(), err)
	}
}

// TestCreateMode checks that outputs get the mode os.Create would give
// them, not os.CreateTemp's private 0600.
func TestCreateMode(t *testing.T) {
	dir := t.TempDir()
	ref, err := os.Create(filepath.Join(dir, "ref"))
	if err != nil {
		t.Fatal(err)
	}
	ref.Close()
	want, err := os.Stat(ref.Name())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.csv")
	f, err := fileio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode().Perm() != want.Mode().Perm() {
		t.Errorf("mode %v, want %v as from os.Create", got.Mode().Perm(), want.Mode().Perm())
	}
}

func TestAbort(t *testing.T) {
	dir := t.TempDir()
	f, err := fileio.Create(filepath.Join(dir, "out.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, strings.Repeat("row\n", 100000))
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("after Abort the directory holds %q, want nothing", got)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Commit after Abort: %v, want os.ErrClosed", err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("Commit after Abort left %q", got)
	}
}

func TestAbortKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("previous run"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := fileio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "half a run")
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != "previous run" {
		t.Errorf("out.csv = %q, want the previous content", data)
	}
	if got := entries(t, dir); len(got) != 1 {
		t.Errorf("directory holds %q, want only out.csv", got)
	}
}

// TestFailedRunLeavesNoFile is the shape callers use: defer Abort, Commit
// only on success.
func TestFailedRunLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	errBoom := errors.New("resolver exploded")
	run := func() (err error) {
		f, err := fileio.Create(path)
		if err != nil {
			return err
		}
		defer f.Abort()
		if _, err := f.Write([]byte(`{"a":1}` + "\n")); err != nil {
			return err
		}
		return errBoom // the run fails before Commit
	}
	if err := run(); !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("a failed run left %q", got)
	}
}

// TestCommitFailure makes the rename fail (the target has become a
// non-empty directory): the temporary file must go and the error must name
// the output.
func TestCommitFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	f, err := fileio.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "data")
	if err := os.MkdirAll(filepath.Join(path, "blocker"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = f.Commit()
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Commit error = %v, want one naming %s", err, path)
	}
	if got := entries(t, dir); len(got) != 1 || got[0] != "out.csv" {
		t.Errorf("after a failed Commit the directory holds %q, want only the blocking directory", got)
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after failed Commit: %v", err)
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "out.csv")
	if _, err := fileio.Create(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Create in a missing directory: %v, want an error naming %s", err, missing)
	}
	if _, err := fileio.Create(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Create of a directory: %v, want an is-a-directory error", err)
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("failed Creates left %q", got)
	}
}

func TestGzipRoundTrip(t *testing.T) {
	dir := t.TempDir()
	content := strings.Repeat("someone@example.com,Some One\n", 5000)
	for _, name := range []string{"out.csv.gz", "OUT.JSONL.GZ"} {
		path := filepath.Join(dir, name)
		f, err := fileio.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		write(t, f, content)
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) || len(raw) >= len(content) {
			t.Errorf("%s is not gzip-compressed (%d bytes)", name, len(raw))
		}
		in, err := fileio.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, in); got != content {
			t.Errorf("%s: read back %d bytes, want %d", name, len(got), len(content))
		}
	}
}

func TestStdout(t *testing.T) {
	var out bytes.Buffer
	f, err := fileio.CreateStd("-", &out)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "a\n1\n")
	if out.Len() != 0 {
		t.Errorf("wrote %q before Commit, want buffering", out.String())
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "a\n1\n" {
		t.Errorf("stdout = %q", out.String())
	}
	if err := f.Abort(); err != nil {
		t.Errorf("Abort after Commit: %v", err)
	}

	out.Reset()
	f, err = fileio.CreateStd("-", &out)
	if err != nil {
		t.Fatal(err)
	}
	write(t, f, "partial")
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("Abort flushed %q to stdout", out.String())
	}
}

// TestFinish checks that a finished output is complete on disk but still
// hidden, takes no more writes, and is published or discarded as any other.
func TestFinish(t *testing.T) {
	content := strings.Repeat("someone@example.com,Some One\n", 5000)
	for _, tc := range []struct {
		name   string
		commit bool // else Abort after Finish
	}{
		{"out.csv", true},
		{"out.csv.gz", true},
		{"out.csv", false},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, tc.name)
		f, err := fileio.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		write(t, f, content)
		if err := f.Finish(); err != nil {
			t.Fatalf("%s: Finish: %v", tc.name, err)
		}
		names := entries(t, dir)
		if len(names) != 1 || !strings.HasPrefix(names[0], "."+tc.name+".tmp-") {
			t.Fatalf("%s: after Finish the directory holds %q, want only the hidden file", tc.name, names)
		}
		// All of it is in the hidden file already, gzip trailer included.
		raw, err := os.ReadFile(filepath.Join(dir, names[0]))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(tc.name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: hidden file after Finish: %v", tc.name, err)
			}
		}
		if string(raw) != content {
			t.Errorf("%s: hidden file holds %d bytes, want %d", tc.name, len(raw), len(content))
		}
		if _, err := f.Write([]byte("late")); !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s: Write after Finish: %v, want os.ErrClosed", tc.name, err)
		}
		if err := f.Finish(); err != nil {
			t.Errorf("%s: second Finish: %v", tc.name, err)
		}
		if !tc.commit {
			if err := f.Abort(); err != nil {
				t.Fatal(err)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("%s: Abort after Finish left %q", tc.name, got)
			}
			continue
		}
		if err := f.Commit(); err != nil {
			t.Fatalf("%s: Commit after Finish: %v", tc.name, err)
		}
		in, err := fileio.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, in); got != content {
			t.Errorf("%s: read back %d bytes, want %d", tc.name, len(got), len(content))
		}
		if err := f.Finish(); !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s: Finish after Commit: %v, want os.ErrClosed", tc.name, err)
		}
	}
}
