package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// recheckZone has d0..d3 deliverable, d4 and d5 without any MX (no_mx),
// and d6 absent (nxdomain).
const recheckZone = `$ORIGIN recheck.net.
$TTL 86400
@ IN SOA ns hostmaster 1 3600 600 86400 86400
mx IN A 192.0.2.1
d0 IN MX 10 mx
d1 IN MX 10 mx
d2 IN MX 10 mx
d3 IN MX 10 mx
d4 IN TXT "no mail here"
d5 IN TXT "no mail here"
`

func recheckList() string {
	var b strings.Builder
	b.WriteString("email\n")
	for i := range 7 {
		fmt.Fprintf(&b, "a@d%d.recheck.net\n", i)
	}
	return b.String()
}

// mxAsked counts the MX queries for d0..d6 since the last call.
func mxAsked(srv *dnstest.Server) []int {
	per := make([]int, 7)
	for i := range per {
		per[i] = srv.Queries(fmt.Sprintf("d%d.recheck.net", i), dns.TypeMX)
	}
	srv.ResetCounts()
	return per
}

// Re-checks on demand: each second run starts from the same cache, made
// by a first run with the default ages, and asks DNS only for what its
// flags say.
func TestRechecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags []string
		sleep time.Duration
		asked []int // MX queries per domain in the second run
	}{
		{"cached", nil, 0, []int{0, 0, 0, 0, 0, 0, 0}},
		{"refresh", []string{"--refresh"}, 0, []int{1, 1, 1, 1, 1, 1, 1}},
		{"refresh some statuses", []string{"--refresh-status", "nxdomain,no_mx"}, 0, []int{0, 0, 0, 0, 1, 1, 1}},
		{"refresh temp_error: never cached anyway", []string{"--refresh-status", "temp_error"}, 0, []int{0, 0, 0, 0, 0, 0, 0}},
		// The first run stored with a 24h cap; today's 1s cap applies.
		{"lower max age", []string{"--cache-min-age", "0s", "--cache-max-age", "1s"}, 1100 * time.Millisecond, []int{1, 1, 1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dnstest.NewFromText(t, recheckZone)
			dir := t.TempDir()
			writeFile(t, dir, "in.csv", recheckList())
			base := []string{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "--cache", "c.db", "-o", "out.csv"}
			if r := mxverify(t, dir, "", base...); r.code != 0 {
				t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
			}
			if got := mxAsked(srv); fmt.Sprint(got) != fmt.Sprint([]int{1, 1, 1, 1, 1, 1, 1}) {
				t.Fatalf("first run asked %v", got)
			}
			time.Sleep(tt.sleep)
			r := mxverify(t, dir, "", append(append(base, tt.flags...), "--summary", "s.json")...)
			if r.code != 0 {
				t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
			}
			if got := mxAsked(srv); fmt.Sprint(got) != fmt.Sprint(tt.asked) {
				t.Errorf("second run asked %v, want %v", got, tt.asked)
			}
			var sum struct {
				Hits      int `json:"cache_hits"`
				Refreshed int `json:"cache_refreshed"`
			}
			if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum); err != nil {
				t.Fatal(err)
			}
			asked := 0
			for _, n := range tt.asked {
				asked += n
			}
			if sum.Hits != 7-asked {
				t.Errorf("summary: %d cache hits, want %d", sum.Hits, 7-asked)
			}
			if tt.sleep == 0 && sum.Refreshed != asked {
				t.Errorf("summary: %d refreshed, want %d", sum.Refreshed, asked)
			}
		})
	}
}

func TestRecheckFlagErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", recheckList())
	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"--cache", "c.db", "--refresh-status", "nxdomain,gone"}, `unknown status "gone": want some of deliverable,null_mx,cname_misconfigured,no_mx,nxdomain,dangling_mx,temp_error,invalid`},
		{[]string{"--refresh"}, "--refresh and --refresh-status need --cache"},
		{[]string{"--refresh-status", "nxdomain"}, "--refresh and --refresh-status need --cache"},
		{[]string{"--cache", "c.db", "--refresh", "--refresh-status", "nxdomain"}, "not both"},
		{[]string{"--outage-min-queries", "0"}, "--outage-min-queries must be at least 1"},
		{[]string{"--outage-answer-rate", "1.5"}, "--outage-answer-rate must be above 0 and at most 1"},
		{[]string{"--outage-window", "10ms"}, "--outage-window must be at least 1s"},
	} {
		r := mxverify(t, dir, "", append([]string{"run", "in.csv", "--resolver", "127.0.0.1:1"}, tt.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tt.says) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want 1 and %q", tt.args, r.code, r.stderr, tt.says)
		}
	}
	if got := listDir(t, dir); len(got) != 1 {
		t.Errorf("files left: %v", got)
	}
}

// A domain that ends temp_error is no change: the changes report leaves it
// out, the cache keeps its last known status, and the summary counts it
// as unconfirmed.
func TestTempErrorIsNoChange(t *testing.T) {
	t.Parallel()
	const n = 4
	before := dnstest.NewFromText(t, nightlyZone(n, false))
	after := dnstest.NewFromText(t, nightlyZone(n, true)) // d0 gone, d1 null MX
	after.ServFail("d0.nightly.net")
	after.ServFail("d2.nightly.net")
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", nightlyList(n))
	run := func(srv *dnstest.Server, extra ...string) result {
		return mxverify(t, dir, "", append([]string{"run", "in.csv", "--resolver", srv.Addr(), "--progress", "never",
			"--cache", "c.db", "--retries", "0", "--max-temp-errors", "1", "-o", "out.csv"}, extra...)...)
	}
	if r := run(before); r.code != 0 {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	r := run(after, "--refresh", "--changes", "changes.csv", "--summary", "s.json")
	if r.code != 0 {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	changes := readCSV(t, filepath.Join(dir, "changes.csv"))
	if len(changes) != 2 || changes[1][0] != "d1.nightly.net" || changes[1][1] != "deliverable" || changes[1][2] != "null_mx" {
		t.Errorf("changes %q, want only d1 deliverable -> null_mx", changes)
	}
	var sum struct {
		Unconfirmed int `json:"unconfirmed"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Unconfirmed != 2 {
		t.Errorf("summary: %d unconfirmed, want 2", sum.Unconfirmed)
	}
	if !strings.Contains(r.stderr, "unconfirmed: 2 temp_error domains keep their last known status") {
		t.Errorf("text summary: %s", r.stderr)
	}
	c, err := cache.Open(filepath.Join(dir, "c.db"), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for d, want := range map[string]verify.Status{
		"d0.nightly.net": verify.Deliverable, "d1.nightly.net": verify.NullMX, "d2.nightly.net": verify.Deliverable,
	} {
		if res, found, _ := c.Lookup(d); !found || res.Status != want {
			t.Errorf("cache: %s is %s (found %v), want %s", d, res.Status, found, want)
		}
	}
}
