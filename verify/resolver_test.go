package verify_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnstest"
)

const rulesZone = "../testdata/zones/rules.zone"

var fixedNow = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

// newResolver starts a resolver against the given servers, with a timeout
// that a loaded machine running -race still meets.
func newResolver(t testing.TB, cfg verify.Config, servers ...*dnstest.Server) *verify.Resolver {
	t.Helper()
	for _, s := range servers {
		cfg.Servers = append(cfg.Servers, s.Addr())
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	r, err := verify.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func hosts(res verify.Result) string {
	var parts []string
	for _, x := range res.MX {
		s := fmt.Sprintf("%d %s %s", x.Preference, x.Host, x.Role)
		if x.CNAME != "" {
			s += ">" + x.CNAME
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func TestVerifyRules(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	srv.ServFail("sfhost.mxrules.net")
	srv.ServFail("implicitfail.mxrules.net", dns.TypeA)
	srv.ServFail("servfail.mxrules.net")
	srv.Refuse("refused.mxrules.net")
	srv.Drop("silent.mxrules.net")
	srv.Mismatch("forged.mxrules.net")
	r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{Retries: 1, Timeout: time.Second}}, srv)

	tests := []struct {
		domain   string
		status   verify.Status
		reason   string // a part the reason must contain
		mx       string // hosts(res), when checked
		implicit bool
		ttl      int64 // -1: not checked
	}{
		{"good.mxrules.net", verify.Deliverable, "3 of 3",
			"10 mx1.good.mxrules.net primary; 10 mx2.good.mxrules.net primary; 20 backup.good.mxrules.net backup", false, 900},
		{"backupgone.mxrules.net", verify.Deliverable, "1 of 2",
			"10 mx1.good.mxrules.net primary; 20 nowhere.mxrules.net backup", false, -1},
		{"nullmx.mxrules.net", verify.NullMX, "RFC 7505", "", false, 300},
		{"nullmix.mxrules.net", verify.Deliverable, "null MX", "10 mx1.good.mxrules.net primary", false, -1},
		{"aliasmx.mxrules.net", verify.CNAMEMisconfigured, "alias-host.mxrules.net → mx1.good.mxrules.net",
			"10 alias-host.mxrules.net primary>mx1.good.mxrules.net", false, 3600},
		{"aliasmix.mxrules.net", verify.Deliverable, "alias",
			"10 alias-host.mxrules.net primary>mx1.good.mxrules.net; 20 mx2.good.mxrules.net backup", false, 900},
		{"implicit.mxrules.net", verify.NoMX, "implicit MX", "", true, 600},
		{"implicit6.mxrules.net", verify.NoMX, "implicit MX", "", true, 600},
		{"nomail.mxrules.net", verify.NoMX, "no address", "", false, 600},
		{"privimplicit.mxrules.net", verify.NoMX, "10.1.1.1", "", false, 600},
		{"missing.mxrules.net", verify.NXDomain, "does not exist", "", false, 600},
		{"domalias.mxrules.net", verify.Deliverable, "via alias good.mxrules.net",
			"10 mx1.good.mxrules.net primary; 10 mx2.good.mxrules.net primary; 20 backup.good.mxrules.net backup", false, 900},
		{"domalias-implicit.mxrules.net", verify.NoMX, "implicit MX", "", true, 600},
		{"domalias-broken.mxrules.net", verify.NXDomain, "missing.mxrules.net", "", false, 600},
		// The server does not serve the alias target and refuses it: that
		// is no answer, never a missing domain.
		{"domalias-away.mxrules.net", verify.TempError, "REFUSED", "", false, 0},
		{"loop1.mxrules.net", verify.TempError, "loop", "", false, 0},
		{"chain1.mxrules.net", verify.TempError, "chain longer than 8", "", false, 0},
		{"chain3.mxrules.net", verify.Deliverable, "", "", false, -1},
		{"dangling-nx.mxrules.net", verify.DanglingMX, "nowhere.mxrules.net does not exist",
			"10 nowhere.mxrules.net primary", false, 600},
		{"dangling-nodata.mxrules.net", verify.DanglingMX, "no A or AAAA", "", false, 600},
		{"dangling-private.mxrules.net", verify.DanglingMX, "127.0.0.1, ::1", "", false, -1},
		{"dangling-ip.mxrules.net", verify.DanglingMX, "IP address", "10 192.0.2.1 primary", false, -1},
		{"aliasdead.mxrules.net", verify.DanglingMX, "", "10 alias-dead.mxrules.net primary>nowhere.mxrules.net", false, -1},
		{"hostfail.mxrules.net", verify.TempError, "sfhost.mxrules.net", "", false, 0},
		{"hostfail-mix.mxrules.net", verify.TempError, "SERVFAIL", "", false, 0},
		{"backupfail.mxrules.net", verify.Deliverable, "1 of 2",
			"10 mx1.good.mxrules.net primary; 20 sfhost.mxrules.net backup", false, -1},
		{"implicitfail.mxrules.net", verify.TempError, "address lookup failed", "", false, 0},
		{"servfail.mxrules.net", verify.TempError, "SERVFAIL", "", false, 0},
		{"refused.mxrules.net", verify.TempError, "REFUSED", "", false, 0},
		{"silent.mxrules.net", verify.TempError, "timeout", "", false, 0},
		{"forged.mxrules.net", verify.TempError, "timeout", "", false, 0},
		{"not-served.org", verify.TempError, "REFUSED", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			res := r.Verify(context.Background(), tt.domain)
			if res.Status != tt.status {
				t.Fatalf("status = %s (%s), want %s", res.Status, res.Reason, tt.status)
			}
			if res.Domain != tt.domain {
				t.Errorf("domain = %q", res.Domain)
			}
			if !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", res.Reason, tt.reason)
			}
			if tt.mx != "" && hosts(res) != tt.mx {
				t.Errorf("mx = %q\nwant %q", hosts(res), tt.mx)
			}
			switch tt.status {
			case verify.NullMX, verify.NoMX, verify.NXDomain, verify.TempError:
				if len(res.MX) != 0 {
					t.Errorf("MX = %v, want none for %s", res.MX, tt.status)
				}
			}
			if res.ImplicitMX != tt.implicit {
				t.Errorf("implicit = %v", res.ImplicitMX)
			}
			if tt.ttl >= 0 && int64(res.TTL) != tt.ttl {
				t.Errorf("ttl = %d, want %d", res.TTL, tt.ttl)
			}
			if !res.CheckedAt.Equal(fixedNow) {
				t.Errorf("checked_at = %v", res.CheckedAt)
			}
			if res.Resolver != srv.Addr() {
				t.Errorf("resolver = %q, want %q", res.Resolver, srv.Addr())
			}
		})
	}
}

func TestVerifyAddresses(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	r := newResolver(t, verify.Config{}, srv)
	res := r.Verify(context.Background(), "good.mxrules.net")
	want := map[string][]netip.Addr{
		"mx1.good.mxrules.net":    {netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10")},
		"mx2.good.mxrules.net":    {netip.MustParseAddr("192.0.2.11")},
		"backup.good.mxrules.net": {netip.MustParseAddr("198.51.100.20")},
	}
	for _, x := range res.MX {
		if fmt.Sprint(x.Addresses) != fmt.Sprint(want[x.Host]) {
			t.Errorf("%s addresses = %v, want %v", x.Host, x.Addresses, want[x.Host])
		}
	}
	// A backup that does not resolve shows no addresses but keeps the
	// domain deliverable.
	res = r.Verify(context.Background(), "backupgone.mxrules.net")
	if len(res.MX) != 2 || len(res.MX[1].Addresses) != 0 {
		t.Errorf("backupgone MX = %+v", res.MX)
	}
}

// A null MX is final: neither the domain's nor "."'s address is asked for.
func TestNullMXAsksNothingElse(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	r := newResolver(t, verify.Config{}, srv)
	if res := r.Verify(context.Background(), "nullmx.mxrules.net"); res.Status != verify.NullMX {
		t.Fatalf("status %s", res.Status)
	}
	if got := srv.Total(); got != 1 {
		t.Errorf("%d queries, want only the MX query", got)
	}
	for _, name := range []string{"nullmx.mxrules.net", "."} {
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			if n := srv.Queries(name, qt); n != 0 {
				t.Errorf("%d %s queries for %s", n, dns.TypeToString[qt], name)
			}
		}
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   func(*dnstest.Server)
		retries int
		status  verify.Status
		queries int
	}{
		{"servfail/0", func(s *dnstest.Server) { s.ServFail("servfail.mxrules.net") }, 0, verify.TempError, 1},
		{"servfail/3", func(s *dnstest.Server) { s.ServFail("servfail.mxrules.net") }, 3, verify.TempError, 4},
		{"refused/2", func(s *dnstest.Server) { s.Refuse("servfail.mxrules.net") }, 2, verify.TempError, 3},
		{"drop/2", func(s *dnstest.Server) { s.Drop("servfail.mxrules.net") }, 2, verify.TempError, 3},
		{"flaky recovers", func(s *dnstest.Server) { s.FailFirst("servfail.mxrules.net", 2) }, 2, verify.Deliverable, 3},
		{"flaky too often", func(s *dnstest.Server) { s.FailFirst("servfail.mxrules.net", 3) }, 2, verify.TempError, 3},
		// An answer within the timeout is never asked again.
		{"slow answer", func(s *dnstest.Server) { s.Delay("servfail.mxrules.net", 100*time.Millisecond) }, 2, verify.Deliverable, 1},
		{"nxdomain final", func(*dnstest.Server) {}, 3, verify.NXDomain, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dnstest.New(t, rulesZone)
			tt.fault(srv)
			r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{Retries: tt.retries, Timeout: time.Second}}, srv)
			domain := "servfail.mxrules.net"
			if tt.status == verify.NXDomain {
				domain = "gone.mxrules.net"
			}
			res := r.Verify(context.Background(), domain)
			if res.Status != tt.status {
				t.Errorf("status %s (%s), want %s", res.Status, res.Reason, tt.status)
			}
			if got := srv.Queries(domain, dns.TypeMX); got != tt.queries {
				t.Errorf("%d MX queries, want %d", got, tt.queries)
			}
			if st := r.Stats(); st.Retries != int64(tt.queries-1) {
				t.Errorf("stats count %d retries, want %d", st.Retries, tt.queries-1)
			}
		})
	}
}

