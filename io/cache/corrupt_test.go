package cache_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/verify"
)

// validCache writes a cache big enough to span many pages (branch, leaf
// and overflow) and returns its bytes.
func validCache(t *testing.T, n int) []byte {
	t.Helper()
	path := tempPath(t)
	c := mustOpen(t, path, cache.Options{Now: func() time.Time { return t0 }})
	for i := range n {
		res := deliverable(fmt.Sprintf("d%05d.example", i), 86400, t0)
		if i%97 == 0 {
			res.Reason = strings.Repeat("long reason ", 500) // an overflow page
		}
		c.Put(res)
		c.PutHost(verify.Host{Name: fmt.Sprintf("mx.d%05d.example", i), Outcome: verify.Found, TTL: 86400})
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// foreignBolt makes another program's bolt database.
func foreignBolt(t *testing.T, fn func(*bolt.Tx) error) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withMeta(format string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return b.Put([]byte("format"), []byte(format))
	}
}

// wantCorrupt checks the error a user sees for a bad file.
func wantCorrupt(t *testing.T, err error, path, what string) {
	t.Helper()
	if !errors.Is(err, cache.ErrCorrupt) {
		t.Fatalf("error %v is not ErrCorrupt", err)
	}
	msg := err.Error()
	hint := fmt.Sprintf("move it aside (mv %s %s.bad) and run again to start a fresh cache", path, path)
	for _, want := range []string{"cache " + path + " " + what, hint} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

func TestCorruptFiles(t *testing.T) {
	valid := validCache(t, 2000)
	pageSize := int(binary.LittleEndian.Uint32(valid[16+8:])) // meta: magic, version, pageSize
	if pageSize < 512 || len(valid)%pageSize != 0 {
		t.Fatalf("page size %d does not divide the %d-byte file", pageSize, len(valid))
	}
	// The high-water mark: the page count the newer meta page claims
	// (page header 16 bytes; in the meta, pgid at 40 and txid at 48).
	metaAt := func(i int, off int) uint64 { return binary.LittleEndian.Uint64(valid[i*pageSize+16+off:]) }
	hwm := metaAt(0, 40)
	if metaAt(1, 48) > metaAt(0, 48) {
		hwm = metaAt(1, 40)
	}
	inUse := int(hwm) * pageSize
	if inUse > len(valid) || inUse < 4*pageSize {
		t.Fatalf("high-water mark %d pages in a %d-byte file", hwm, len(valid))
	}
	flipMetas := bytes.Clone(valid)
	flipMetas[40] ^= 0xff            // meta 0's root bucket: checksum fails
	flipMetas[pageSize+40] ^= 0xff   // meta 1's
	wrongMagic := bytes.Clone(valid) // both meta pages of another format
	copy(wrongMagic[16:], "XXXX")    // meta 0 magic
	copy(wrongMagic[pageSize+16:], "XXXX")

	tests := []struct {
		name string
		data []byte
		what string
	}{
		{"garbage", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096), "is corrupt or not an mxverify cache"},
		{"csv", []byte("email,name\nalice@example.com,Alice\n"), "is corrupt or not an mxverify cache"},
		{"one byte", []byte{0}, "is corrupt or not an mxverify cache"},
		{"truncated to 100 bytes", valid[:100], "is corrupt or not an mxverify cache"},
		// bbolt reads the freelist while opening, so a truncation can show
		// as a bad freelist page as well as a short file.
		{"truncated to the meta pages", valid[:2*pageSize], ""},
		{"truncated to half", valid[:inUse/2], ""},
		{"truncated by one page in use", valid[:inUse-pageSize], ""},
		{"truncated mid-page", valid[:inUse-pageSize/2], ""},
		{"both meta pages damaged", flipMetas, "is corrupt or not an mxverify cache"},
		{"meta magic", wrongMagic, "is corrupt or not an mxverify cache"},
		{"foreign bolt db", foreignBolt(t, func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("widgets"))
			return err
		}), "is not an mxverify cache"},
		{"bolt db with a foreign meta bucket", foreignBolt(t, withMeta("something-else/1")), "is not an mxverify cache"},
		{"newer format", foreignBolt(t, withMeta("mxverify-cache/2")), "was written by a newer mxverify (cache format 2, this one reads 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tempPath(t)
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := cache.Open(path, cache.Options{})
			if err == nil {
				c.Close()
				t.Fatal("Open succeeded")
			}
			wantCorrupt(t, err, path, tt.what)
			// Never discarded or repaired: the user decides.
			if after, _ := os.ReadFile(path); !bytes.Equal(after, tt.data) {
				t.Error("Open changed the file")
			}
			// And the lock is released: moving the file aside is not needed
			// to free it for another attempt.
			if c, err := cache.Open(path, cache.Options{}); !errors.Is(err, cache.ErrCorrupt) {
				if c != nil {
					c.Close()
				}
				t.Errorf("second Open: %v, want ErrCorrupt again", err)
			}
		})
	}
}

func TestCorruptHintQuotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my cache's.db")
	if err := os.WriteFile(path, []byte("not a cache"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := cache.Open(path, cache.Options{})
	q := "'" + strings.ReplaceAll(path, "'", `'\''`) + "'"
	qbad := "'" + strings.ReplaceAll(path+".bad", "'", `'\''`) + "'"
	if want := "(mv " + q + " " + qbad + ")"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v does not say %s", err, want)
	}
}

// TestFlippedBytes damages a valid cache's data pages at random: whatever
// bbolt makes of them, Open, Lookup, GetHost, Put and Close must not panic,
// and any error is ErrCorrupt with the hint.
func TestFlippedBytes(t *testing.T) {
	const entries = 600
	valid := validCache(t, entries)
	pageSize := int(binary.LittleEndian.Uint32(valid[16+8:]))
	seeds := 150
	if testing.Short() {
		seeds = 20
	}
	var openFailed, readFailed, survived int
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 0))
		data := bytes.Clone(valid)
		for range 1 + rng.IntN(8) {
			off := 2*pageSize + rng.IntN(len(data)-2*pageSize)
			if rng.IntN(2) == 0 {
				off -= off % pageSize // a page header: id, flags, count, overflow
				off += rng.IntN(16)
			}
			data[off] ^= byte(1 + rng.IntN(255))
		}
		path := filepath.Join(t.TempDir(), fmt.Sprintf("flip%d.db", seed))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		err := useCache(path, entries)
		switch {
		case err == nil:
			survived++
		case errors.Is(err, errOpen):
			openFailed++
		default:
			readFailed++
		}
		if err != nil {
			if !errors.Is(err, cache.ErrCorrupt) || !strings.Contains(err.Error(), "move it aside") {
				t.Errorf("seed %d: %v, want ErrCorrupt with the hint", seed, err)
			}
		}
	}
	t.Logf("%d damaged files: %d refused by Open, %d found damaged while reading, %d read without error", seeds, openFailed, readFailed, survived)
}

var errOpen = errors.New("open")

// useCache does what a run does with a cache, and returns the first error.
func useCache(path string, entries int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	c, err := cache.Open(path, cache.Options{Now: func() time.Time { return t0 }, CommitEvery: time.Hour})
	if err != nil {
		return fmt.Errorf("%w: %w", errOpen, err)
	}
	for i := range entries {
		d := fmt.Sprintf("d%05d.example", i)
		res, found, fresh := c.Lookup(d)
		c.GetHost("mx." + d)
		if !found || !fresh {
			c.Put(deliverable(d, 86400, t0))
		} else {
			c.Put(res)
		}
		if i%200 == 0 {
			if err := c.Commit(); err != nil {
				c.Close()
				return err
			}
		}
	}
	if _, _, err := c.Len(); err != nil {
		c.Close()
		return err
	}
	return c.Close()
}

func TestBadEntry(t *testing.T) {
	// One undecodable value is a miss, counted, and the next Put heals it.
	path := tempPath(t)
	c := mustOpen(t, path, cache.Options{Now: newClock().Now})
	c.Put(deliverable("good.example", 3600, t0))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("domains"))
		if err := b.Put([]byte("json.example"), []byte("{not json")); err != nil {
			return err
		}
		if err := b.Put([]byte("version.example"), []byte(`{"v":7,"expires":1e12,"result":{"status":"deliverable"}}`)); err != nil {
			return err
		}
		if err := b.Put([]byte("status.example"), []byte(`{"v":1,"expires":1e12,"result":{"status":"splendid"}}`)); err != nil {
			return err
		}
		return tx.Bucket([]byte("hosts")).Put([]byte("mx.example"), []byte("]"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	clk := newClock()
	c = mustOpen(t, path, cache.Options{Now: clk.Now})
	for _, d := range []string{"json.example", "version.example", "status.example"} {
		if _, found, _ := c.Lookup(d); found {
			t.Errorf("%s: found", d)
		}
	}
	if _, ok := c.GetHost("mx.example"); ok {
		t.Error("bad host entry found")
	}
	if _, found, fresh := c.Lookup("good.example"); !found || !fresh {
		t.Error("good entry lost")
	}
	if s := c.Stats(); s.DecodeErrors != 4 || s.Misses != 3 || s.HostMisses != 1 || s.Hits != 1 {
		t.Errorf("Stats = %+v, want 4 decode errors, 3+1 misses, 1 hit", s)
	}
	c.Put(deliverable("json.example", 3600, t0))
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c = mustOpen(t, path, cache.Options{Now: clk.Now})
	if _, found, fresh := c.Lookup("json.example"); !found || !fresh {
		t.Error("Put did not replace the bad entry")
	}
}
