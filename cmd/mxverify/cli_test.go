package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnstest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// addedColumns are the columns a run adds to every row by default.
var addedColumns = []string{"mx_domain", "mx_status", "mx_action", "mx_reason",
	"mx_address", "mx_duplicate", "mx_suggestion", "mx_role", "mx_free", "mx_disposable"}

// normalize hides what changes from run to run in an output: the time of
// the check and the test server's port.
func normalize(s string) string {
	s = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`).ReplaceAllString(s, "CHECKED_AT")
	s = regexp.MustCompile(`"?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"?`).ReplaceAllString(s, "CHECKED_AT")
	return regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(s, "RESOLVER")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("../../testdata/golden", name)
	got = normalize(got)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if got != want {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// The demo list through every output format, against the demo zones.
func TestGoldenOutputs(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	srv.ServFail("servfail.mxdemo.net")
	list := testdataPath(t, "demo/list.csv")
	for _, ext := range []string{"csv", "tsv", "jsonl"} {
		t.Run(ext, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := mxverify(t, dir, "", "run", list, "--resolver", srv.Addr(), "--progress", "never",
				"-o", "addresses."+ext, "--domains", "domains."+ext, "--max-temp-errors", "0.5")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			golden(t, "demo-addresses."+ext, readFile(t, filepath.Join(dir, "addresses."+ext)))
			golden(t, "demo-domains."+ext, readFile(t, filepath.Join(dir, "domains."+ext)))
		})
	}
	// Parquet is binary: its per-address rows, read back, are the CSV
	// golden file's, every added column included.
	t.Run("parquet", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		r := mxverify(t, dir, "", "run", list, "--resolver", srv.Addr(), "--progress", "never",
			"-o", "addresses.parquet", "--max-temp-errors", "0.5")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		got := readParquet(t, filepath.Join(dir, "addresses.parquet"))
		want := readCSV(t, filepath.Join("..", "..", "testdata", "golden", "demo-addresses.csv"))
		if !slices.Equal(got.cols, want[0]) || len(got.rows) != len(want)-1 {
			t.Fatalf("columns %q and %d rows, want %q and %d", got.cols, len(got.rows), want[0], len(want)-1)
		}
		for i, row := range got.rows {
			for j, v := range row {
				if s, _ := v.(string); s != want[i+1][j] {
					t.Errorf("row %d column %s: %#v, want %q", i+1, got.cols[j], v, want[i+1][j])
				}
			}
		}
	})
}

// Every input format gives the same per-address verdicts, in input order.
func TestInputFormats(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	rows := [][]string{
		{"id", "contact", "note"},
		{"1", "alice@shop.mxdemo.net", "a, with comma"},
		{"2", "noreply@nullmx.mxdemo.net", "multi\nline"},
		{"3", "bad-address", ""},
		{"4", "Bob <bob@SHOP.mxdemo.net.>", `"quoted"`},
		{"5", "x@missing.mxdemo.net", ""},
	}
	want := []string{"deliverable", "null_mx", "invalid", "deliverable", "nxdomain"}

	var csvText strings.Builder
	w := csv.NewWriter(&csvText)
	w.WriteAll(rows)
	writeFile(t, dir, "in.csv", "\ufeff"+csvText.String())

	var tsvText strings.Builder
	tw := csv.NewWriter(&tsvText)
	tw.Comma = '\t'
	tw.WriteAll(rows)
	writeFile(t, dir, "in.tsv", tsvText.String())

	var jsonl strings.Builder
	for _, row := range rows[1:] {
		// By hand: a map would sort the keys, and column order matters.
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		jsonl.WriteString(`{"id":` + q(row[0]) + `,"contact":` + q(row[1]) + `,"note":` + q(row[2]) + "}\n")
	}
	writeFile(t, dir, "in.jsonl", jsonl.String())

	gz, err := os.Create(filepath.Join(dir, "in.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(gz)
	zw.Write([]byte(csvText.String()))
	zw.Close()
	gz.Close()

	for _, in := range []string{"in.csv", "in.tsv", "in.jsonl", "in.csv.gz", "-"} {
		t.Run(in, func(t *testing.T) {
			stdin := ""
			if in == "-" {
				stdin = csvText.String()
			}
			out := "out-" + strings.NewReplacer(".", "-").Replace(in) + ".csv"
			r := mxverify(t, dir, stdin, "run", in, "--resolver", srv.Addr(), "--progress", "never", "-o", out)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := readCSV(t, filepath.Join(dir, out))
			if !slices.Equal(got[0], append([]string{"id", "contact", "note"}, addedColumns...)) {
				t.Fatalf("header %q", got[0])
			}
			for i, row := range got[1:] {
				if row[0] != rows[i+1][0] || row[1] != rows[i+1][1] || row[2] != rows[i+1][2] {
					t.Errorf("row %d changed: %q", i+1, row)
				}
				if row[4] != want[i] {
					t.Errorf("row %d: %s, want %s", i+1, row[4], want[i])
				}
			}
		})
	}
}

// TestLargeInputs runs lists far larger than the readers' buffers, from a
// file and from standard input, with rows that the join copies raw and
// rows it must rewrite. The join reads a file a second time while the
// first pass still reads it, and standard input from its spool once the
// first pass is done with it: both must give every row, in order.
func TestLargeInputs(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	domains := []string{"shop.mxdemo.net", "nullmx.mxdemo.net", "missing.mxdemo.net", "acme.mxdemo.net"}
	status := []string{"deliverable", "null_mx", "nxdomain", "deliverable"}
	var in strings.Builder
	in.WriteString("email,note\n")
	const rows = 40000
	for i := range rows {
		switch i % 7 {
		case 0:
			fmt.Fprintf(&in, "\"u%d@%s\",\"a, b\"\n", i, domains[i%4])
		case 1:
			fmt.Fprintf(&in, "u%d-at-%s, leading space\n", i, domains[i%4])
		case 2:
			// A new domain every few rows keeps the first pass busy
			// resolving, so that the join catches up with it.
			fmt.Fprintf(&in, "u%d@d%d.wild.mxcases.org,plain %d\n", i, i, i)
		default:
			fmt.Fprintf(&in, "u%d@%s,plain %d\n", i, domains[i%4], i)
		}
	}
	writeFile(t, dir, "big.csv", in.String())
	for _, src := range []string{"big.csv", "-"} {
		t.Run(src, func(t *testing.T) {
			stdin := ""
			if src == "-" {
				stdin = in.String()
			}
			out := "out-" + strings.Trim(src, "-.") + ".csv"
			r := mxverify(t, dir, stdin, "run", src, "--resolver", srv.Addr(), "--progress", "never", "-o", out, "--qps", "100000")
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := readCSV(t, filepath.Join(dir, out))
			if len(got) != rows+1 {
				t.Fatalf("%d rows out, want %d", len(got)-1, rows)
			}
			for i, row := range got[1:] {
				want, note := status[i%4], fmt.Sprintf("plain %d", i)
				switch i % 7 {
				case 0:
					note = "a, b"
				case 1:
					want, note = "invalid", " leading space"
				case 2:
					want = "deliverable"
				}
				if row[1] != note || row[3] != want {
					t.Fatalf("row %d: %q, want note %q and status %s", i+1, row, note, want)
				}
			}
		})
	}
	// A bad row at the end fails the run with its own position, whatever
	// the join, already under way, was doing.
	writeFile(t, dir, "bad.csv", in.String()+"x@shop.mxdemo.net,ragged,row\n")
	r := mxverify(t, dir, "", "run", "bad.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "bad-out.csv", "--qps", "100000")
	if want := fmt.Sprintf("bad.csv:%d:", rows+2); r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want 1 and an error at %s", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad-out.csv")); err == nil {
		t.Error("a failed run left its output")
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// An output starts with a byte order mark when its input had one:
	// an encoding mark, not part of the first column's name.
	br := bufio.NewReader(f)
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3)
	}
	rows, err := csv.NewReader(br).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Several inputs are read in order, first file first, and each domain is
// asked for once however many rows and spellings name it.
func TestSeveralInputsJoinInOrder(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", "email\nalice@shop.mxdemo.net\nx@missing.mxdemo.net\n")
	writeFile(t, dir, "b.csv", "email\nBOB@Shop.MXDEMO.net\nroot@implicit.mxdemo.net\nalice@shop.mxdemo.net.\n")
	r := mxverify(t, dir, "", "run", "a.csv", "b.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv", "--summary", "s.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := readCSV(t, filepath.Join(dir, "out.csv"))
	var emails, statuses []string
	for _, row := range got[1:] {
		emails = append(emails, row[0])
		statuses = append(statuses, row[2])
	}
	if want := []string{"alice@shop.mxdemo.net", "x@missing.mxdemo.net", "BOB@Shop.MXDEMO.net", "root@implicit.mxdemo.net", "alice@shop.mxdemo.net."}; !slices.Equal(emails, want) {
		t.Errorf("order %q", emails)
	}
	if want := []string{"deliverable", "nxdomain", "deliverable", "no_mx", "deliverable"}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %q", statuses)
	}
	if n := srv.Queries("shop.mxdemo.net", dns.TypeMX); n != 1 {
		t.Errorf("%d MX queries for shop.mxdemo.net, want 1", n)
	}
	var sum struct {
		Inputs          []string       `json:"inputs"`
		Rows            int            `json:"rows"`
		Domains         int            `json:"domains"`
		DomainsByStatus map[string]int `json:"domains_by_status"`
		ExitStatus      int            `json:"exit_status"`
		Queries         int            `json:"queries"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Rows != 5 || sum.Domains != 3 || sum.DomainsByStatus["deliverable"] != 1 || sum.Queries != srv.Total() {
		t.Errorf("summary %+v (server saw %d queries)", sum, srv.Total())
	}
}

// Exit status 2 when too many domains end temp_error, with the results
// still written for tomorrow's run; 0 when under the threshold.
func TestExitTempErrors(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	srv.ServFail("servfail.mxdemo.net")
	srv.Refuse("refused.mxdemo.net")
	list := "email\na@shop.mxdemo.net\nb@servfail.mxdemo.net\nc@refused.mxdemo.net\nd@nullmx.mxdemo.net\ne@localhost\n"
	tests := []struct {
		max  string
		code int
	}{
		{"0.05", 2},
		{"0.5", 0}, // 2 of 4 resolvable domains: exactly the threshold
		{"0.49", 2},
		{"1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.max, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "in.csv", list)
			r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--retries", "0",
				"--progress", "never", "-o", "out.csv", "--domains", "d.csv", "--max-temp-errors", tt.max)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tt.code, r.stderr)
			}
			rows := readCSV(t, filepath.Join(dir, "out.csv"))
			if len(rows) != 6 || rows[2][2] != "temp_error" || rows[3][2] != "temp_error" {
				t.Errorf("outputs: %q", rows)
			}
		})
	}
}

