package cache_test

import (
	"fmt"
	"maps"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/verify"
)

// The ages of the run that reads an entry decide its expiry, not those of
// the run that stored it: lowering --cache-max-age re-asks old entries.
func TestAgesApplyWhenRead(t *testing.T) {
	tests := []struct {
		name           string
		ttl            uint32
		minAge, maxAge time.Duration // of the reading run; the writer used the defaults
		want           time.Duration // how long the entry is fresh
	}{
		{"max age lowered", 86400, 0, time.Hour, time.Hour},
		{"max age raised", 7 * 86400, 0, 72 * time.Hour, 72 * time.Hour},
		{"min age raised", 300, 6 * time.Hour, 24 * time.Hour, 6 * time.Hour},
		{"min age lowered", 300, time.Minute, 24 * time.Hour, 5 * time.Minute},
		{"defaults", 3 * 3600, 0, 0, 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			clk := newClock()
			c := mustOpen(t, path, cache.Options{Now: clk.Now})
			c.Put(deliverable("example.com", tt.ttl, t0))
			c.PutHost(verify.Host{Name: "mx.example.com", Outcome: verify.Found, TTL: tt.ttl})
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			c = mustOpen(t, path, cache.Options{MinAge: tt.minAge, MaxAge: tt.maxAge, Now: clk.Now})
			for _, at := range []struct {
				offset time.Duration
				fresh  bool
			}{{0, true}, {tt.want - time.Second, true}, {tt.want, false}} {
				clk.Set(t0.Add(at.offset))
				if _, found, fresh := c.Lookup("example.com"); !found || fresh != at.fresh {
					t.Errorf("domain at +%s: found=%v fresh=%v, want fresh=%v", at.offset, found, fresh, at.fresh)
				}
				if _, ok := c.GetHost("mx.example.com"); ok != at.fresh {
					t.Errorf("host at +%s: ok=%v, want %v", at.offset, ok, at.fresh)
				}
			}
		})
	}
}

// A record written before expiry was decided at read time has no
// "checked" field: it keeps the expiry it was written with.
func TestOldRecordKeepsItsExpiry(t *testing.T) {
	path := tempPath(t)
	clk := newClock()
	c := mustOpen(t, path, cache.Options{Now: clk.Now})
	c.Put(deliverable("seed.example", 3600, t0)) // makes the buckets
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	expires := t0.Add(90 * time.Minute).Unix()
	rec := fmt.Sprintf(`{"v":1,"expires":%d,"result":{"domain":"old.example","status":"deliverable","ttl":86400,"checked_at":"%s"}}`,
		expires, t0.Format(time.RFC3339))
	rawPut(t, path, "domains", "old.example", rec)
	c = mustOpen(t, path, cache.Options{Now: clk.Now, MaxAge: time.Hour})
	clk.Set(t0.Add(89 * time.Minute))
	if _, found, fresh := c.Lookup("old.example"); !found || !fresh {
		t.Errorf("before its stored expiry: found=%v fresh=%v", found, fresh)
	}
	clk.Set(t0.Add(90 * time.Minute))
	if _, found, fresh := c.Lookup("old.example"); !found || fresh {
		t.Errorf("at its stored expiry: found=%v fresh=%v", found, fresh)
	}
}