// TestHostLookupRetries: a mail host's A and AAAA questions are retried
// each on its own.
func TestHostLookupRetries(t *testing.T) {
	t.Parallel()
	const zone = `$ORIGIN pair.net.
$TTL 3600
@ IN SOA ns hostmaster 1 3600 600 86400 300
d IN MX 10 mx.pair.net.
mx IN A 192.0.2.25
mx IN AAAA 2001:db8::25
`
	const host = "mx.pair.net"
	tests := []struct {
		name           string
		fault          func(*dnstest.Server)
		status         verify.Status
		addresses      int
		aQ, aaaaQ      int // queries for each type
		retriesCounted int
	}{
		{"no fault", func(*dnstest.Server) {}, verify.Deliverable, 2, 1, 1, 0},
		{"A fails once", func(s *dnstest.Server) { s.FailFirst(host, 1, dns.TypeA) }, verify.Deliverable, 2, 2, 1, 1},
		{"both fail once", func(s *dnstest.Server) {
			s.FailFirst(host, 1, dns.TypeA)
			s.FailFirst(host, 1, dns.TypeAAAA)
		}, verify.Deliverable, 2, 2, 2, 2},
		{"AAAA lost", func(s *dnstest.Server) { s.Drop(host, dns.TypeAAAA) }, verify.Deliverable, 1, 1, 3, 2},
		{"both fail", func(s *dnstest.Server) { s.ServFail(host) }, verify.TempError, 0, 3, 3, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dnstest.NewFromText(t, zone)
			tt.fault(srv)
			r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{Retries: 2, Timeout: 200 * time.Millisecond}}, srv)
			res := r.Verify(context.Background(), "d.pair.net")
			addresses := 0
			for _, x := range res.MX {
				addresses += len(x.Addresses)
			}
			if res.Status != tt.status || addresses != tt.addresses {
				t.Errorf("%s with %d addresses (%s), want %s with %d", res.Status, addresses, res.Reason, tt.status, tt.addresses)
			}
			if a, aaaa := srv.Queries(host, dns.TypeA), srv.Queries(host, dns.TypeAAAA); a != tt.aQ || aaaa != tt.aaaaQ {
				t.Errorf("%d A and %d AAAA queries, want %d and %d", a, aaaa, tt.aQ, tt.aaaaQ)
			}
			if st := r.Stats(); st.Retries != int64(tt.retriesCounted) {
				t.Errorf("stats count %d retries, want %d", st.Retries, tt.retriesCounted)
			}
		})
	}
}

