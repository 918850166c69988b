package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/xlsxio"
)

// The lists of issue 17, in and out: each input of testdata/lists (and the
// SheetJS workbook) through one run, its per-address output compared with
// testdata/golden/lists, and what the summary says of how it was read.
func TestListsAsAnalystsHaveThem(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	gz := readFile(t, testdataPath(t, "lists/list.csv.gz"))
	tests := []struct {
		name   string
		args   []string // before the common flags; "@x" is testdata path x
		stdin  string
		out    string // -o
		golden string
		readAs string // in the summary, "" for none
	}{
		{"sheetjs workbook", []string{"@xlsx/sheetjs.xlsx"}, "", "out.csv", "sheetjs.csv", `read as xlsx, sheet "March"`},
		{"sheetjs workbook second sheet", []string{"@xlsx/sheetjs.xlsx", "--sheet", "April"}, "", "out.csv", "sheetjs-april.csv", `sheet "April"`},
		{"workbook out", []string{"@lists/march.csv"}, "", "out.xlsx", "march.xlsx.csv", ""},
		{"semicolons with a BOM", []string{"@lists/semicolon_bom.csv"}, "", "out.csv", "semicolon_bom.csv", `';'-separated, utf-8 with a byte order mark`},
		{"semicolons, comma out", []string{"@lists/semicolon_bom.csv", "--out-delimiter", ","}, "", "out.csv", "semicolon_bom-comma.csv", "';'-separated"},
		{"utf-16 unicode text", []string{"@lists/unicode_text.txt"}, "", "out.csv", "unicode_text.csv", "read as tsv, TAB-separated, utf-16le with a byte order mark; its name names no format"},
		{"windows-1252", []string{"@lists/cp1252.csv", "--encoding", "windows-1252"}, "", "out.csv", "cp1252.csv", "windows-1252"},
		{"gzip on stdin", []string{"-"}, gz, "out.jsonl", "stdin-gzip.jsonl", "read as gzip-compressed csv"},
		{"workbook on stdin", []string{"-"}, readFile(t, testdataPath(t, "xlsx/sheetjs.xlsx")), "out.csv", "sheetjs.csv", `-: read as xlsx, sheet "March"`},
		{"gzip named csv", []string{"gz-named.csv"}, "", "out.csv", "gz-named.csv", "read as gzip-compressed csv, ','-separated; by its content, although its name says csv"},
		{"headers differ", []string{"@lists/march.csv", "@lists/april.csv"}, "", "out.csv", "march-april.csv", ""},
		{"headers differ to jsonl", []string{"@lists/march.csv", "@lists/april.csv"}, "", "out.jsonl", "march-april.jsonl", ""},
		{"ragged jsonl", []string{"@lists/ragged.jsonl"}, "", "out.jsonl", "ragged.jsonl", ""},
		{"ragged jsonl to csv", []string{"@lists/ragged.jsonl"}, "", "out.csv", "ragged.csv", ""},
		{"stdout named by flag", []string{"@lists/march.csv", "--output-format", "jsonl"}, "", "/dev/stdout", "march-stdout.jsonl", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, "gz-named.csv", gz)
			var args []string
			for _, a := range tt.args {
				if strings.HasPrefix(a, "@") {
					a = testdataPath(t, a[1:])
				}
				args = append(args, a)
			}
			args = append([]string{"run"}, args...)
			args = append(args, "--resolver", srv.Addr(), "--progress", "never", "-o", tt.out, "--max-temp-errors", "1")
			r := mxverify(t, dir, tt.stdin, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var got string
			switch {
			case tt.out == "/dev/stdout":
				got = r.stdout
			case strings.HasSuffix(tt.out, ".xlsx"):
				got = xlsxAsCSV(t, filepath.Join(dir, tt.out))
			default:
				got = readFile(t, filepath.Join(dir, tt.out))
			}
			golden(t, "lists/"+tt.golden, got)
			if tt.readAs != "" && !strings.Contains(r.stderr, tt.readAs) {
				t.Errorf("the summary does not say %q:\n%s", tt.readAs, r.stderr)
			}
		})
	}
}