func TestRefresh(t *testing.T) {
	stored := map[string]verify.Status{
		"ok.example": verify.Deliverable, "gone.example": verify.NXDomain, "nomx.example": verify.NoMX,
	}
	tests := []struct {
		name      string
		refresh   func(verify.Status) bool
		hosts     bool
		wantFresh map[string]bool
		wantHost  bool
	}{
		{"none", nil, false, map[string]bool{"ok.example": true, "gone.example": true, "nomx.example": true}, true},
		{"all", func(verify.Status) bool { return true }, true, map[string]bool{}, false},
		{"by status", func(s verify.Status) bool { return s == verify.NXDomain || s == verify.NoMX }, false,
			map[string]bool{"ok.example": true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			clk := newClock()
			c := mustOpen(t, path, cache.Options{Now: clk.Now})
			for d, st := range stored {
				r := deliverable(d, 3600, t0)
				r.Status = st
				c.Put(r)
			}
			c.PutHost(verify.Host{Name: "mx.ok.example", Outcome: verify.Found, TTL: 3600})
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			c = mustOpen(t, path, cache.Options{Now: clk.Now, Refresh: tt.refresh, RefreshHosts: tt.hosts})
			for d, st := range stored {
				res, found, fresh := c.Lookup(d)
				if !found || res.Status != st || fresh != tt.wantFresh[d] {
					t.Errorf("%s: found=%v status=%s fresh=%v, want found, %s, fresh=%v", d, found, res.Status, fresh, st, tt.wantFresh[d])
				}
			}
			if _, ok := c.GetHost("mx.ok.example"); ok != tt.wantHost {
				t.Errorf("GetHost ok=%v, want %v", ok, tt.wantHost)
			}
			s := c.Stats()
			refreshed := int64(len(stored) - len(tt.wantFresh))
			if s.Refreshed != refreshed || s.Misses != refreshed || s.Expired != 0 {
				t.Errorf("Stats = %+v, want %d refreshed misses", s, refreshed)
			}
		})
	}
}

// Rollback leaves the file holding what it held at Open: overwritten
// entries come back, new ones go, whether committed or still pending.
func TestRollback(t *testing.T) {
	path := tempPath(t)
	clk := newClock()
	c := mustOpen(t, path, cache.Options{Now: clk.Now})
	c.Put(deliverable("kept.example", 3600, t0))
	c.Put(deliverable("overwritten.example", 3600, t0))
	c.PutHost(verify.Host{Name: "mx.kept.example", Outcome: verify.Found, TTL: 3600})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	before := dump(t, path)

	clk.Set(t0.Add(2 * time.Hour))
	c = mustOpen(t, path, cache.Options{Now: clk.Now})
	gone := deliverable("overwritten.example", 7200, clk.Now())
	gone.Status = verify.NXDomain
	c.Put(gone)
	c.Put(deliverable("new.example", 3600, clk.Now()))
	c.PutHost(verify.Host{Name: "mx.kept.example", Outcome: verify.NoName, TTL: 60})
	c.PutHost(verify.Host{Name: "mx.new.example", Outcome: verify.Found, TTL: 60})
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	c.Put(deliverable("pending.example", 3600, clk.Now()))
	c.Put(deliverable("kept.example", 3600, clk.Now()))
	if err := c.Commit(); err != nil { // a second commit must not undo to the first's values
		t.Fatal(err)
	}
	c.Put(deliverable("never.example", 3600, clk.Now()))
	if got := dump(t, copyFile(t, path)); maps.Equal(got, before) {
		t.Fatal("the commits changed nothing: the test proves nothing")
	}
	if err := c.Rollback(); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close after Rollback: %v", err)
	}
	if got := dump(t, path); !maps.Equal(got, before) {
		t.Errorf("after Rollback the file holds\n%v\nwant\n%v", got, before)
	}
}

// Close keeps the run's writes and forgets their undo; so does the next
// Open after a run that died with its undo in the file.
func TestUndoDropped(t *testing.T) {
	for _, end := range []string{"close", "crash"} {
		t.Run(end, func(t *testing.T) {
			path := tempPath(t)
			c := mustOpen(t, path, cache.Options{Now: newClock().Now})
			c.Put(deliverable("a.example", 3600, t0))
			if err := c.Commit(); err != nil {
				t.Fatal(err)
			}
			if end == "crash" {
				// What a killed process leaves: the file as committed.
				crashed := copyFile(t, path)
				c.Close()
				path = crashed
				if _, ok := dump(t, copyFile(t, path))["undo-domains/a.example"]; !ok {
					t.Fatal("no undo entry after a commit: the test proves nothing")
				}
				c = mustOpen(t, path, cache.Options{Now: newClock().Now})
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			got := dump(t, path)
			if _, ok := got["domains/a.example"]; !ok || len(got) != 1 {
				t.Errorf("file holds %v, want only domains/a.example", got)
			}
		})
	}
}

// dump reads every entry of a closed cache file, bucket/key to value,
// the format marker aside.
func dump(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := make(map[string]string)
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == "meta" {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rawPut(t *testing.T, path, bucket, key, value string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).Put([]byte(key), []byte(value))
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
