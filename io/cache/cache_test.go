package cache_test

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/verify"
)

var (
	_ pipeline.Cache   = (*cache.Cache)(nil)
	_ verify.HostStore = (*cache.Cache)(nil)
)

// t0 is the injected clock's start; whole seconds, like the stored expiry.
var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

// clock is an injected clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// mustOpen opens a cache that the test closes at cleanup (a second Close
// is harmless). Background commits are slowed down so that tests decide
// when a commit happens, unless opts says otherwise.
func mustOpen(tb testing.TB, path string, opts cache.Options) *cache.Cache {
	tb.Helper()
	if opts.CommitEvery == 0 {
		opts.CommitEvery = time.Hour
	}
	c, err := cache.Open(path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

func tempPath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "mxverify.cache")
}

func deliverable(domain string, ttl uint32, checked time.Time) verify.Result {
	return verify.Result{
		Domain: domain,
		Status: verify.Deliverable,
		Reason: "1 of 1 exchanges have a public address",
		MX: []verify.Exchange{{
			Preference: 10,
			Host:       "mx." + domain,
			Role:       verify.RolePrimary,
			Addresses:  []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")},
		}},
		TTL:       ttl,
		CheckedAt: checked,
		Resolver:  "127.0.0.1:53",
	}
}

func TestDomainExpiry(t *testing.T) {
	tests := []struct {
		name           string
		status         verify.Status
		ttl            uint32
		minAge, maxAge time.Duration
		want           time.Duration // how long the entry is fresh
	}{
		{"ttl within bounds", verify.Deliverable, 3 * 3600, 0, 0, 3 * time.Hour},
		{"short ttl floored by min age", verify.Deliverable, 300, 0, 0, time.Hour},
		{"zero ttl floored", verify.Deliverable, 0, 0, 0, time.Hour},
		{"long ttl capped by max age", verify.Deliverable, 7 * 86400, 0, 0, 24 * time.Hour},
		{"custom floor", verify.Deliverable, 60, 10 * time.Minute, 0, 10 * time.Minute},
		{"custom cap", verify.Deliverable, 86400, 0, 2 * time.Hour, 2 * time.Hour},
		{"min age equal to max age", verify.Deliverable, 5, 3 * time.Hour, 3 * time.Hour, 3 * time.Hour},
		{"nxdomain negative ttl", verify.NXDomain, 3 * 3600, 0, 0, 3 * time.Hour},
		{"nxdomain short negative ttl floored", verify.NXDomain, 900, 0, 0, time.Hour},
		{"nxdomain long negative ttl capped", verify.NXDomain, 3 * 86400, 0, 0, 24 * time.Hour},
		{"no_mx negative ttl", verify.NoMX, 2 * 3600, 0, 0, 2 * time.Hour},
		{"null_mx", verify.NullMX, 5 * 3600, 0, 0, 5 * time.Hour},
		{"dangling_mx", verify.DanglingMX, 4 * 3600, 0, 0, 4 * time.Hour},
		{"cname_misconfigured", verify.CNAMEMisconfigured, 300, 0, 0, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			clk := newClock()
			opts := cache.Options{MinAge: tt.minAge, MaxAge: tt.maxAge, Now: clk.Now}
			c := mustOpen(t, path, opts)
			res := deliverable("example.com", tt.ttl, t0)
			res.Status = tt.status
			c.Put(res)

			check := func(stage string, c *cache.Cache) {
				t.Helper()
				for _, at := range []struct {
					offset time.Duration
					fresh  bool
				}{
					{0, true},
					{tt.want - time.Second, true},
					{tt.want, false},
					{tt.want + 30*24*time.Hour, false},
				} {
					clk.Set(t0.Add(at.offset))
					got, found, fresh := c.Lookup("example.com")
					if !found || fresh != at.fresh {
						t.Errorf("%s, at +%s: found=%v fresh=%v, want found=true fresh=%v", stage, at.offset, found, fresh, at.fresh)
					}
					if !reflect.DeepEqual(got, res) {
						t.Errorf("%s, at +%s: got %+v, want %+v", stage, at.offset, got, res)
					}
				}
			}
			check("pending", c)
			if err := c.Commit(); err != nil {
				t.Fatal(err)
			}
			check("committed", c)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			check("reopened", mustOpen(t, path, opts))
		})
	}
}