// xlsxAsCSV reads a workbook's first sheet back as CSV text, for a golden
// file a person can read.
func xlsxAsCSV(t *testing.T, path string) string {
	t.Helper()
	r, err := xlsxio.Open(path, path, xlsxio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(r.Columns())
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = fmt.Sprint(v)
		}
		w.Write(rec)
	}
	w.Flush()
	return b.String()
}

// TestProcessSubstitution runs the README's pipe example as a shell runs
// it: bash gives mxverify a /dev/fd/N, whose name says nothing and which
// can be read once.
func TestProcessSubstitution(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	srv := demoServer(t)
	dir := t.TempDir()
	list := testdataPath(t, "lists/list.csv.gz")
	for _, tt := range []struct {
		name, script string
	}{
		{"zcat with --input-format", `exec "$0" run <(zcat "$1") --input-format csv --resolver "$2" --progress never -o out.csv`},
		{"gzip through the pipe", `exec "$0" run <(cat "$1") --resolver "$2" --progress never -o out.csv`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			os.Mkdir(sub, 0o755)
			cmd := exec.Command("bash", "-c", tt.script, os.Args[0], list, srv.Addr())
			cmd.Env = append(os.Environ(), "MXVERIFY_MAIN=1")
			cmd.Dir = sub
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			golden(t, "lists/pipe.csv", readFile(t, filepath.Join(sub, "out.csv")))
		})
	}
}

// hostile runs the command and returns its result and peak memory, in
// bytes, as the child read its own VmHWM (see writePeak).
func hostile(t *testing.T, dir, stdin string, args ...string) (result, int64) {
	t.Helper()
	peak := filepath.Join(t.TempDir(), "peak")
	r := runChild(t, dir, stdin, []string{"MXVERIFY_PEAK_FILE=" + peak}, args...)
	b, err := os.ReadFile(peak)
	if err != nil {
		t.Fatalf("the child's peak memory: %v", err)
	}
	kb, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		t.Fatalf("the child's peak memory %q: %v", b, err)
	}
	return r, kb << 10
}

// Bad lists of issue 17: exit 1, one line naming the file and the place,
// no output left, never a stack trace; the hostile ones also within
// bounded memory.
func TestBadLists(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	fixtures := t.TempDir()
	bomb := zipBomb(t, fixtures)
	endless := gzipEndless(t, fixtures)
	cut := cutGzip(t, fixtures)
	footer := parquetFooterBomb(t, fixtures)
	const maxRSS = 200 << 20
	tests := []struct {
		name  string
		files map[string]string
		stdin string
		args  []string
		want  []string
	}{
		{"damaged workbook", map[string]string{"d.xlsx": "PK\x03\x04 not really a zip"}, "", []string{"d.xlsx"}, []string{"d.xlsx", "workbook"}},
		{"password-protected workbook", map[string]string{"p.xlsx": "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 504)}, "", []string{"p.xlsx"}, []string{"p.xlsx", "password"}},
		{"no such sheet", nil, "", []string{"@xlsx/sheetjs.xlsx", "--sheet", "May"}, []string{"sheetjs.xlsx", `"May"`, `"March", "April"`}},
		{"xls", map[string]string{"old.xls": "\xD0\xCF\x11\xE0"}, "", []string{"old.xls"}, []string{"old.xls", ".xlsx", "CSV"}},
		{"no delimiter fits", map[string]string{"s.csv": "email;name\na@shop.mxdemo.net;A;x\nb@shop.mxdemo.net\n"}, "", []string{"s.csv"}, []string{"s.csv", "','", "';'", "TAB", "'|'", "--delimiter"}},
		{"invalid utf-8", map[string]string{"l.csv": "email,name\na@shop.mxdemo.net,Jos\xe9\n"}, "", []string{"l.csv"}, []string{"l.csv", "l.csv:2: byte 32", "--encoding windows-1252"}},
		{"unknown encoding", map[string]string{"l.csv": "email\n"}, "", []string{"l.csv", "--encoding", "klingon"}, []string{"klingon", "encoding"}},
		{"truncated gzip", nil, cut, []string{"-"}, []string{"truncated"}},
		{"line past --max-field", map[string]string{"long.csv": "email\n" + strings.Repeat("x", 3<<20) + "\n"}, "", []string{"long.csv"}, []string{"long.csv:2", "--max-field"}},
		{"workbook zip bomb", nil, "", []string{bomb, "--xlsx-max-unzip", "64MiB"}, []string{"bomb.xlsx", "--xlsx-max-unzip"}},
		{"gzip of one endless line", nil, endless, []string{"-"}, []string{"-:2", "--max-field"}},
		{"parquet footer of gigabytes", nil, "", []string{footer}, []string{"footer.parquet"}},
		{"bad delimiter flag", map[string]string{"l.csv": "email\n"}, "", []string{"l.csv", "--delimiter", "ab"}, []string{"delimiter"}},
		{"gzip workbook", map[string]string{"book.gz": gzipped(t, readFile(t, testdataPath(t, "xlsx/sheetjs.xlsx")))}, "", []string{"book.gz"}, []string{"book.gz", "gzip-compressed xlsx: decompress it first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tt.files {
				writeFile(t, dir, name, content)
			}
			before := listDir(t, dir)
			args := []string{"run"}
			for _, a := range tt.args {
				if strings.HasPrefix(a, "@") {
					a = testdataPath(t, a[1:])
				}
				args = append(args, a)
			}
			args = append(args, "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv", "--domains", "domains.csv")
			r, rss := hostile(t, dir, tt.stdin, args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
			}
			if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.stderr, w)
				}
			}
			if tt.name == "truncated gzip" && !regexp.MustCompile(`mxverify: -:[0-9]+: `).MatchString(r.stderr) {
				t.Errorf("stderr %q does not name the line reached", r.stderr)
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace on stderr:\n%s", r.stderr)
			}
			if after := listDir(t, dir); !slices.Equal(after, before) {
				t.Errorf("files left behind: before %q, after %q", before, after)
			}
			t.Logf("peak memory %d MB", rss>>20)
			if rss > maxRSS && !raceEnabled {
				t.Errorf("peak memory %d MB, above %d MB", rss>>20, maxRSS>>20)
			}
		})
	}
}