// A retry goes to the next resolver: with one broken server of two, every
// domain still resolves when one retry is allowed.
func TestRetryRotatesResolvers(t *testing.T) {
	t.Parallel()
	bad := dnstest.New(t, rulesZone)
	bad.ServFail(dnstest.AllNames)
	good := dnstest.New(t, rulesZone)
	r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{Retries: 1}}, bad, good)
	for i := range 10 {
		res := r.Verify(context.Background(), "implicit.mxrules.net")
		if res.Status != verify.NoMX || res.Resolver != good.Addr() {
			t.Fatalf("run %d: %s via %s (%s)", i, res.Status, res.Resolver, res.Reason)
		}
	}
	if bad.Total() == 0 || good.Total() == 0 {
		t.Errorf("queries not spread: bad %d, good %d", bad.Total(), good.Total())
	}
}

func TestTruncationFallsBackToTCP(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	r := newResolver(t, verify.Config{}, srv)
	res := r.Verify(context.Background(), "big.mxrules.net")
	if res.Status != verify.Deliverable || len(res.MX) != 40 {
		t.Fatalf("status %s with %d exchanges (%s)", res.Status, len(res.MX), res.Reason)
	}
	if res.MX[0].Role != verify.RolePrimary || res.MX[1].Role != verify.RoleBackup {
		t.Errorf("roles %s, %s", res.MX[0].Role, res.MX[1].Role)
	}
	if n := srv.QueriesTCP("big.mxrules.net", dns.TypeMX); n != 1 {
		t.Errorf("%d TCP queries, want 1", n)
	}
	if st := r.Stats(); st.TCP != 1 {
		t.Errorf("stats: %d TCP", st.TCP)
	}

	// A server that truncates every UDP answer still gets answered over TCP.
	srv.Truncate("good.mxrules.net", dns.TypeMX)
	if res := r.Verify(context.Background(), "good.mxrules.net"); res.Status != verify.Deliverable {
		t.Errorf("truncated good: %s (%s)", res.Status, res.Reason)
	}
}

