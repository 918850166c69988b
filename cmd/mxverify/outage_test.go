package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	bolt "go.etcd.io/bbolt"

	"github.com/mxverify/mxverify/verify/dnstest"
)

// cacheContent reads every entry of a cache file that no one holds,
// bucket/key to value. A copy is read, so that a file another process
// holds can be looked at; a copy taken mid-commit may not open, and then
// ok is false.
func cacheContent(t *testing.T, path string) (content map[string]string, ok bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(cp, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, false
	}
	defer db.Close()
	content = make(map[string]string)
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				content[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		})
	})
	return content, err == nil
}

func sameContent(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A resolver that does not answer stops the run with exit 3 and one line
// naming it and what it did: no output file, the cache as it was, and
// the failure in the metrics. The run asks for every cached domain again
// (--refresh) so that the cache had something to lose.
func TestOutage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		server func(t *testing.T) string
		says   string
	}{
		{"closed port", func(t *testing.T) string {
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := pc.LocalAddr().String()
			pc.Close()
			return addr
		}, "connection refused (ICMP port unreachable) for 200 of 200 queries"},
		{"silent resolver", func(t *testing.T) string {
			s := dnstest.NewFromText(t, nightlyZone(1, false))
			s.Drop(dnstest.AllNames)
			return s.Addr()
		}, "no answer within the timeout for 200 of 200 queries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const n = 300
			good := dnstest.NewFromText(t, nightlyZone(n, false))
			dir := t.TempDir()
			writeFile(t, dir, "in.csv", nightlyList(n))
			if r := mxverify(t, dir, "", "run", "in.csv", "--resolver", good.Addr(), "--progress", "never",
				"--cache", "c.db", "-o", "first.csv"); r.code != 0 {
				t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
			}
			before := readFile(t, filepath.Join(dir, "c.db"))

			addr := tt.server(t)
			// The defaults of --timeout, --retries and the --outage-* flags.
			r := mxverify(t, dir, "", "run", "in.csv", "--resolver", addr, "--progress", "never",
				"--cache", "c.db", "--refresh", "-o", "out.csv", "--domains", "d.csv", "--changes", "ch.csv",
				"--summary", "s.json", "--metrics", "m.prom")
			if r.code != 3 {
				t.Fatalf("exit %d, want 3; stderr:\n%s", r.code, r.stderr)
			}
			want := regexp.MustCompile(`^mxverify: resolver outage: the resolvers answered none of the first 200 queries: ` +
				regexp.QuoteMeta(addr+": "+tt.says) + `; stopped with no output written and the cache left as it was\n$`)
			if !want.MatchString(r.stderr) {
				t.Errorf("stderr %q, want it to match %s", r.stderr, want)
			}
			for _, f := range []string{"out.csv", "d.csv", "ch.csv", "s.json"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s written", f)
				}
			}
			if got := listDir(t, dir); len(got) != 4 { // in.csv, first.csv, c.db, m.prom
				t.Errorf("files left: %v", got)
			}
			if readFile(t, filepath.Join(dir, "c.db")) != before {
				t.Error("the cache file changed")
			}
			m := parseMetrics(t, filepath.Join(dir, "m.prom"))
			if metricValue(t, m, "mxverify_last_run_exit_status") != 3 || metricValue(t, m, "mxverify_last_run_resolver_outage") != 1 {
				t.Error("metrics do not record the outage")
			}
		})
	}
}

