package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// nightlyZone has n domains on one shared host, and one that does not
// exist; as a second zone ("changed") the first two domains change status.
func nightlyZone(n int, changed bool) string {
	var b strings.Builder
	b.WriteString("$ORIGIN nightly.net.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\nmx IN A 192.0.2.1\n")
	for i := range n {
		switch {
		case changed && i == 0:
			// gone: NXDOMAIN now
		case changed && i == 1:
			fmt.Fprintf(&b, "d%d IN MX 0 .\n", i)
		default:
			fmt.Fprintf(&b, "d%d IN MX 10 mx.nightly.net.\n", i)
		}
	}
	return b.String()
}

func nightlyList(n int) string {
	var b strings.Builder
	b.WriteString("email\n")
	for i := range n {
		fmt.Fprintf(&b, "a%d@d%d.nightly.net\nb%d@d%d.nightly.net\n", i, i, i, i)
	}
	return b.String()
}

func mxQueries(srv *dnstest.Server, n int) (total int, per []int) {
	per = make([]int, n)
	for i := range n {
		per[i] = srv.Queries(fmt.Sprintf("d%d.nightly.net", i), dns.TypeMX)
		total += per[i]
	}
	return total, per
}

// A second run over the same list within the cache's life sends no query.
func TestCacheSecondRunAsksNothing(t *testing.T) {
	t.Parallel()
	const n = 20
	srv := dnstest.NewFromText(t, nightlyZone(n, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	args := []string{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--cache", "c.db",
		"-o", "out.csv", "--summary", "s.json"}
	if r := mxverify(t, dir, "", args...); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	first := srv.Total()
	if first != n+2 {
		t.Errorf("first run sent %d queries, want %d", first, n+2)
	}
	firstOut := readFile(t, filepath.Join(dir, "out.csv"))
	if r := mxverify(t, dir, "", args...); r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	if got := srv.Total() - first; got != 0 {
		t.Errorf("second run sent %d queries, want 0", got)
	}
	if out := readFile(t, filepath.Join(dir, "out.csv")); out != firstOut {
		t.Errorf("second run's output differs:\n%s\nfirst:\n%s", out, firstOut)
	}
	var sum struct {
		CacheHits   int `json:"cache_hits"`
		CacheMisses int `json:"cache_misses"`
		Queries     int `json:"queries"`
	}
	json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum)
	if sum.CacheHits != n || sum.CacheMisses != 0 || sum.Queries != 0 {
		t.Errorf("summary: %+v", sum)
	}
}

// temp_error is never cached: the next run asks again.
func TestCacheSkipsTempErrors(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, nightlyZone(2, false))
	srv.ServFail("d1.nightly.net")
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(2))
	args := []string{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--cache", "c.db",
		"--retries", "0", "--max-temp-errors", "1", "-o", "out.csv"}
	for run := 1; run <= 2; run++ {
		if r := mxverify(t, dir, "", args...); r.code != 0 {
			t.Fatalf("run %d: exit %d: %s", run, r.code, r.stderr)
		}
	}
	if _, per := mxQueries(srv, 2); per[0] != 1 || per[1] != 2 {
		t.Errorf("MX queries per domain %v, want [1 2]", per)
	}
}

