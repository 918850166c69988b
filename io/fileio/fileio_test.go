package fileio_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/mxverify/mxverify/io/fileio"
)

// update is unused here but must exist: `go test ./... -update` passes the
// flag to every package's test binary.
var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")

func TestFormatOf(t *testing.T) {
	tests := []struct {
		path   string
		format fileio.Format
		gzip   bool
		ok     bool
	}{
		{"-", fileio.CSV, false, true},
		{"list.csv", fileio.CSV, false, true},
		{"dir.d/list.CSV", fileio.CSV, false, true},
		{"list.csv.gz", fileio.CSV, true, true},
		{"LIST.CSV.GZ", fileio.CSV, true, true},
		{"list.tsv", fileio.TSV, false, true},
		{"list.Tsv.Gz", fileio.TSV, true, true},
		{"list.jsonl", fileio.JSONL, false, true},
		{"list.jsonl.gz", fileio.JSONL, true, true},
		{"/abs/list.parquet", fileio.Parquet, false, true},
		{"list.PARQUET", fileio.Parquet, false, true},
		{"list.parquet.gz", 0, false, false},
		{"list.json", 0, false, false},
		{"list.txt", 0, false, false},
		{"list.gz", 0, false, false},
		{"list", 0, false, false},
		{"list.csv.bak", 0, false, false},
		{"csv", 0, false, false},
		{"", 0, false, false},
		{"--", 0, false, false},
	}
	for _, tt := range tests {
		f, gz, err := fileio.FormatOf(tt.path)
		if !tt.ok {
			if !errors.Is(err, fileio.ErrUnknownFormat) {
				t.Errorf("FormatOf(%q) error = %v, want ErrUnknownFormat", tt.path, err)
			} else if !strings.Contains(err.Error(), ".csv, .csv.gz, .tsv, .tsv.gz, .jsonl, .jsonl.gz, .parquet") ||
				!strings.HasPrefix(err.Error(), tt.path+": ") {
				t.Errorf("FormatOf(%q) error %q should name the path and list the extensions", tt.path, err)
			}
			continue
		}
		if err != nil || f != tt.format || gz != tt.gzip {
			t.Errorf("FormatOf(%q) = %v, %v, %v; want %v, %v", tt.path, f, gz, err, tt.format, tt.gzip)
		}
	}
	for f, want := range map[fileio.Format]string{fileio.CSV: "csv", fileio.TSV: "tsv", fileio.JSONL: "jsonl", fileio.Parquet: "parquet", 0: "Format(0)"} {
		if f.String() != want {
			t.Errorf("Format(%d).String() = %q, want %q", int(f), f.String(), want)
		}
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipped(t *testing.T, data string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(data))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readAll(t *testing.T, in *fileio.Input) string {
	t.Helper()
	data, err := io.ReadAll(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	return string(data)
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "plain.csv"), []byte("a\n1\n"))
	writeFile(t, filepath.Join(dir, "z.csv.gz"), gzipped(t, "a\n2\n"))
	writeFile(t, filepath.Join(dir, "upper.CSV.GZ"), gzipped(t, "a\n3\n"))
	// Two gzip members, as `cat a.gz b.gz` makes.
	writeFile(t, filepath.Join(dir, "multi.csv.gz"), append(gzipped(t, "a\n"), gzipped(t, "4\n")...))
	// Not named .gz, so read as is even though it is gzip.
	writeFile(t, filepath.Join(dir, "raw.csv"), gzipped(t, "x"))

	tests := []struct {
		name string
		want string
	}{
		{"plain.csv", "a\n1\n"},
		{"z.csv.gz", "a\n2\n"},
		{"upper.CSV.GZ", "a\n3\n"},
		{"multi.csv.gz", "a\n4\n"},
		{"raw.csv", string(gzipped(t, "x"))},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		in, err := fileio.Open(path)
		if err != nil {
			t.Fatalf("Open(%s): %v", tt.name, err)
		}
		if in.Name() != path {
			t.Errorf("Name() = %q, want %q", in.Name(), path)
		}
		if got := readAll(t, in); got != tt.want {
			t.Errorf("%s: read %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOpenStdin(t *testing.T) {
	in, err := fileio.OpenStd("-", strings.NewReader("a\n1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Name() != "-" {
		t.Errorf("Name() = %q, want -", in.Name())
	}
	if got := readAll(t, in); got != "a\n1\n" {
		t.Errorf("read %q", got)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "fake.csv.gz")
	writeFile(t, notGzip, []byte("email\na@example.com\n"))
	emptyGzip := filepath.Join(dir, "empty.csv.gz")
	writeFile(t, emptyGzip, nil)
	badHeader := filepath.Join(dir, "bad.csv.gz")
	writeFile(t, badHeader, []byte{0x1f, 0x8b, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	subdir := filepath.Join(dir, "list.csv")
	if err := os.Mkdir(subdir, 0o755); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.csv")

	tests := []struct {
		name string
		path string
		is   error
		msg  string
	}{
		{"missing", missing, fs.ErrNotExist, "input: open " + missing + ": no such file or directory"},
		{"directory", subdir, syscall.EISDIR, "input: open " + subdir + ": is a directory"},
		{"not gzip", notGzip, fileio.ErrNotGzip, "input " + notGzip + ": not gzip data although the name ends in .gz"},
		{"empty gzip", emptyGzip, fileio.ErrNotGzip, emptyGzip},
		{"bad gzip header", badHeader, gzip.ErrHeader, badHeader},
	}
	for _, tt := range tests {
		in, err := fileio.Open(tt.path)
		if err == nil {
			in.Close()
			t.Errorf("%s: Open succeeded", tt.name)
			continue
		}
		if !errors.Is(err, tt.is) {
			t.Errorf("%s: error %v does not wrap %v", tt.name, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.msg)
		}
	}
}

func TestOpenUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(path, []byte("a\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := fileio.Open(path)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), path) {
		t.Errorf("error = %v, want a permission error naming %s", err, path)
	}
}

// TestOpenCorruptGzip checks that damage after the header reaches the
// reader as an error instead of a short, clean-looking input.
func TestOpenCorruptGzip(t *testing.T) {
	data := gzipped(t, strings.Repeat("a@example.com\n", 1000))
	path := filepath.Join(t.TempDir(), "cut.csv.gz")
	writeFile(t, path, data[:len(data)-6])
	in, err := fileio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := io.ReadAll(in); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("reading a truncated gzip file: %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestCountTo checks that a list's bytes are counted as they are on disk:
// a .gz list counts its compressed bytes, including the block that opening
// it peeks at, and a whole read counts the file's size exactly, so that a
// progress display reaches the size it measures against.
func TestCountTo(t *testing.T) {
	dir := t.TempDir()
	var big strings.Builder
	for i := range 50_000 {
		fmt.Fprintf(&big, "user%d@example%d.com\n", i, i%977)
	}
	writeFile(t, filepath.Join(dir, "plain.csv"), []byte(big.String()))
	writeFile(t, filepath.Join(dir, "big.csv.gz"), gzipped(t, big.String()))
	writeFile(t, filepath.Join(dir, "small.csv.gz"), gzipped(t, "a\n1\n"))

	for _, name := range []string{"plain.csv", "big.csv.gz", "small.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			in, err := fileio.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			var n atomic.Int64
			in.CountTo(&n)
			// Part way through, the count is a position inside the
			// file, not a count of decompressed bytes.
			if _, err := io.ReadFull(in, make([]byte, 4)); err != nil {
				t.Fatal(err)
			}
			if got := n.Load(); got <= 0 || got > st.Size() {
				t.Errorf("after 4 bytes: counted %d, want 1..%d", got, st.Size())
			}
			readAll(t, in)
			if got := n.Load(); got != st.Size() {
				t.Errorf("after the whole file: counted %d, want its size %d", got, st.Size())
			}
		})
	}
}