// Bad input and bad flags: exit 1, one line on stderr naming the file and
// the place, and no output file left behind.
func TestBadInput(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  []string // parts of the one stderr line
	}{
		{"missing file", nil, []string{"nope.csv"}, []string{"nope.csv", "no such file"}},
		{"directory", map[string]string{"sub/x.csv": "email\n"}, []string{"sub"}, []string{"sub"}},
		{"directory named csv", map[string]string{"dir.csv/x": ""}, []string{"dir.csv"}, []string{"dir.csv", "directory"}},
		{"unclosed quote", map[string]string{"q.csv": "email,name\na@shop.mxdemo.net,ok\nb@shop.mxdemo.net,\"open\n"},
			[]string{"q.csv"}, []string{"q.csv:3:"}},
		{"broken jsonl", map[string]string{"b.jsonl": "{\"email\":\"a@shop.mxdemo.net\"}\n{\"email\": oops}\n"},
			[]string{"b.jsonl"}, []string{"b.jsonl:2:"}},
		{"csv named parquet", map[string]string{"fake.parquet": "email\na@shop.mxdemo.net\n"},
			[]string{"fake.parquet"}, []string{"fake.parquet", "Parquet"}},
		{"gzip that is not", map[string]string{"x.csv.gz": "email\n"}, []string{"x.csv.gz"}, []string{"x.csv.gz", "gzip"}},
		{"binary named csv", map[string]string{"bin.csv": "PAR1\x00\x01\x02"}, []string{"bin.csv"}, []string{"bin.csv"}},
		{"missing column", map[string]string{"c.csv": "email\na@shop.mxdemo.net\n"},
			[]string{"c.csv", "--column", "address"}, []string{"c.csv", `"address"`}},
		{"no address column", map[string]string{"n.csv": "name,city\nAda,London\n"},
			[]string{"n.csv"}, []string{"n.csv", "--column"}},
		{"headers differ", map[string]string{"a.csv": "email\na@shop.mxdemo.net\n", "b.csv": "mail,x\nb@shop.mxdemo.net,1\n"},
			[]string{"a.csv", "b.csv"}, []string{"b.csv", "header"}},
		{"unknown flag", map[string]string{"a.csv": "email\n"}, []string{"a.csv", "--frobnicate"}, []string{"frobnicate"}},
		{"unknown extension", map[string]string{"a.xlsx": ""}, []string{"a.xlsx"}, []string{"a.xlsx"}},
		{"bad output extension", map[string]string{"a.csv": "email\n"}, []string{"a.csv", "-o", "out.txt"}, []string{"out.txt"}},
		{"output directory missing", map[string]string{"a.csv": "email\n"}, []string{"a.csv", "-o", "nodir/out.csv"}, []string{"nodir/out.csv"}},
		{"bad qps", map[string]string{"a.csv": "email\n"}, []string{"a.csv", "--qps", "0"}, []string{"--qps"}},
		{"no input", nil, nil, []string{"INPUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				writeFile(t, filepath.Dir(p), filepath.Base(p), content)
			}
			before := listDir(t, dir)
			args := append([]string{"run"}, tt.args...)
			args = append(args, "--resolver", srv.Addr(), "--progress", "never")
			if !slices.Contains(tt.args, "-o") {
				args = append(args, "-o", "out.csv")
			}
			args = append(args, "--domains", "domains.csv", "--summary", "summary.json")
			r := mxverify(t, dir, "", args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one:\n%s", len(lines), r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.stderr, w)
				}
			}
			if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
				t.Errorf("stack trace on stderr:\n%s", r.stderr)
			}
			if after := listDir(t, dir); !slices.Equal(after, before) {
				t.Errorf("files left behind: before %q, after %q", before, after)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--version"}, 0, "mxverify "},
		{[]string{"--help"}, 0, "mxverify run INPUT"},
		{[]string{"run", "--help"}, 0, "--max-temp-errors"},
		{[]string{"run", "-h"}, 0, "--resolver"},
		{[]string{"frobnicate"}, 1, ""},
		{nil, 1, ""},
	}
	for _, tt := range tests {
		r := mxverify(t, t.TempDir(), "", tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.out) {
			t.Errorf("%q: exit %d, stdout %q", tt.args, r.code, r.stdout)
		}
	}
}