func TestExpiryFromCheckedAt(t *testing.T) {
	// The TTL runs from when DNS answered, not from when the result was
	// stored: a slow run must not stretch it.
	clk := newClock()
	c := mustOpen(t, tempPath(t), cache.Options{Now: clk.Now})
	clk.Set(t0.Add(50 * time.Minute))
	c.Put(deliverable("example.com", 3600, t0))
	clk.Set(t0.Add(time.Hour))
	if _, found, fresh := c.Lookup("example.com"); !found || fresh {
		t.Errorf("found=%v fresh=%v, want expired an hour after CheckedAt", found, fresh)
	}
}

func TestNotStored(t *testing.T) {
	for _, st := range []verify.Status{verify.TempError, verify.Invalid, "bogus"} {
		t.Run(string(st), func(t *testing.T) {
			c := mustOpen(t, tempPath(t), cache.Options{Now: newClock().Now})
			res := deliverable("example.com", 3600, t0)
			res.Status = st
			c.Put(res)
			if _, found, _ := c.Lookup("example.com"); found {
				t.Error("found before commit")
			}
			if err := c.Commit(); err != nil {
				t.Fatal(err)
			}
			if n, _, err := c.Len(); err != nil || n != 0 {
				t.Errorf("Len = %d, %v; want 0 entries", n, err)
			}
		})
	}
}

func TestTempErrorKeepsPrevious(t *testing.T) {
	// A temp_error must not erase what the domain was: the next run asks
	// again and the changes report compares with the last real verdict.
	clk := newClock()
	c := mustOpen(t, tempPath(t), cache.Options{Now: clk.Now})
	old := deliverable("example.com", 3600, t0)
	c.Put(old)
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(2 * time.Hour))
	c.Put(verify.Result{Domain: "example.com", Status: verify.TempError, CheckedAt: clk.Now()})
	got, found, fresh := c.Lookup("example.com")
	if !found || fresh || !reflect.DeepEqual(got, old) {
		t.Errorf("got %+v found=%v fresh=%v, want the old result, expired", got, found, fresh)
	}
}

