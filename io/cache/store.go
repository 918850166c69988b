package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mxverify/mxverify/verify"
)

// The file layout. The meta bucket's format key tells an mxverify cache
// from any other bolt file, and its version lets a later mxverify refuse a
// layout it does not know instead of misreading it.
var (
	bucketMeta    = []byte("meta")
	bucketDomains = []byte("domains")
	bucketHosts   = []byte("hosts")
	keyFormat     = []byte("format")

	// The undo buckets hold, for each key a run has committed, its value
	// before the run (or absent): what Rollback restores. Close drops
	// them, and so does the next Open after a crash, whose commits stand.
	bucketUndoDomains = []byte("undo-domains")
	bucketUndoHosts   = []byte("undo-hosts")
)

// absent is the undo value of a key that was not in the file. A stored
// record is JSON and never starts with a zero byte.
var absent = []byte{0}

const (
	formatMagic   = "mxverify-cache/"
	formatVersion = 1
)

// domainRecord and hostRecord are the stored values. Checked is when DNS
// answered, in Unix seconds: expiry is decided from it when the entry is
// read, with that run's --cache-min-age and --cache-max-age. Expires is
// the expiry the writing run computed; it is still written for older
// mxverify versions and read only for records without Checked. The
// JSON of verify.Result and verify.Host is part of the format: verify.Host's
// Outcome is stored as its number, so renumbering verify's Outcome
// constants (or changing either type's tags) needs a formatVersion bump.
type domainRecord struct {
	Version int           `json:"v"`
	Expires int64         `json:"expires"`
	Checked int64         `json:"checked,omitempty"`
	Result  verify.Result `json:"result"`
}

type hostRecord struct {
	Version int         `json:"v"`
	Expires int64       `json:"expires"`
	Checked int64       `json:"checked,omitempty"`
	Host    verify.Host `json:"host"`
}

// entry is a domain's result or a host's lookup, when DNS gave it and
// the expiry its writer computed (Unix seconds; checked is 0 in records of
// older versions).
type entry[T any] struct {
	val     T
	checked int64
	expires int64
}

// errOldRecord means a stored value this version does not read.
var errOldRecord = errors.New("record of another format version")

// shelf is one bucket's writes not yet in the file: pending Puts, and the
// batch being committed, which lookups still see until its transaction is
// done. Cache.mu guards the maps.
type shelf[T any] struct {
	bucket     []byte
	undo       []byte
	pending    map[string]entry[T]
	committing map[string]entry[T]
	encode     func(entry[T]) any // to the stored record
	decode     func([]byte) (entry[T], error)
}

func newShelf[T any](bucket, undo []byte, encode func(entry[T]) any, decode func([]byte) (entry[T], error)) shelf[T] {
	return shelf[T]{bucket: bucket, undo: undo, pending: make(map[string]entry[T]), encode: encode, decode: decode}
}

func encodeDomain(e entry[verify.Result]) any {
	return domainRecord{Version: formatVersion, Expires: e.expires, Checked: e.checked, Result: e.val}
}

func decodeDomain(v []byte) (entry[verify.Result], error) {
	var rec domainRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return entry[verify.Result]{}, err
	}
	if rec.Version != formatVersion || !rec.Result.Status.Valid() {
		return entry[verify.Result]{}, errOldRecord
	}
	return entry[verify.Result]{val: rec.Result, checked: rec.Checked, expires: rec.Expires}, nil
}

func encodeHost(e entry[verify.Host]) any {
	return hostRecord{Version: formatVersion, Expires: e.expires, Checked: e.checked, Host: e.val}
}

func decodeHost(v []byte) (entry[verify.Host], error) {
	var rec hostRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return entry[verify.Host]{}, err
	}
	if rec.Version != formatVersion {
		return entry[verify.Host]{}, errOldRecord
	}
	return entry[verify.Host]{val: rec.Host, checked: rec.Checked, expires: rec.Expires}, nil
}

// take hands the pending writes over for a commit. Called with mu held.
func (s *shelf[T]) take() map[string]entry[T] {
	batch := s.pending
	s.committing = batch
	s.pending = make(map[string]entry[T], len(batch))
	return batch
}

