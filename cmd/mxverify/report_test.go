package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/report/reporttest"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "copy the browser test's screenshot of the demo report to docs/report-demo.png")

// demoRun is the Makefile's demo: testdata's zones with three names
// broken on purpose (SERVFAIL, REFUSED, a first failure a retry cures)
// and one slow, over testdata/demo/list.csv.
func demoRun(t *testing.T, dir string, extra ...string) result {
	t.Helper()
	srv := demoServer(t)
	srv.ServFail("servfail.mxdemo.net")
	srv.Refuse("refused.mxdemo.net")
	srv.FailFirst("flaky.mxdemo.net", 1)
	srv.Delay("slow.mxdemo.net", 200*time.Millisecond)
	args := append([]string{"run", testdataPath(t, "demo/list.csv"), "--resolver", srv.Addr(),
		"--max-temp-errors", "0.2", "--progress", "never", "-o", "addresses.csv"}, extra...)
	return mxverify(t, dir, "", args...)
}

func parsePage(t *testing.T, path string) (string, *reporttest.Page) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := reporttest.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b), p
}

// cell is the figure in column col of the table row that starts with
// key, as a number.
func cell(t *testing.T, p *reporttest.Page, table, key string, col int) int64 {
	t.Helper()
	for _, row := range p.Tables[table] {
		cells := strings.Split(row, " | ")
		if cells[0] == key && col < len(cells) {
			n, err := strconv.ParseInt(strings.ReplaceAll(cells[col], ",", ""), 10, 64)
			if err != nil {
				t.Fatalf("table %s row %s: %v", table, key, err)
			}
			return n
		}
	}
	t.Fatalf("table %s has no row %s: %q", table, key, p.Tables[table])
	return 0
}

func TestReportOfTheDemo(t *testing.T) {
	dir := t.TempDir()
	r := demoRun(t, dir, "--cache", "c.db", "--report", "report.html", "--summary", "summary.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	page, p := parsePage(t, filepath.Join(dir, "report.html"))
	if m := reporttest.ExternalRef.FindString(page); m != "" {
		t.Errorf("the report refers outside itself: %q", m)
	}
	// The demo list: 40 rows, 31 domains; rows by action add up to rows.
	rows := cell(t, p, "facts", "rows read", 1)
	if rows != 40 || cell(t, p, "facts", "distinct domains", 1) != 31 {
		t.Errorf("facts = %q", p.Tables["facts"])
	}
	var byAction int64
	for _, a := range []string{"send", "suppress", "retry"} {
		byAction += cell(t, p, "actions", a, 1)
	}
	if byAction != rows {
		t.Errorf("rows by action add up to %d, not %d", byAction, rows)
	}
	if n := cell(t, p, "actions", "retry", 1); n != 3 {
		t.Errorf("retry rows = %d, want the 3 temp_error domains' rows", n)
	}
	if n := cell(t, p, "statuses", "temp_error", 2); n != 3 {
		t.Errorf("temp_error rows = %d", n)
	}
	top := strings.Join(p.Tables["top"], "\n")
	for _, d := range []string{"servfail.mxdemo.net", "refused.mxdemo.net"} {
		if !strings.Contains(top, d+" | 1 | retry | temp_error") {
			t.Errorf("top domains miss %s:\n%s", d, top)
		}
	}
	if strings.Contains(top, "flaky.mxdemo.net") {
		t.Errorf("flaky.mxdemo.net, cured by a retry, is listed:\n%s", top)
	}
	if got := len(p.Tables["trend"]); got != 2 {
		t.Errorf("trend of the first run has %d lines, want a header and the run", got)
	}

	// A second run over the same cache: the trend has both, and the
	// report command writes the same page as the run did.
	if r := demoRun(t, dir, "--cache", "c.db", "--report", "report2.html"); r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	_, p2 := parsePage(t, filepath.Join(dir, "report2.html"))
	if got := len(p2.Tables["trend"]); got != 3 {
		t.Errorf("trend of the second run has %d lines, want a header and two runs: %q", got, p2.Tables["trend"])
	}
	if r := mxverify(t, dir, "", "report", "--cache", "c.db", "-o", "again.html"); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	if a, b := readFile(t, filepath.Join(dir, "report2.html")), readFile(t, filepath.Join(dir, "again.html")); a != b {
		t.Error("mxverify report wrote another page than the run")
	}
}

func TestReportFailures(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.csv", "email\nx@y.example\n\"unclosed\n")
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"not html", []string{"run", "bad.csv", "--resolver", "127.0.0.1:9", "--report", "r.txt"}, "--report r.txt: want a .html file"},
		{"stdout", []string{"run", "bad.csv", "--resolver", "127.0.0.1:9", "--report", "-"}, "--report needs a file name"},
		{"no dir", []string{"run", "bad.csv", "--resolver", "127.0.0.1:9", "--report", "nodir/r.html"}, "the directory nodir does not exist"},
		{"is input", []string{"run", "bad.csv", "--resolver", "127.0.0.1:9", "--report", "bad.csv"}, "want a .html file"},
		{"bad input", []string{"run", "bad.csv", "--resolver", "127.0.0.1:9", "--report", "r.html"}, "bad.csv"},
		{"report without cache", []string{"report", "-o", "r.html"}, "--cache FILE is needed"},
		{"report missing cache", []string{"report", "--cache", "none.db", "-o", "r.html"}, "none.db"},
		{"report over cache", []string{"report", "--cache", "bad.csv", "-o", "bad.csv"}, "refusing to overwrite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mxverify(t, dir, "", c.args...)
			if r.code != 1 || !strings.Contains(r.stderr, c.msg) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", r.code, r.stderr, c.msg)
			}
			if _, err := os.Stat(filepath.Join(dir, "r.html")); err == nil {
				t.Error("a report was left behind")
			}
		})
	}
	// A cache no run has finished with has no report yet.
	c, err := cache.Open(filepath.Join(dir, "empty.db"), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	r := mxverify(t, dir, "", "report", "--cache", "empty.db", "-o", "r.html")
	if r.code != 1 || !strings.Contains(r.stderr, "no run has stored a report") {
		t.Errorf("empty cache: exit %d, %q", r.code, r.stderr)
	}
}