// After the cached results expire, the changes report lists the domains
// whose status changed, with the rows that use them.
func TestChangesReport(t *testing.T) {
	t.Parallel()
	const n = 4
	before := dnstest.NewFromText(t, nightlyZone(n, false))
	after := dnstest.NewFromText(t, nightlyZone(n, true))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	args := func(srv *dnstest.Server, changes string) []string {
		return []string{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--cache", "c.db",
			"--cache-min-age", "0s", "--cache-max-age", "1s", "-o", "out.csv", "--changes", changes}
	}
	if r := mxverify(t, dir, "", args(before, "first.csv")...); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	if got := readCSV(t, filepath.Join(dir, "first.csv")); len(got) != 1 {
		t.Errorf("first run reports changes: %q", got)
	}
	time.Sleep(1100 * time.Millisecond) // past --cache-max-age
	if r := mxverify(t, dir, "", args(after, "changes.jsonl")...); r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	var got []map[string]any
	sc := bufio.NewScanner(strings.NewReader(readFile(t, filepath.Join(dir, "changes.jsonl"))))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	want := []struct{ domain, old, cur string }{
		{"d0.nightly.net", "deliverable", "nxdomain"},
		{"d1.nightly.net", "deliverable", "null_mx"},
	}
	if len(got) != len(want) {
		t.Fatalf("changes %v, want %d", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g["domain"] != w.domain || g["old_status"] != w.old || g["new_status"] != w.cur || g["rows"] != float64(2) ||
			g["old_checked_at"] == nil || g["new_checked_at"] == nil {
			t.Errorf("change %d: %v, want %+v with 2 rows", i, g, w)
		}
	}
}

// A second run on a cache in use exits 1 at once, or after --lock-timeout.
func TestCacheLocked(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, nightlyZone(1, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(1))
	held, err := cache.Open(filepath.Join(dir, "c.db"), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, wait := range []string{"0s", "300ms"} {
		start := time.Now()
		r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
			"--cache", "c.db", "--lock-timeout", wait, "-o", "out.csv")
		if r.code != 1 || !strings.Contains(r.stderr, "in use") {
			t.Errorf("lock-timeout %s: exit %d, %q", wait, r.code, r.stderr)
		}
		if d, _ := time.ParseDuration(wait); time.Since(start) < d {
			t.Errorf("lock-timeout %s: gave up after %v", wait, time.Since(start))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil {
		t.Error("a run that could not lock the cache wrote its output")
	}
	held.Close()
	if r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
		"--cache", "c.db", "-o", "out.csv"); r.code != 0 {
		t.Errorf("after release: exit %d: %s", r.code, r.stderr)
	}
}

func TestCacheCorrupt(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, nightlyZone(1, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(1))
	garbage := bytes.Repeat([]byte("not a bolt database "), 500)
	if err := os.WriteFile(filepath.Join(dir, "c.db"), garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--cache", "c.db", "-o", "out.csv")
	if r.code != 1 || !strings.Contains(r.stderr, "c.db") || !strings.Contains(r.stderr, "mv ") {
		t.Errorf("exit %d, stderr %q: want 1 and how to move the file aside", r.code, r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || strings.Contains(r.stderr, "goroutine") {
		t.Errorf("want one line, got:\n%s", r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "c.db")); !bytes.Equal(b, garbage) {
		t.Error("the corrupt cache was changed")
	}
}

// A run killed with SIGKILL and started again asks only for what it had
// not committed, and ends with the outputs of an uninterrupted run.
func TestResumeAfterKill(t *testing.T) {
	t.Parallel()
	const n = 60
	srv := dnstest.NewFromText(t, nightlyZone(n, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	args := []string{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--cache", "c.db",
		"--qps", "20", "-o", "out.csv", "--domains", "d.csv"}

	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MXVERIFY_MAIN=1")
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for srv.Total() < 35 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil {
		t.Fatal("a killed run left an output file")
	}
	killedAt, perBefore := mxQueries(srv, n)

	c, err := cache.Open(filepath.Join(dir, "c.db"), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored := make([]bool, n)
	nStored := 0
	for i := range n {
		if _, _, fresh := c.Lookup(fmt.Sprintf("d%d.nightly.net", i)); fresh {
			stored[i] = true
			nStored++
		}
	}
	c.Close()
	// At 20 queries/s the run had gone on ~1.7 s: at least one commit.
	if nStored == 0 || nStored > killedAt {
		t.Fatalf("%d domains in the cache after the kill, %d asked for", nStored, killedAt)
	}

	if r := mxverify(t, dir, "", append(args[:len(args):len(args)], "--qps", "1000")...); r.code != 0 {
		t.Fatalf("restart: exit %d: %s", r.code, r.stderr)
	}
	_, perAfter := mxQueries(srv, n)
	for i := range n {
		again := perAfter[i] - perBefore[i]
		if stored[i] && again != 0 {
			t.Errorf("d%d was committed before the kill but asked again", i)
		}
		if !stored[i] && again != 1 {
			t.Errorf("d%d: asked %d times on restart, want 1", i, again)
		}
	}

	// The same list on a fresh cache, uninterrupted.
	fresh := t.TempDir()
	writeFile(t, fresh, "in.csv", nightlyList(n))
	if r := mxverify(t, fresh, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
		"--cache", "c.db", "-o", "out.csv", "--domains", "d.csv"); r.code != 0 {
		t.Fatalf("uninterrupted: exit %d: %s", r.code, r.stderr)
	}
	for _, f := range []string{"out.csv", "d.csv"} {
		if a, b := normalize(readFile(t, filepath.Join(dir, f))), normalize(readFile(t, filepath.Join(fresh, f))); a != b {
			t.Errorf("%s after resume differs from an uninterrupted run:\n%s\n---\n%s", f, a, b)
		}
	}
}

// SIGTERM and SIGINT stop a run cleanly: 143/130, no output, the cache
// keeps what was resolved.
func TestSignalStopsCleanly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			const n = 60
			srv := dnstest.NewFromText(t, nightlyZone(n, false))
			dir := t.TempDir()
			writeFile(t, dir, "in.csv", nightlyList(n))
			cmd := exec.Command(os.Args[0], "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
				"--cache", "c.db", "--qps", "20", "-o", "out.csv", "--domains", "d.csv", "--metrics", "m.prom")
			cmd.Env = append(os.Environ(), "MXVERIFY_MAIN=1")
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for srv.Total() < 10 {
				time.Sleep(10 * time.Millisecond)
			}
			cmd.Process.Signal(tt.sig)
			err := cmd.Wait()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != tt.code {
				t.Fatalf("exit %v, want %d; stderr: %s", err, tt.code, stderr.String())
			}
			if want := "stopped by " + map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[tt.sig]; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), want)
			}
			for _, f := range []string{"out.csv", "d.csv"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s written by a stopped run", f)
				}
			}
			c, err := cache.Open(filepath.Join(dir, "c.db"), cache.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// Every domain asked for and answered before the signal is kept;
			// the signal came after 10 queries, so some were.
			kept := 0
			for i := range n {
				if _, _, fresh := c.Lookup(fmt.Sprintf("d%d.nightly.net", i)); fresh {
					kept++
				}
			}
			if kept == 0 {
				t.Errorf("no result was committed to the cache; stderr: %s", stderr.String())
			}
			m := parseMetrics(t, filepath.Join(dir, "m.prom"))
			if v := metricValue(t, m, "mxverify_last_run_exit_status"); v != float64(tt.code) {
				t.Errorf("metrics exit status %v", v)
			}
		})
	}
}

func parseMetrics(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("%s does not parse as Prometheus text: %v", path, err)
	}
	return fams
}