// settle ends a commit of batch: on failure the batch goes back to pending
// for the next attempt (a full disk may clear), unless a newer Put has
// replaced an entry meanwhile. Called with mu held.
func (s *shelf[T]) settle(batch map[string]entry[T], failed bool) {
	s.committing = nil
	if !failed {
		return
	}
	for k, e := range batch {
		if _, ok := s.pending[k]; !ok {
			s.pending[k] = e
		}
	}
}

// write puts a batch in sorted key order, which keeps the transaction's
// page splits local. The first time the run writes a key, its previous
// value goes to the undo bucket, in the same transaction.
func (s *shelf[T]) write(tx *bolt.Tx, batch map[string]entry[T]) error {
	b := tx.Bucket(s.bucket)
	undo, err := tx.CreateBucketIfNotExists(s.undo)
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(batch)) {
		v, err := json.Marshal(s.encode(batch[k]))
		if err != nil {
			return fmt.Errorf("encode %s: %w", k, err)
		}
		kb := []byte(k)
		if undo.Get(kb) == nil {
			old := absent
			if prev := b.Get(kb); prev != nil {
				// Get's value lives in the mapped file, which the
				// transaction may remap as it grows.
				old = bytes.Clone(prev)
			}
			if err := undo.Put(kb, old); err != nil {
				return fmt.Errorf("store %s: %w", k, err)
			}
		}
		if err := b.Put(kb, v); err != nil {
			return fmt.Errorf("store %s: %w", k, err)
		}
	}
	return nil
}

// hasUndo tells whether the file holds an undo bucket.
func hasUndo(db *bolt.DB) bool {
	var found bool
	_ = db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketUndoDomains) != nil || tx.Bucket(bucketUndoHosts) != nil
		return nil
	})
	return found
}

// restore puts back the values the undo bucket holds and drops it.
func (s *shelf[T]) restore(tx *bolt.Tx) error {
	undo := tx.Bucket(s.undo)
	if undo == nil {
		return nil
	}
	b := tx.Bucket(s.bucket)
	err := undo.ForEach(func(k, v []byte) error {
		if bytes.Equal(v, absent) {
			return b.Delete(k)
		}
		return b.Put(bytes.Clone(k), bytes.Clone(v))
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(s.undo)
}

// dropUndo forgets what the last run wrote over, keeping its writes. It
// writes to the file only when there is an undo bucket, so that a run
// that stored nothing leaves the file as it was.
func dropUndo(db *bolt.DB) error {
	if !hasUndo(db) {
		return nil
	}
	return db.Update(func(tx *bolt.Tx) error {
		for _, u := range [][]byte{bucketUndoDomains, bucketUndoHosts} {
			if err := tx.DeleteBucket(u); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return err
			}
		}
		return nil
	})
}

// get returns key k's entry: a write not yet in the file, else the file's.
// A stored value that cannot be decoded is a miss.
func (s *shelf[T]) get(c *Cache, k string) (entry[T], bool) {
	c.mu.Lock()
	e, ok := s.pending[k]
	if !ok {
		e, ok = s.committing[k]
	}
	c.mu.Unlock()
	if ok || c.broken.Load() {
		return e, ok
	}
	err := guard(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			v := tx.Bucket(s.bucket).Get([]byte(k))
			if v == nil {
				return nil
			}
			var err error
			e, err = s.decode(v)
			ok = err == nil
			return err
		})
	})
	if err != nil {
		c.readFailed(err)
	}
	return e, ok
}