// zipBomb writes a workbook whose sheet expands to 256 MiB of XML from a
// few hundred KB: past --xlsx-max-unzip 64MiB.
func zipBomb(t *testing.T, dir string) string {
	t.Helper()
	var small bytes.Buffer
	w, err := xlsxio.NewWriter(&small, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(rowio.Row{"a@shop.mxdemo.net"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(small.Bytes()), int64(small.Len()))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bomb.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, e := range zr.File {
		dst, err := zw.Create(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "xl/worksheets/sheet1.xml" {
			src, _ := e.Open()
			io.Copy(dst, src)
			src.Close()
			continue
		}
		dst.Write([]byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`))
		pad := bytes.Repeat([]byte(" "), 1<<20)
		for range 256 {
			dst.Write(pad)
		}
		dst.Write([]byte(`</sheetData></worksheet>`))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// gzipEndless is gzip of 200 MB without a line end after the header: a
// thousandfold expansion into one endless line.
func gzipEndless(t *testing.T, dir string) string {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte("email\n"))
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 200 {
		zw.Write(chunk)
	}
	zw.Close()
	if b.Len() > 1<<20 {
		t.Fatalf("the endless line compresses to %d bytes only", b.Len())
	}
	return b.String()
}

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// cutGzip is a gzip list cut short in its middle.
func cutGzip(t *testing.T, dir string) string {
	t.Helper()
	var list strings.Builder
	list.WriteString("email\n")
	for i := range 5000 {
		fmt.Fprintf(&list, "user%d@shop.mxdemo.net\n", i)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(list.String()))
	zw.Close()
	return b.String()[:b.Len()/2]
}

// parquetFooterBomb writes a Parquet file whose footer claims to be 2 GB
// long: the reader must refuse it without allocating that.
func parquetFooterBomb(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "footer.parquet")
	var b bytes.Buffer
	b.WriteString("PAR1")
	b.Write(bytes.Repeat([]byte{0x15}, 1024))
	b.Write([]byte{0x00, 0x00, 0x00, 0x80}) // footer length 2^31
	b.WriteString("PAR1")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