func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok || len(f.Metric) == 0 {
		t.Fatalf("metric %s missing", name)
	}
	return f.Metric[0].GetGauge().GetValue()
}

// The metrics file parses as Prometheus text and carries the run's figures;
// a failed run keeps the last success time.
func TestMetricsFile(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, nightlyZone(3, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(3))
	if r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
		"-o", "out.csv", "--metrics", "m.prom"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	m := parseMetrics(t, filepath.Join(dir, "m.prom"))
	for name, want := range map[string]float64{
		"mxverify_last_run_rows": 6, "mxverify_last_run_domains": 3, "mxverify_last_run_queries": 5,
		"mxverify_last_run_exit_status": 0, "mxverify_last_run_temp_error_ratio": 0,
	} {
		if v := metricValue(t, m, name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	success := metricValue(t, m, "mxverify_last_success_timestamp_seconds")
	if success < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success %v", success)
	}
	byStatus := m["mxverify_last_run_domains_by_status"]
	if byStatus == nil || len(byStatus.Metric) != 8 {
		t.Fatalf("domains by status: %v", byStatus)
	}
	// A failed run: the exit status changes, the last success stays.
	if r := mxverify(t, dir, "", "run", "missing.csv", "--resolver", srv.Addr(), "--metrics", "m.prom"); r.code != 1 {
		t.Fatalf("exit %d", r.code)
	}
	m = parseMetrics(t, filepath.Join(dir, "m.prom"))
	if metricValue(t, m, "mxverify_last_run_exit_status") != 1 || metricValue(t, m, "mxverify_last_success_timestamp_seconds") != success {
		t.Error("failed run's metrics lost the last success or the exit status")
	}
}

// With --log-format json every stderr line, the summary included, is one
// JSON object.
func TestJSONLogs(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, nightlyZone(2, false))
	srv.ServFail("d1.nightly.net")
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(2))
	for _, args := range [][]string{
		{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--retries", "0", "--log-format", "json", "-o", "out.csv"},
		{"run", "missing.csv", "--log-format", "json", "--resolver", srv.Addr()},
		{"run", "in.csv", "--log-format=json", "--frobnicate"},
	} {
		r := mxverify(t, dir, "", args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if len(lines) == 0 || lines[0] == "" {
			t.Fatalf("no stderr for %q", args)
		}
		for _, line := range lines {
			var obj map[string]any
			if err := json.Unmarshal([]byte(line), &obj); err != nil {
				t.Errorf("stderr line is not JSON: %q", line)
			}
		}
		if r.code == 2 && !strings.Contains(r.stderr, `"domains_by_status"`) {
			t.Errorf("no JSON summary: %s", r.stderr)
		}
	}
}