// prepare checks that db is an mxverify cache, or makes it one if it is
// empty (new, or created by a run that died before its first commit).
func prepare(db *bolt.DB) error {
	var fresh, missing bool
	err := db.View(func(tx *bolt.Tx) error {
		// A truncated file keeps valid meta pages that point past its end;
		// reading there would fault, so compare sizes before anything else.
		info, err := os.Stat(db.Path())
		if err != nil {
			return err
		}
		if tx.Size() > info.Size() {
			return &corruptError{path: db.Path(), what: "is truncated",
				err: fmt.Errorf("%d bytes, its pages need %d", info.Size(), tx.Size())}
		}
		if err := scanPages(tx, db.Info().PageSize); err != nil {
			return &corruptError{path: db.Path(), what: "is corrupt", err: err}
		}
		meta := tx.Bucket(bucketMeta)
		if meta != nil {
			missing = tx.Bucket(bucketDomains) == nil || tx.Bucket(bucketHosts) == nil
			return checkFormat(db.Path(), meta.Get(keyFormat))
		}
		if k, _ := tx.Cursor().First(); k != nil {
			return &corruptError{path: db.Path(), what: "is not an mxverify cache",
				err: errors.New("a bolt database without mxverify's format marker")}
		}
		fresh = true
		return nil
	})
	if err != nil || !fresh && !missing {
		return err
	}
	return db.Update(func(tx *bolt.Tx) error {
		if fresh {
			meta, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			if err := meta.Put(keyFormat, []byte(formatMagic+strconv.Itoa(formatVersion))); err != nil {
				return err
			}
		}
		for _, b := range [][]byte{bucketDomains, bucketHosts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanPages reads the header of every page in use. bbolt trusts them: a
// damaged overflow count makes it free billions of pages in a loop (a
// hang, not a panic), and an unknown page type makes it misread data. One
// pass over the headers is cheap next to a night of DNS, and turns these
// into an error before anything is read or written. It does not prove the
// trees sound: bad keys and values are met, and survived, while reading.
func scanPages(tx *bolt.Tx, pageSize int) error {
	hwm := int(tx.Size() / int64(pageSize))
	for id := 2; id < hwm; {
		info, err := tx.Page(id)
		if err != nil {
			return err
		}
		if info == nil {
			break
		}
		switch info.Type {
		case "free":
			id++
			continue
		case "branch", "leaf", "freelist":
		default:
			return fmt.Errorf("page %d has type %s", id, info.Type)
		}
		if info.OverflowCount < 0 || info.OverflowCount >= hwm-id {
			return fmt.Errorf("page %d claims %d overflow pages, past the end of the file (%d pages)", id, info.OverflowCount, hwm)
		}
		id += 1 + info.OverflowCount
	}
	return nil
}

func checkFormat(path string, v []byte) error {
	s, ok := strings.CutPrefix(string(v), formatMagic)
	n, err := strconv.Atoi(s)
	switch {
	case !ok || err != nil || n < 1:
		return &corruptError{path: path, what: "is not an mxverify cache",
			err: fmt.Errorf("format marker %q", v)}
	case n > formatVersion:
		return &corruptError{path: path, what: "was written by a newer mxverify",
			err: fmt.Errorf("cache format %d, this one reads %d", n, formatVersion)}
	}
	return nil
}

// key is the stored form of a name: lower case, no trailing dot, as
// verify already gives them; anything else could never be looked up.
func key(name string) (string, bool) {
	k := verify.FoldName(name)
	return k, k != "" && len(k) <= bolt.MaxKeySize
}

// lifetime is how long an entry with this TTL is reused.
func (c *Cache) lifetime(ttl uint32) time.Duration {
	return min(max(time.Duration(ttl)*time.Second, c.minAge), c.maxAge)
}

// fresh tells whether an entry may still be used. Its expiry is decided
// now, from when DNS answered and this run's MinAge and MaxAge, so that a
// lower --cache-max-age applies to entries already stored. A record of an
// older version, without that time, keeps the expiry it was written with.
func (c *Cache) fresh(checked, expires int64, ttl uint32) bool {
	now := c.now().Unix()
	if checked != 0 {
		expires = checked + int64(c.lifetime(ttl)/time.Second)
	}
	return now < expires
}

// Put buffers a fresh result; the next commit writes it. temp_error says
// nothing about the domain and invalid is decided without DNS, so neither
// is kept: the next run asks (or checks) again. A previous entry for the
// domain then stays, expired, for the changes report. The entry expires at
// res.CheckedAt plus its TTL, floored by MinAge and capped by MaxAge of the
// run that reads it; negative answers carry their RFC 2308 TTL in res.TTL.
func (c *Cache) Put(res verify.Result) {
	if res.Status == verify.TempError || res.Status == verify.Invalid || !res.Status.Valid() {
		return
	}
	k, ok := key(res.Domain)
	if !ok {
		return
	}
	res.Domain = k
	// A CheckedAt after now (a clock stepped back) would let the entry
	// outlive MaxAge.
	checked := res.CheckedAt
	if now := c.now(); checked.IsZero() || checked.After(now) {
		checked = now
	}
	e := entry[verify.Result]{val: res, checked: checked.Unix(), expires: checked.Add(c.lifetime(res.TTL)).Unix()}
	c.mu.Lock()
	c.domains.pending[k] = e
	c.mu.Unlock()
}

// Lookup returns the stored result for domain. found is true for an
// expired entry too, because the changes report needs the previous
// verdict; fresh tells whether it may be used instead of asking DNS. An
// entry that cannot be decoded is a miss. A result Options.Refresh picks
// is found but never fresh.
func (c *Cache) Lookup(domain string) (res verify.Result, found, fresh bool) {
	k, ok := key(domain)
	if !ok {
		c.misses.Add(1)
		return verify.Result{}, false, false
	}
	e, ok := c.domains.get(c, k)
	if !ok {
		c.misses.Add(1)
		return verify.Result{}, false, false
	}
	if !c.fresh(e.checked, e.expires, e.val.TTL) {
		c.misses.Add(1)
		c.exp.Add(1)
		return e.val, true, false
	}
	if c.refresh != nil && c.refresh(e.val.Status) {
		c.misses.Add(1)
		c.refreshed.Add(1)
		return e.val, true, false
	}
	c.hits.Add(1)
	return e.val, true, true
}

// readFailed sorts a read error: a bad value is one miss, a panic means
// the file is damaged, and a closed database (use after Close) is a miss.
func (c *Cache) readFailed(err error) {
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		c.failRead(err)
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
	default:
		c.decodeErrors.Add(1)
	}
}

// PutHost buffers an exchange's address lookup. A failed lookup is not
// kept, like temp_error. The entry expires its TTL, floored by MinAge and
// capped by MaxAge of the run that reads it, from now.
func (c *Cache) PutHost(h verify.Host) {
	if h.Outcome == verify.Failed {
		return
	}
	k, ok := key(h.Name)
	if !ok {
		return
	}
	h.Name = k
	now := c.now()
	e := entry[verify.Host]{val: h, checked: now.Unix(), expires: now.Add(c.lifetime(h.TTL)).Unix()}
	c.mu.Lock()
	c.hosts.pending[k] = e
	c.mu.Unlock()
}

// GetHost returns a fresh stored lookup of the host name, with the TTL it
// was served with. A domain verdict built on it may so outlive the host
// entry by up to --cache-max-age; the cap bounds that, and in exchange a
// resumed run writes exactly what an uninterrupted one would.
func (c *Cache) GetHost(name string) (verify.Host, bool) {
	k, ok := key(name)
	if !ok {
		c.hostMiss.Add(1)
		return verify.Host{}, false
	}
	if c.refreshHosts {
		c.hostMiss.Add(1)
		return verify.Host{}, false
	}
	e, ok := c.hosts.get(c, k)
	if !ok || e.val.Outcome == verify.Failed || !c.fresh(e.checked, e.expires, e.val.TTL) {
		c.hostMiss.Add(1)
		return verify.Host{}, false
	}
	// The TTL stays the one the record was served with, as the in-run
	// cache keeps it: a resumed run then writes what an uninterrupted one
	// would. The entry itself still expires on time.
	c.hostHits.Add(1)
	return e.val, true
}

// Len counts the entries in the file, expired ones included; pending
// writes count once committed.
func (c *Cache) Len() (domains, hosts int, err error) {
	err = guard(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			domains = tx.Bucket(bucketDomains).Stats().KeyN
			hosts = tx.Bucket(bucketHosts).Stats().KeyN
			return nil
		})
	})
	var pe *panicError
	if errors.As(err, &pe) {
		c.failRead(err)
		return 0, 0, corrupt(c.path, err)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read cache %s: %w", c.path, err)
	}
	return domains, hosts, nil
}