// chromiumPath finds Debian's chromium. CI sets MXVERIFY_REQUIRE_CHROMIUM=1
// so that a missing package fails the run instead of skipping the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "chromium is not installed (apt-get install chromium): the browser test of the report needs it"
	if os.Getenv("MXVERIFY_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + "; MXVERIFY_REQUIRE_CHROMIUM=1 forbids skipping")
	}
	t.Skip(msg)
	return ""
}

// consoleLine is how chromium's --enable-logging reports a message of the
// page's console (an error included), or a failed load.
var consoleLine = regexp.MustCompile(`(?m)^.*(:CONSOLE|console|net::ERR_|Failed to load resource|Uncaught).*$`)

// TestReportInBrowser loads the demo's report from disk in headless
// chromium, with loopback the only network the test's namespace has
// (the Makefile and CI run tests so), and reads back its DOM and a
// screenshot.
func TestReportInBrowser(t *testing.T) {
	bin := chromiumPath(t)
	dir := t.TempDir()
	if r := demoRun(t, dir, "--cache", "c.db", "--report", "report.html"); r.code != 0 {
		t.Fatalf("demo: exit %d: %s", r.code, r.stderr)
	}
	page := filepath.Join(dir, "report.html")
	shot := filepath.Join(dir, "report.png")
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1100,2600",
		"--screenshot="+shot, "--dump-dom", "--enable-logging=stderr", "--v=0", "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errb.String())
	}
	var logged []string
	for _, l := range consoleLine.FindAllString(errb.String(), -1) {
		// chromium's own pages (chrome://) log too, on a loaded machine
		// ("Slow network is detected"); only the report's lines count.
		if !strings.Contains(l, "source: chrome://") {
			logged = append(logged, l)
		}
	}
	if len(logged) > 0 {
		t.Errorf("the browser logged:\n%s", strings.Join(logged, "\n"))
	}
	dom, err := reporttest.Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("DOM dump: %v\n%.500s", err, out.String())
	}
	if m := reporttest.ExternalRef.FindString(out.String()); m != "" {
		t.Errorf("the DOM refers outside the page: %q", m)
	}
	for _, id := range []string{"chart-actions", "chart-statuses", "chart-trend"} {
		fig := dom.ByID(id)
		if fig == nil || reporttest.Count(fig, "svg") != 1 || reporttest.Count(fig, "path") == 0 || reporttest.Count(fig, "text") == 0 {
			t.Errorf("chart %s is not in the DOM", id)
		}
	}
	for _, id := range []string{"facts", "actions", "statuses", "top", "remarks", "trend"} {
		if len(dom.Tables[id]) < 2 {
			t.Errorf("table %s is not in the DOM: %q", id, dom.Tables[id])
		}
	}
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 10000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
	if *updateScreenshot {
		if err := os.WriteFile("../../docs/report-demo.png", png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