// A resolver that goes away mid-run, after the cache has committed some of
// the run's results: the outage is seen in the window, and the cache is
// rolled back to what it held before the run.
func TestOutageMidRunRollsBackCache(t *testing.T) {
	t.Parallel()
	const n = 400
	before := dnstest.NewFromText(t, nightlyZone(n, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	if r := mxverify(t, dir, "", "run", "in.csv", "--resolver", before.Addr(), "--progress", "never",
		"--cache", "c.db", "-o", "first.csv"); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	stored, ok := cacheContent(t, filepath.Join(dir, "c.db"))
	if !ok {
		t.Fatal("cannot read the cache")
	}

	// d0 and d1 change in this zone: what the second run commits differs.
	after := dnstest.NewFromText(t, nightlyZone(n, true))
	cmd := exec.Command(os.Args[0], "run", "in.csv", "--resolver", after.Addr(), "--progress", "never",
		"--cache", "c.db", "--refresh", "--qps", "100", "--outage-min-queries", "50", "--outage-answer-rate", "0.5",
		"-o", "out.csv", "--metrics", "m.prom")
	cmd.Env = append(os.Environ(), "MXVERIFY_MAIN=1")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the run has committed something, then take the
	// resolver away.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if cur, ok := cacheContent(t, filepath.Join(dir, "c.db")); ok && !sameContent(cur, stored) {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the run committed nothing to the cache; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	after.Close()
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("exit %v, want 3; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "in the last 10s: "+after.Addr()+": answered ") ||
		!strings.Contains(stderr.String(), "connection refused (ICMP port unreachable) for ") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil {
		t.Error("out.csv written")
	}
	got, ok := cacheContent(t, filepath.Join(dir, "c.db"))
	if !ok || !sameContent(got, stored) {
		t.Errorf("the cache was not rolled back: %d entries, had %d", len(got), len(stored))
	}
}

// A few domains that fail at the end of a healthy run are not an outage.
func TestFailingTailIsNoOutage(t *testing.T) {
	t.Parallel()
	const n, bad = 300, 30
	srv := dnstest.NewFromText(t, nightlyZone(n, false))
	for i := n - bad; i < n; i++ {
		srv.Drop(fmt.Sprintf("d%d.nightly.net", i))
	}
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
		"--timeout", "300ms", "--max-temp-errors", "1", "-o", "out.csv", "--summary", "s.json")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0: %s", r.code, r.stderr)
	}
	var sum struct {
		DomainsByStatus map[string]int `json:"domains_by_status"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.DomainsByStatus["temp_error"] != bad || sum.DomainsByStatus["deliverable"] != n-bad {
		t.Errorf("domains by status %v", sum.DomainsByStatus)
	}
}

// A short run whose every query goes unanswered is an outage too.
func TestShortRunOutage(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, nightlyZone(3, false))
	srv.Drop(dnstest.AllNames)
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(3))
	r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
		"--timeout", "100ms", "--retries", "1", "-o", "out.csv")
	if r.code != 3 || !strings.Contains(r.stderr, "answered none of the run's 6 queries: "+srv.Addr()+": no answer within the timeout for 6 of 6 queries") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil {
		t.Error("out.csv written")
	}
}

// A resolver that answers NOTIMP cannot answer the query (RFC 1035 §7.2):
// the next --resolver is asked, and its answer decides.
func TestNotImpFailover(t *testing.T) {
	t.Parallel()
	const n = 6
	old := dnstest.NewFromText(t, nightlyZone(n, false))
	old.NotImp(dnstest.AllNames)
	good := dnstest.NewFromText(t, nightlyZone(n, false))
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	r := mxverify(t, dir, "", "run", "in.csv", "--resolver", old.Addr(), "--resolver", good.Addr(),
		"--progress", "never", "--retries", "0", "-o", "out.csv", "--summary", "s.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var sum struct {
		DomainsByStatus map[string]int `json:"domains_by_status"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.DomainsByStatus["deliverable"] != n {
		t.Errorf("domains by status %v, want %d deliverable", sum.DomainsByStatus, n)
	}
	if old.Total() == 0 {
		t.Error("the NOTIMP resolver was never asked: the test proves nothing")
	}
	if good.Queries("d0.nightly.net", dns.TypeMX) != 1 {
		t.Errorf("the second resolver was asked %d times for d0", good.Queries("d0.nightly.net", dns.TypeMX))
	}
}