// The default resolvers come from resolv.conf. resolv.conf has no port, so
// the test serves the demo zones on 127.0.0.1:53, which a loopback-only
// namespace as root (make test) allows; elsewhere port 53 may be taken by a
// real resolver that must not be asked, and the test skips.
func TestResolvConfDefault(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../testdata/zones/*.zone")
	zones, err := dnstest.Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dnstest.Start("127.0.0.1:53", zones)
	if err != nil {
		t.Skipf("cannot serve on 127.0.0.1:53 here (%v); make test runs this in a namespace where it can", err)
	}
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	conf := writeFile(t, dir, "resolv.conf", "# test\nnameserver 127.0.0.1\nsearch mxdemo.net\noptions ndots:1\n")
	writeFile(t, dir, "in.csv", "email\na@shop.mxdemo.net\n")
	r := mxverify(t, dir, "", "run", "in.csv", "--resolv-conf", conf, "--progress", "never", "--domains", "d.csv", "-o", "out.csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if d := readFile(t, filepath.Join(dir, "d.csv")); !strings.Contains(d, "deliverable") || !strings.Contains(d, "127.0.0.1:53") {
		t.Errorf("resolver from resolv.conf not used:\n%s", d)
	}
	if srv.Queries("shop.mxdemo.net", dns.TypeMX) != 1 {
		t.Errorf("the resolv.conf server was not asked")
	}
	r = mxverify(t, dir, "", "run", "in.csv", "--resolv-conf", filepath.Join(dir, "none.conf"), "--progress", "never")
	if r.code != 1 || !strings.Contains(r.stderr, "none.conf") {
		t.Errorf("missing resolv.conf: exit %d, %q", r.code, r.stderr)
	}
}

// A Parquet list comes out as Parquet with its columns' types intact, and
// as CSV with their text.
func TestParquetKeepsTypes(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	in := testdataPath(t, "parquet/list.parquet")
	r := mxverify(t, dir, "", "run", in, "--resolver", srv.Addr(), "--progress", "never",
		"-o", "out.parquet", "--domains", "d.parquet", "--max-temp-errors", "1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	src := readParquet(t, in)
	out := readParquet(t, filepath.Join(dir, "out.parquet"))
	if want := append(slices.Clone(src.cols), addedColumns...); !slices.Equal(out.cols, want) {
		t.Fatalf("columns %q, want %q", out.cols, want)
	}
	if len(out.rows) != len(src.rows) || len(src.rows) == 0 {
		t.Fatalf("%d rows out of %d", len(out.rows), len(src.rows))
	}
	for i, row := range out.rows {
		for j, v := range src.rows[i] {
			if !reflect.DeepEqual(row[j], v) {
				t.Errorf("row %d column %s: %#v (%T), want %#v (%T)", i+1, src.cols[j], row[j], row[j], v, v)
			}
		}
		status := slices.Index(out.cols, "mx_status")
		if s, ok := row[status].(string); !ok || !verify.Status(s).Valid() {
			t.Errorf("row %d: status %#v", i+1, row[status])
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "d.parquet")); err != nil || st.Size() == 0 {
		t.Errorf("per-domain parquet: %v", err)
	}
}

type table struct {
	cols []string
	rows []rowio.Row
}

func readParquet(t *testing.T, path string) table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r, err := parquetio.NewReader(f, st.Size(), path)
	if err != nil {
		t.Fatal(err)
	}
	tb := table{cols: r.Columns()}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return tb
		}
		if err != nil {
			t.Fatal(err)
		}
		tb.rows = append(tb.rows, row)
	}
}
