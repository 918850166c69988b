package tableio_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/verify"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll opens src and reads its columns and rows as text.
func readAll(t *testing.T, src *tableio.Source) []string {
	t.Helper()
	r, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lines := []string{strings.Join(r.Columns(), "|")}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return lines
		}
		if err != nil {
			t.Fatal(err)
		}
		var cells []string
		for _, v := range row {
			cells = append(cells, rowio.Text(v))
		}
		lines = append(lines, strings.Join(cells, "|"))
	}
}

// Every format reads by its extension, as often as it is opened, and says
// whether its first record was a header row only where the format leaves
// that open.
func TestSourceFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("email,id\na@x.example,1\n"))
	zw.Close()
	tests := []struct {
		name, content string
		want          []string
		header, known bool
	}{
		{"l.csv", "email,id\na@x.example,1\n", []string{"email|id", "a@x.example|1"}, true, true},
		{"l.csv.gz", gz.String(), []string{"email|id", "a@x.example|1"}, true, true},
		{"l.tsv", "a@x.example\t1\nb@y.example\t2\n", []string{"column_1|column_2", "a@x.example|1", "b@y.example|2"}, false, true},
		{"l.jsonl", `{"email":"a@x.example","id":1}` + "\n", []string{"email|id", "a@x.example|1"}, false, false},
	}
	for _, tt := range tests {
		src, err := tableio.OpenSource(write(t, dir, tt.name, tt.content), nil)
		if err != nil {
			t.Fatal(err)
		}
		first, second := readAll(t, src), readAll(t, src)
		if !slices.Equal(first, tt.want) || !slices.Equal(second, tt.want) {
			t.Errorf("%s: read %q, then %q; want %q twice", tt.name, first, second, tt.want)
		}
		if header, known := src.HeaderRow(); header != tt.header || known != tt.known {
			t.Errorf("%s: HeaderRow() = %v, %v; want %v, %v", tt.name, header, known, tt.header, tt.known)
		}
		if err := src.Close(); err != nil {
			t.Error(err)
		}
	}
}