// Many domains on one provider host cost one A and one AAAA query in all.
func TestSharedHostAskedOnce(t *testing.T) {
	t.Parallel()
	var zone strings.Builder
	zone.WriteString("$ORIGIN shared.net.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n")
	zone.WriteString("mx.provider IN A 192.0.2.25\nmx.provider IN AAAA 2001:db8::25\n")
	for i := range 100 {
		fmt.Fprintf(&zone, "d%d IN MX 10 mx.provider.shared.net.\n", i)
	}
	srv := dnstest.NewFromText(t, zone.String())
	r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{MaxInFlight: 64}}, srv)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			if res := r.Verify(context.Background(), fmt.Sprintf("d%d.shared.net", i)); res.Status != verify.Deliverable {
				t.Errorf("d%d: %s (%s)", i, res.Status, res.Reason)
			}
		})
	}
	wg.Wait()
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		if n := srv.Queries("mx.provider.shared.net", qt); n != 1 {
			t.Errorf("%d %s queries for the shared host, want 1", n, dns.TypeToString[qt])
		}
	}
	if got := srv.Total(); got != 102 {
		t.Errorf("%d queries in all, want 102", got)
	}
}

// TestKnownExchanges verifies domains one after another whose MX sets
// share exchanges: an exchange looked up for an earlier domain is taken
// from the cache, and the others of the set are still looked up, whether
// one or several are new.
func TestKnownExchanges(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	srv.ServFail("sfhost.mxrules.net")
	r := newResolver(t, verify.Config{}, srv)
	steps := []struct {
		domain    string
		exchanges int
		addressed int // exchanges with addresses
	}{
		{"backupgone.mxrules.net", 2, 1}, // both new, one without address
		{"good.mxrules.net", 3, 3},       // mx1 known, two new
		{"aliasmix.mxrules.net", 2, 2},   // mx2 known, the alias new
		{"backupfail.mxrules.net", 2, 1}, // mx1 known, sfhost failing
	}
	for _, st := range steps {
		res := r.Verify(context.Background(), st.domain)
		addressed := 0
		for _, x := range res.MX {
			if len(x.Addresses) > 0 {
				addressed++
			}
		}
		if res.Status != verify.Deliverable || len(res.MX) != st.exchanges || addressed != st.addressed {
			t.Errorf("%s: %s, %d exchanges, %d with addresses (%s); want deliverable, %d, %d",
				st.domain, res.Status, len(res.MX), addressed, res.Reason, st.exchanges, st.addressed)
		}
	}
	for _, host := range []string{"mx1.good.mxrules.net", "mx2.good.mxrules.net", "nowhere.mxrules.net", "alias-host.mxrules.net"} {
		if n := srv.Queries(host, dns.TypeA); n != 1 {
			t.Errorf("%s asked %d times for A, want once", host, n)
		}
	}
}

