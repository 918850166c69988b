package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// headerlessDir holds lists without a header row (and two that look like
// one) and, in golden/, their per-address results.
const headerlessDir = "../../testdata/headerless"

func goldenHeaderless(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(headerlessDir, "golden", name)
	got = normalize(got)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want := readFile(t, path); got != want {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// headerSummary is the part of --summary that says how the lists were read.
type headerSummary struct {
	Rows              int             `json:"rows"`
	HeaderRows        map[string]bool `json:"header_rows"`
	EmailColumn       string          `json:"email_column"`
	EmailColumnNumber int             `json:"email_column_number"`
}

// TestHeaderlessLists runs lists without a header row in every text form,
// and the lists the rule must not mistake for one: every record is
// verified, the output has a header line and one row per record, and the
// summary says how each list was read.
func TestHeaderlessLists(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	for _, name := range []string{"list.csv", "list.tsv", "one_line.csv", "contact.csv", "broken_first.csv"} {
		writeFile(t, dir, name, readFile(t, filepath.Join(headerlessDir, name)))
	}
	list := readFile(t, filepath.Join(headerlessDir, "list.csv"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(list))
	zw.Close()
	writeFile(t, dir, "list.csv.gz", gz.String())

	tests := []struct {
		in      string
		out     string
		stdin   string
		records int
		header  bool
		line    string // the summary's line about the list
		column  string
	}{
		{"list.csv", "list.csv.out.csv", "", 6, false, "list.csv: no header row: column 1 read as email", "email"},
		{"list.tsv", "list.tsv.out.tsv", "", 3, false, "list.tsv: no header row: column 2 read as email", "column_2"},
		{"list.csv.gz", "list.csv.gz.out.csv.gz", "", 6, false, "list.csv.gz: no header row: column 1 read as email", "email"},
		{"-", "-", list, 6, false, "-: no header row: column 1 read as email", "email"},
		{"one_line.csv", "one_line.csv.out.csv", "", 1, false, "one_line.csv: no header row: column 1 read as email", "email"},
		{"contact.csv", "contact.csv.out.csv", "", 2, true, `contact.csv: header row: column 1 ("Contact") read as email`, "Contact"},
		{"broken_first.csv", "broken_first.csv.out.csv", "", 3, false, "broken_first.csv: no header row: column 1 read as email", "email"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			sum := "summary-" + strings.Trim(tt.in, "-.") + ".json"
			r := mxverify(t, dir, tt.stdin, "run", tt.in, "--resolver", srv.Addr(), "--progress", "never",
				"-o", tt.out, "--summary", sum)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := r.stdout
			if tt.out != "-" {
				got = readOutput(t, filepath.Join(dir, tt.out))
			}
			name := tt.out
			if tt.out == "-" {
				name = "stdin.out.csv"
			}
			goldenHeaderless(t, strings.TrimSuffix(name, ".gz"), got)
			if lines := strings.Count(got, "\n"); lines != tt.records+1 {
				t.Errorf("%d lines out, want a header and %d rows", lines, tt.records)
			}
			if !strings.Contains(r.stderr, "  "+tt.line+"\n") {
				t.Errorf("the summary does not say %q:\n%s", tt.line, r.stderr)
			}
			var s headerSummary
			if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, sum))), &s); err != nil {
				t.Fatal(err)
			}
			if h, ok := s.HeaderRows[tt.in]; !ok || h != tt.header || s.EmailColumn != tt.column || s.Rows != tt.records {
				t.Errorf("summary %+v, want header_rows[%s] = %v, email_column %s and %d rows", s, tt.in, tt.header, tt.column, tt.records)
			}
		})
	}
}

// readOutput reads an output file, through gzip when it is one.
func readOutput(t *testing.T, path string) string {
	t.Helper()
	if !strings.HasSuffix(path, ".gz") {
		return readFile(t, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHeaderFlags forces either reading of a list's first line, and
// refuses both at once.
func TestHeaderFlags(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	tests := []struct {
		name  string
		list  string
		flags []string
		code  int
		want  string // the per-address output, or a part of the one stderr line
	}{
		{"--header takes the first address for a header", "a@shop.mxdemo.net\nb@nullmx.mxdemo.net\n", []string{"--header"}, 0,
			"a@shop.mxdemo.net,mx_domain,mx_status,mx_reason\r\nb@nullmx.mxdemo.net,nullmx.mxdemo.net,null_mx,The domain says"},
		{"--no-header reads a header as a row", "email\na@shop.mxdemo.net\n", []string{"--no-header"}, 0,
			"email,mx_domain,mx_status,mx_reason\r\nemail,,invalid,This is not an email address: it has no @. Fix or remove it.\r\na@shop.mxdemo.net,shop.mxdemo.net,deliverable,"},
		{"--no-header with two columns", "name,email\nAnn,a@shop.mxdemo.net\n", []string{"--no-header", "--column", "column_2"}, 0,
			"column_1,column_2,mx_domain,mx_status,mx_reason\r\nname,email,,invalid,This is not an email address: it has no @. Fix or remove it.\r\nAnn,a@shop.mxdemo.net,shop.mxdemo.net,deliverable,"},
		{"both", "a@shop.mxdemo.net\n", []string{"--header", "--no-header"}, 1, "--header and --no-header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFile(t, dir, "l.csv", tt.list)
			// Only the base columns: the test is about the rows.
			args := append([]string{"run", "l.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv", "--add-columns", ""}, tt.flags...)
			r := mxverify(t, dir, "", args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			if tt.code != 0 {
				if !strings.Contains(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("stderr %q, want one line with %q", r.stderr, tt.want)
				}
				return
			}
			if got := readFile(t, filepath.Join(dir, "out.csv")); !strings.HasPrefix(got, tt.want) {
				t.Errorf("output\n%q\ndoes not start with\n%q", got, tt.want)
			}
		})
	}
}

// TestMixedHeaders: a one-column list without a header and one with the
// header email have the same columns, and are read as one list.
func TestMixedHeaders(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", "email\na@shop.mxdemo.net\n")
	writeFile(t, dir, "b.csv", "b@nullmx.mxdemo.net\nc@shop.mxdemo.net\n")
	r := mxverify(t, dir, "", "run", "a.csv", "b.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "email," + strings.Join(addedColumns, ",") + "\r\n" +
		"a@shop.mxdemo.net,shop.mxdemo.net,deliverable,"
	if got := readFile(t, filepath.Join(dir, "out.csv")); !strings.HasPrefix(got, want) || strings.Count(got, "\r\n") != 4 {
		t.Errorf("output\n%s", got)
	}
	for _, line := range []string{`a.csv: header row: column 1 ("email") read as email`, "b.csv: no header row: column 1 read as email"} {
		if !strings.Contains(r.stderr, line) {
			t.Errorf("the summary does not say %q:\n%s", line, r.stderr)
		}
	}
}