// A Parquet list keeps its schema for a Parquet output.
func TestSourceParquet(t *testing.T) {
	t.Parallel()
	src, err := tableio.OpenSource("../../testdata/parquet/list.parquet", nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.Format() != fileio.Parquet || src.ParquetSchema() != nil {
		t.Errorf("format %v, schema before Open %v", src.Format(), src.ParquetSchema())
	}
	if rows := readAll(t, src); len(rows) < 2 {
		t.Errorf("read %q", rows)
	}
	if src.ParquetSchema() == nil {
		t.Error("no schema after Open")
	}
	if _, known := src.HeaderRow(); known {
		t.Error("HeaderRow known for Parquet")
	}
}

// --header and --no-header decide how a CSV list's first record is read.
func TestSourceSetHeader(t *testing.T) {
	t.Parallel()
	path := write(t, t.TempDir(), "l.csv", "a@x.example\nb@y.example\n")
	for _, tt := range []struct {
		mode csvio.HeaderMode
		want []string
	}{
		{csvio.HeaderAuto, []string{"email", "a@x.example", "b@y.example"}},
		{csvio.HeaderPresent, []string{"a@x.example", "b@y.example"}},
		{csvio.HeaderAbsent, []string{"email", "a@x.example", "b@y.example"}},
	} {
		src, err := tableio.OpenSource(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		src.SetHeader(tt.mode)
		if got := readAll(t, src); !slices.Equal(got, tt.want) {
			t.Errorf("mode %d: read %q, want %q", tt.mode, got, tt.want)
		}
		if header, _ := src.HeaderRow(); header != (tt.mode == csvio.HeaderPresent) {
			t.Errorf("mode %d: HeaderRow() = %v", tt.mode, header)
		}
	}
}

// Standard input is read once: a second read waits for the first to be
// closed, then reads the same rows from the spool.
func TestSourceStdin(t *testing.T) {
	t.Parallel()
	const list = "email\na@x.example\nb@y.example\n"
	src, err := tableio.OpenSource(fileio.Stdio, strings.NewReader(list))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	first, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Read(); err != nil {
		t.Fatal(err)
	}
	opened := make(chan []string)
	go func() { opened <- readAll(t, src) }()
	select {
	case got := <-opened:
		t.Fatalf("second read %q began before the first was closed", got)
	case <-time.After(20 * time.Millisecond):
	}
	for {
		if _, err := first.Read(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	first.Close()
	if got, want := <-opened, []string{"email", "a@x.example", "b@y.example"}; !slices.Equal(got, want) {
		t.Errorf("second read %q, want %q", got, want)
	}
}

// A named pipe is opened once and spooled like standard input.
func TestSourcePipe(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "l.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString("email\na@x.example\n")
		f.Close()
	}()
	src, err := tableio.OpenSource(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	want := []string{"email", "a@x.example"}
	if first, second := readAll(t, src), readAll(t, src); !slices.Equal(first, want) || !slices.Equal(second, want) {
		t.Errorf("read %q, then %q; want %q twice", first, second, want)
	}
}

func TestOpenSourceErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "p.parquet"), 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	tests := []struct {
		path  string
		stdin io.Reader
		want  string
	}{
		{filepath.Join(dir, "missing.csv"), nil, "no such file"},
		{filepath.Join(dir, "l.xls"), nil, "Excel 97-2003"},
		{filepath.Join(dir, "p.parquet"), nil, "regular file"},
	}
	for _, tt := range tests {
		if _, err := tableio.OpenSource(tt.path, tt.stdin); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("OpenSource(%q) = %v, want an error about %q", tt.path, err, tt.want)
		}
	}
	if err := tableio.CheckOutput("out.txt"); !errors.Is(err, fileio.ErrUnknownFormat) {
		t.Errorf("CheckOutput(out.txt) = %v", err)
	}
}

// Outputs appear at their path only on Commit, in the format their name
// gives; an aborted one leaves nothing.
func TestOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cols := []string{"email", "mx_status"}
	for _, tt := range []struct{ name, want string }{
		{"out.csv", "email,mx_status\r\na@x.example,deliverable\r\n"},
		{"out.tsv", "email\tmx_status\r\na@x.example\tdeliverable\r\n"},
		{"out.jsonl", `{"email":"a@x.example","mx_status":"deliverable"}` + "\n"},
	} {
		path := filepath.Join(dir, tt.name)
		out, err := tableio.CreateRows(path, nil, cols, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := out.Write(rowio.Row{"a@x.example", "deliverable"}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s exists before Commit", tt.name)
		}
		if err := out.Commit(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); string(got) != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}

	res, err := tableio.CreateResults(filepath.Join(dir, "domains.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.WriteResult(verify.Result{Domain: "x.example", Status: verify.NXDomain}, 1); err != nil {
		t.Fatal(err)
	}
	if err := res.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("an aborted output left a file: %v", entries)
	}
}

// A CSV output copies rows raw from a CSV input of the same separator
// only.
func TestOutputEncoding(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, want := range map[string]string{"o.csv": "csv,", "o.tsv": "csv\t", "o.jsonl": ""} {
		out, err := tableio.CreateRows(filepath.Join(dir, name), nil, []string{"a"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Encoding(); got != want {
			t.Errorf("%s: Encoding() = %q, want %q", name, got, want)
		}
		out.Abort()
	}
}

// A list's size is known before it is read, and each read counts up to it
// in the counter of its pass: the first read in one, the re-read in the
// other. Standard input has a size only when it is a regular file.
func TestSourceCountBytes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const list = "email\na@x.example\nb@y.example\n"
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(list))
	zw.Close()
	stdinFile, err := os.Open(write(t, dir, "stdin.csv", list))
	if err != nil {
		t.Fatal(err)
	}
	defer stdinFile.Close()
	tests := []struct {
		path  string
		stdin io.Reader
		size  int64 // want from Size
		read  int64 // want counted per read
	}{
		{write(t, dir, "l.csv", list), nil, int64(len(list)), int64(len(list))},
		{write(t, dir, "l.csv.gz", zipped.String()), nil, int64(zipped.Len()), int64(zipped.Len())},
		{"../../testdata/parquet/list.parquet", nil, fileSize(t, "../../testdata/parquet/list.parquet"), fileSize(t, "../../testdata/parquet/list.parquet")},
		{fileio.Stdio, strings.NewReader(list), -1, int64(len(list))},
		{fileio.Stdio, stdinFile, int64(len(list)), int64(len(list))},
	}
	for _, tt := range tests {
		src, err := tableio.OpenSource(tt.path, tt.stdin)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if got := src.Size(); got != tt.size {
			t.Errorf("%s: Size %d, want %d", tt.path, got, tt.size)
		}
		var first, later atomic.Int64
		src.CountBytes(&first, &later)
		readAll(t, src)
		if got := first.Load(); got != tt.read || later.Load() != 0 {
			t.Errorf("%s: first read counted %d and %d, want %d and 0", tt.path, got, later.Load(), tt.read)
		}
		readAll(t, src)
		if got := later.Load(); got != tt.read || first.Load() != tt.read {
			t.Errorf("%s: second read counted %d and %d, want %d and %d", tt.path, first.Load(), got, tt.read, tt.read)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