// The cached host expires with its TTL: after it, the host is asked again.
func TestHostCacheHonoursTTL(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, `$ORIGIN ttl.net.
@ 3600 IN SOA ns hostmaster 1 3600 600 86400 300
a 3600 IN MX 10 mx.ttl.net.
b 3600 IN MX 10 mx.ttl.net.
mx 60 IN A 192.0.2.1
mx 60 IN AAAA 2001:db8::1
`)
	var mu sync.Mutex
	now := fixedNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newResolver(t, verify.Config{Now: clock}, srv)
	r.Verify(context.Background(), "a.ttl.net")
	r.Verify(context.Background(), "b.ttl.net")
	if n := srv.Queries("mx.ttl.net", dns.TypeA); n != 1 {
		t.Fatalf("%d A queries within the TTL, want 1", n)
	}
	mu.Lock()
	now = now.Add(61 * time.Second)
	mu.Unlock()
	r.Verify(context.Background(), "b.ttl.net")
	if n := srv.Queries("mx.ttl.net", dns.TypeA); n != 2 {
		t.Errorf("%d A queries after the TTL, want 2", n)
	}
}

// The limiter holds the rate: with a burst of one at 20/s, the k-th query
// cannot be sent before (k-1)/20 s, so neither can the k-th Verify return.
// Only lower bounds are checked, which a busy machine cannot break: it
// makes queries later, never sooner.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	const qps, n = 20, 30
	r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{QPS: qps}}, srv)

	var mu sync.Mutex
	var returned []time.Duration
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			// Each domain is NXDOMAIN: one query.
			r.Verify(context.Background(), fmt.Sprintf("gone%d.mxrules.net", i))
			mu.Lock()
			returned = append(returned, time.Since(start))
			mu.Unlock()
		})
	}
	wg.Wait()
	if srv.Total() != n {
		t.Fatalf("%d queries, want %d", srv.Total(), n)
	}
	slices.Sort(returned)
	for k, at := range returned {
		if min := time.Duration(k) * time.Second / qps; at < min {
			t.Errorf("query %d of %d answered after %v at %d/s; the limit allows no sooner than %v", k+1, n, at, qps, min)
		}
	}
}

// The in-flight bound holds: with every answer held back, no more queries
// than the bound reach the server.
func TestInFlightBound(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, rulesZone)
	srv.Delay(dnstest.AllNames, time.Hour)
	const bound = 4
	r := newResolver(t, verify.Config{ClientConfig: verify.ClientConfig{MaxInFlight: bound, Timeout: time.Hour}}, srv)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() { r.Verify(ctx, fmt.Sprintf("gone%d.mxrules.net", i)) })
	}
	for srv.Total() < bound {
		time.Sleep(time.Millisecond)
	}
	// Give a broken bound time to show: nothing is answered, so nothing
	// may follow the first four.
	time.Sleep(100 * time.Millisecond)
	if got := srv.Total(); got != bound {
		t.Errorf("%d queries in flight, bound is %d", got, bound)
	}
	cancel()
	wg.Wait()
}