func TestPutReplaces(t *testing.T) {
	clk := newClock()
	c := mustOpen(t, tempPath(t), cache.Options{Now: clk.Now})
	c.Put(deliverable("example.com", 3600, t0))
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(2 * time.Hour))
	cur := verify.Result{Domain: "example.com", Status: verify.NXDomain, TTL: 7200, CheckedAt: clk.Now()}
	c.Put(cur)
	for _, stage := range []string{"pending", "committed"} {
		got, found, fresh := c.Lookup("example.com")
		if !found || !fresh || !reflect.DeepEqual(got, cur) {
			t.Errorf("%s: got %+v found=%v fresh=%v, want %+v fresh", stage, got, found, fresh, cur)
		}
		if err := c.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKeysNormalised(t *testing.T) {
	c := mustOpen(t, tempPath(t), cache.Options{Now: newClock().Now})
	c.Put(deliverable("Example.COM.", 3600, t0))
	c.Put(deliverable("", 3600, t0)) // no key: ignored
	if _, found, fresh := c.Lookup("example.com"); !found || !fresh {
		t.Errorf("found=%v fresh=%v, want a fresh hit", found, fresh)
	}
	if _, found, _ := c.Lookup(""); found {
		t.Error(`Lookup("") found an entry`)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestStats(t *testing.T) {
	clk := newClock()
	c := mustOpen(t, tempPath(t), cache.Options{Now: clk.Now})
	c.Put(deliverable("fresh.example", 86400, t0))
	c.Put(deliverable("stale.example", 3600, t0.Add(-2*time.Hour)))
	c.Lookup("fresh.example")
	c.Lookup("fresh.example")
	c.Lookup("stale.example")
	c.Lookup("missing.example")
	c.PutHost(verify.Host{Name: "mx.example", Outcome: verify.Found, TTL: 3600})
	c.GetHost("mx.example")
	c.GetHost("other.example")
	c.GetHost("other.example")
	want := cache.Stats{Hits: 2, Misses: 2, Expired: 1, HostHits: 1, HostMisses: 2}
	if got := c.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestHosts(t *testing.T) {
	addr := []netip.Addr{netip.MustParseAddr("192.0.2.25")}
	tests := []struct {
		name    string
		host    verify.Host
		stored  bool
		fresh   time.Duration // how long GetHost answers
		checkAt time.Duration // a moment to check the TTL
		ttlAt   uint32        // the TTL GetHost gives then
	}{
		// GetHost gives the TTL the record was served with, whenever it is
		// asked, so that a resumed run writes what an uninterrupted one would.
		{"found", verify.Host{Name: "mx.example.com", Addresses: addr, Outcome: verify.Found, TTL: 7200},
			true, 2 * time.Hour, 30 * time.Minute, 7200},
		{"short ttl floored", verify.Host{Name: "mx.example.com", Addresses: addr, Outcome: verify.Found, TTL: 300},
			true, time.Hour, 10 * time.Minute, 300},
		{"short ttl near the floor's end", verify.Host{Name: "mx.example.com", Addresses: addr, Outcome: verify.Found, TTL: 300},
			true, time.Hour, 59 * time.Minute, 300},
		{"long ttl capped", verify.Host{Name: "mx.example.com", Addresses: addr, Outcome: verify.Found, TTL: 7 * 86400},
			true, 24 * time.Hour, 23 * time.Hour, 7 * 86400},
		{"name normalised", verify.Host{Name: "MX.Example.com.", Addresses: addr, Outcome: verify.Found, TTL: 7200},
			true, 2 * time.Hour, 0, 7200},
		{"nxdomain", verify.Host{Name: "mx.example.com", Outcome: verify.NoName, TTL: 1800},
			true, time.Hour, 0, 1800},
		{"nodata", verify.Host{Name: "mx.example.com", Outcome: verify.NoData, TTL: 3 * 3600},
			true, 3 * time.Hour, time.Hour, 3 * 3600},
		{"ip literal keeps its no-record ttl", verify.Host{Name: "mx.example.com", Outcome: verify.NoName, TTL: math.MaxUint32, Reason: "exchange is an IP address, not a host name"},
			true, 24 * time.Hour, time.Hour, math.MaxUint32},
		{"failed not stored", verify.Host{Name: "mx.example.com", Outcome: verify.Failed, Reason: "SERVFAIL", Server: "127.0.0.1:53"},
			false, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			clk := newClock()
			opts := cache.Options{Now: clk.Now}
			c := mustOpen(t, path, opts)
			c.PutHost(tt.host)
			check := func(stage string, c *cache.Cache) {
				t.Helper()
				clk.Set(t0.Add(tt.checkAt))
				got, ok := c.GetHost("mx.example.com")
				if ok != tt.stored {
					t.Fatalf("%s: GetHost ok=%v, want %v", stage, ok, tt.stored)
				}
				if !ok {
					return
				}
				want := tt.host
				want.Name = "mx.example.com"
				want.TTL = tt.ttlAt
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %+v, want %+v", stage, got, want)
				}
				clk.Set(t0.Add(tt.fresh - time.Second))
				if _, ok := c.GetHost("mx.example.com"); !ok {
					t.Errorf("%s: miss just before expiry", stage)
				}
				clk.Set(t0.Add(tt.fresh))
				if _, ok := c.GetHost("mx.example.com"); ok {
					t.Errorf("%s: hit at expiry", stage)
				}
			}
			check("pending", c)
			if err := c.Commit(); err != nil {
				t.Fatal(err)
			}
			check("committed", c)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			c = mustOpen(t, path, opts)
			check("reopened", c)
			if _, n, err := c.Len(); err != nil || (n == 1) != tt.stored {
				t.Errorf("hosts in file: %d, %v; stored=%v", n, err, tt.stored)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	// The pipeline's collector Puts and Looks up while resolver goroutines
	// use the host store and the committer writes; -race checks the rest.
	clk := newClock()
	path := tempPath(t)
	c := mustOpen(t, path, cache.Options{Now: clk.Now, CommitEvery: time.Millisecond})
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				d := fmt.Sprintf("d%d-%d.example", w, i)
				c.Put(deliverable(d, 3600, t0))
				if _, found, fresh := c.Lookup(d); !found || !fresh {
					t.Errorf("%s: not found right after Put", d)
				}
				c.PutHost(verify.Host{Name: "mx." + d, Outcome: verify.Found, TTL: 3600})
				if _, ok := c.GetHost("mx." + d); !ok {
					t.Errorf("mx.%s: not found right after PutHost", d)
				}
				c.Lookup(fmt.Sprintf("d%d-%d.example", (w+1)%workers, i))
				if i%50 == 0 {
					if err := c.Commit(); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = mustOpen(t, path, cache.Options{Now: clk.Now})
	if d, h, err := c.Len(); err != nil || d != workers*each || h != workers*each {
		t.Errorf("Len = %d, %d, %v; want %d each", d, h, err, workers*each)
	}
}

// copyFile copies the cache as it is on disk now: what a SIGKILL or a
// power loss would leave. The copy can be opened while the original is
// locked.
func copyFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.cache")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

func onDisk(t *testing.T, path, domain string) bool {
	t.Helper()
	c, err := cache.Open(copyFile(t, path), cache.Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, found, _ := c.Lookup(domain)
	return found
}

func TestCommitReachesDisk(t *testing.T) {
	path := tempPath(t)
	c := mustOpen(t, path, cache.Options{Now: newClock().Now})
	c.Put(deliverable("example.com", 3600, t0))
	c.PutHost(verify.Host{Name: "mx.example.com", Outcome: verify.Found, TTL: 3600})
	if onDisk(t, path, "example.com") {
		t.Fatal("on disk before any commit")
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if !onDisk(t, path, "example.com") {
		t.Fatal("not on disk after Commit")
	}
}

func TestBackgroundCommit(t *testing.T) {
	// Without Commit or Close, a Put is on disk within about CommitEvery.
	path := tempPath(t)
	const every = 20 * time.Millisecond
	c := mustOpen(t, path, cache.Options{Now: newClock().Now, CommitEvery: every})
	start := time.Now()
	c.Put(deliverable("example.com", 3600, t0))
	for !onDisk(t, path, "example.com") {
		if time.Since(start) > 30*time.Second {
			t.Fatal("not on disk 30s after Put")
		}
		time.Sleep(every / 2)
	}
	t.Logf("on disk after %s", time.Since(start))
}

func TestCloseCommits(t *testing.T) {
	path := tempPath(t)
	c := mustOpen(t, path, cache.Options{Now: newClock().Now})
	c.Put(deliverable("example.com", 3600, t0))
	c.PutHost(verify.Host{Name: "mx.example.com", Outcome: verify.Found, TTL: 3600})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Use after Close is a bug of the caller, but must not crash.
	if _, found, _ := c.Lookup("other.example"); found {
		t.Error("Lookup after Close found something")
	}
	c.Put(deliverable("late.example", 3600, t0))
	c = mustOpen(t, path, cache.Options{Now: newClock().Now})
	if d, h, err := c.Len(); err != nil || d != 1 || h != 1 {
		t.Errorf("Len = %d, %d, %v; want 1, 1", d, h, err)
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts cache.Options
		want string
	}{
		{"min above max", cache.Options{MinAge: 2 * time.Hour, MaxAge: time.Hour}, "minimum age 2h0m0s is above maximum age 1h0m0s"},
		{"default max below min", cache.Options{MinAge: 48 * time.Hour}, "above maximum age"},
		{"negative", cache.Options{LockTimeout: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cache.Open(tempPath(t), tt.opts)
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	// A path that cannot be opened is the user's to fix, but it is neither
	// a busy nor a corrupt cache.
	dir := t.TempDir()
	for _, path := range []string{
		filepath.Join(dir, "missing", "c.db"),
		dir, // a directory
	} {
		_, err := cache.Open(path, cache.Options{})
		if err == nil || errors.Is(err, cache.ErrLocked) || errors.Is(err, cache.ErrCorrupt) {
			t.Errorf("Open(%s) = %v, want a plain error", path, err)
		}
	}
}

func TestEmptyFileIsNew(t *testing.T) {
	// A zero-length file holds nothing to lose (touch, or a run killed
	// while creating it): it becomes a fresh cache.
	path := tempPath(t)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, path, cache.Options{Now: newClock().Now})
	c.Put(deliverable("example.com", 3600, t0))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if !onDisk(t, path, "example.com") {
		t.Error("not stored")
	}
}

func TestCheckedAtInFuture(t *testing.T) {
	// A clock stepped back must not make an entry outlive MaxAge.
	clk := newClock()
	c := mustOpen(t, tempPath(t), cache.Options{Now: clk.Now})
	c.Put(deliverable("example.com", 86400, t0.Add(30*24*time.Hour)))
	clk.Set(t0.Add(24 * time.Hour))
	if _, found, fresh := c.Lookup("example.com"); !found || fresh {
		t.Errorf("found=%v fresh=%v, want expired MaxAge after now", found, fresh)
	}
}