func TestCancelStopsEverything(t *testing.T) {
	srv := dnstest.New(t, rulesZone)
	srv.Drop(dnstest.AllNames)
	before := runtime.NumGoroutine()
	r, err := verify.New(verify.Config{ClientConfig: verify.ClientConfig{
		Servers: []string{srv.Addr()}, Timeout: time.Minute, Retries: 5}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan verify.Result, 20)
	for i := range 20 {
		go func() { results <- r.Verify(ctx, fmt.Sprintf("d%d.mxrules.net", i)) }()
	}
	for srv.Total() < 20 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	for range 20 {
		select {
		case res := <-results:
			if res.Status != verify.TempError {
				t.Errorf("cancelled lookup gave %s", res.Status)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Verify did not return after cancel")
		}
	}
	r.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// A resolver on ::1 works like one on 127.0.0.1 (the sockets batch
// through x/net/ipv6 there).
func TestIPv6Resolver(t *testing.T) {
	t.Parallel()
	z, err := dnstest.Load(rulesZone)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dnstest.Start("[::1]:0", z)
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	r := newResolver(t, verify.Config{}, srv)
	for domain, want := range map[string]verify.Status{
		"good.mxrules.net": verify.Deliverable, "big.mxrules.net": verify.Deliverable, "missing.mxrules.net": verify.NXDomain,
	} {
		if res := r.Verify(context.Background(), domain); res.Status != want || res.Resolver != srv.Addr() {
			t.Errorf("%s: %s via %s (%s), want %s via %s", domain, res.Status, res.Resolver, res.Reason, want, srv.Addr())
		}
	}
}

// A server that predates EDNS answers FORMERR to an OPT record; the client
// asks again without one (RFC 6891 §7) and gets its answer.
func TestNoEDNSServer(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var withOPT, without int
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		mu.Lock()
		if req.IsEdns0() != nil {
			withOPT++
			mu.Unlock()
			m.SetRcode(req, dns.RcodeFormatError)
			w.WriteMsg(m)
			return
		}
		without++
		mu.Unlock()
		m.SetReply(req)
		q := req.Question[0]
		switch q.Qtype {
		case dns.TypeMX:
			rr, _ := dns.NewRR(q.Name + " 300 IN MX 10 mx.old.net.")
			m.Answer = append(m.Answer, rr)
		case dns.TypeA:
			rr, _ := dns.NewRR(q.Name + " 300 IN A 192.0.2.7")
			m.Answer = append(m.Answer, rr)
		}
		w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })

	r, err := verify.New(verify.Config{ClientConfig: verify.ClientConfig{Servers: []string{pc.LocalAddr().String()}, Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	res := r.Verify(context.Background(), "shop.old.net")
	if res.Status != verify.Deliverable {
		t.Fatalf("status %s (%s)", res.Status, res.Reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if withOPT != 3 || without != 3 {
		t.Errorf("%d queries with EDNS, %d without; want each question once each way", withOPT, without)
	}
}

// A server that answers NOTIMP cannot answer the query (RFC 1035 §7.2):
// the next resolver is asked at once, and its answer decides, without a
// retry being spent.
func TestNotImpAsksTheNextResolver(t *testing.T) {
	t.Parallel()
	old := dnstest.New(t, rulesZone)
	old.NotImp(dnstest.AllNames)
	good := dnstest.New(t, rulesZone)
	r := newResolver(t, verify.Config{}, old, good)
	for domain, want := range map[string]verify.Status{
		"good.mxrules.net": verify.Deliverable, "implicit.mxrules.net": verify.NoMX, "missing.mxrules.net": verify.NXDomain,
	} {
		if res := r.Verify(context.Background(), domain); res.Status != want || res.Resolver != good.Addr() {
			t.Errorf("%s: %s via %s (%s), want %s via %s", domain, res.Status, res.Resolver, res.Reason, want, good.Addr())
		}
	}
	if old.Total() == 0 {
		t.Error("the NOTIMP server was never asked")
	}
	if st := r.Stats(); st.Retries != 0 {
		t.Errorf("%d retries counted, want none", st.Retries)
	}
}
