// Package cache is the persistent --cache store of mxverify: per-domain
// results and exchange host lookups kept across nightly runs in one
// go.etcd.io/bbolt file, so that a run over the same lists asks DNS only
// for what has expired.
//
// An entry is reused until its DNS TTL runs out, floored by Options.MinAge
// (a 5-minute TTL must not force a query every night) and capped by
// Options.MaxAge. Negative answers (nxdomain, no_mx) carry their RFC 2308
// negative TTL in verify.Result.TTL and are kept the same way; temp_error
// and invalid results are never kept. Expiry is decided when an entry is
// read, from when DNS answered and the reading run's ages, so that a lower
// --cache-max-age applies to entries already stored; Options.Refresh picks
// entries to ask again whatever their age.
//
// Writes are buffered in memory and committed in one transaction every
// Options.CommitEvery (1s), so that a run killed with SIGKILL and started
// again asks only for what its last second had not committed, while the
// resolver goroutines never wait for a disk sync. Each commit also keeps
// the values it overwrote, so that Rollback can leave the file as the run
// found it (a resolver outage must not change what the cache knows);
// Close, or the next Open after a crash, forgets them.
//
// A Cache is safe for concurrent use. It implements pipeline.Cache and
// verify.HostStore.
package cache

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/mxverify/mxverify/verify"
)

// Defaults for zero Options fields.
const (
	DefaultMaxAge      = 24 * time.Hour
	DefaultMinAge      = time.Hour
	DefaultCommitEvery = time.Second
)

// lockRetry is how often a waiting Open tries the lock again.
const lockRetry = 50 * time.Millisecond

// fileMode keeps the cache private to its owner: it lists the domains of
// the mailing lists it was built from.
const fileMode = 0o600

// Options configure a Cache.
type Options struct {
	// MaxAge caps how long an entry is reused, whatever its TTL
	// (--cache-max-age); default 24h.
	MaxAge time.Duration
	// MinAge floors it (--cache-min-age). MinAge > MaxAge is an error. It
	// defaults to 1h only when MaxAge is zero too (zero Options), so that a
	// caller who sets MaxAge can ask for no floor with 0.
	MinAge time.Duration
	// LockTimeout is how long Open waits for another run to release the
	// file (--lock-timeout). 0 fails at once.
	LockTimeout time.Duration
	// CommitEvery is how often buffered writes reach the file: what a
	// crash can lose. Default 1s.
	CommitEvery time.Duration
	// Now is the clock for expiry; default time.Now. Lock waits and commit
	// ticks use real time.
	Now func() time.Time
	// Refresh, when set, picks stored results to ask DNS again whatever
	// their age (--refresh, --refresh-status): Lookup reports them found
	// but not fresh, and Stats counts them as Refreshed misses.
	Refresh func(verify.Status) bool
	// RefreshHosts makes every mail host lookup miss, so that a refreshed
	// domain's hosts are asked again too (--refresh).
	RefreshHosts bool
}

// Errors of Open (and of Commit and Close for ErrCorrupt, when a damaged
// page is only met while reading). Both mean exit status 1; their messages
// name the file and say what to do.
var (
	// ErrLocked: another process holds the cache file.
	ErrLocked = errors.New("cache is in use")
	// ErrCorrupt: the file is damaged or belongs to another program. It is
	// never discarded silently: the user must move it aside.
	ErrCorrupt = errors.New("cache is corrupt or not an mxverify cache")
)

type lockedError struct {
	path   string
	waited time.Duration // the timeout the user gave, not the clock's view of it
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("cache %s is in use by another mxverify run (waited %s); try again later or raise --lock-timeout",
		e.path, e.waited)
}

func (e *lockedError) Unwrap() error { return ErrLocked }

type corruptError struct {
	path string
	what string // "is corrupt or not an mxverify cache", ...
	err  error  // the cause, possibly nil
}

func (e *corruptError) Error() string {
	cause := ""
	if e.err != nil {
		cause = " (" + e.err.Error() + ")"
	}
	q := shellQuote(e.path)
	return fmt.Sprintf("cache %s %s%s: move it aside (mv %s %s) and run again to start a fresh cache",
		e.path, e.what, cause, q, shellQuote(e.path+".bad"))
}

func (e *corruptError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrCorrupt}
	}
	return []error{ErrCorrupt, e.err}
}

func corrupt(path string, err error) error {
	return &corruptError{path: path, what: "is corrupt or not an mxverify cache", err: err}
}

// shellQuote makes the hint safe to paste for any file name.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:=@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// panicError is a panic of bbolt (or a fault reading the mapped file)
// turned into an error.
type panicError struct{ v any }

func (e *panicError) Error() string { return fmt.Sprintf("reading it failed: %v", e.v) }

// guard runs fn and turns a panic into an error. bbolt trusts the file's
// pages: a damaged one makes it panic, or fault on a pointer out of the
// mapping (SIGSEGV) or past the end of a truncated file (SIGBUS), which
// would kill the process without SetPanicOnFault. A bad cache must end the
// run with a message, never a crash.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{r}
		}
	}()
	return fn()
}

// Stats counts lookups since Open.
type Stats struct {
	// Hits are fresh domain results. Misses are domains not found, found
	// expired, picked by Options.Refresh, or undecodable; Expired and
	// Refreshed count those expired and those picked among them.
	Hits, Misses, Expired, Refreshed int64
	// HostHits and HostMisses count GetHost calls.
	HostHits, HostMisses int64
	// DecodeErrors are entries that could not be read and were treated as
	// misses; the next Put of the name overwrites them.
	DecodeErrors int64
}

// Cache is an open cache file. See the package comment.
type Cache struct {
	path   string
	db     *bolt.DB
	now    func() time.Time
	minAge time.Duration
	maxAge time.Duration

	refresh      func(verify.Status) bool
	refreshHosts bool

	mu                 sync.Mutex // guards the shelves' maps
	domains            shelf[verify.Result]
	hosts              shelf[verify.Host]
	commitMu           sync.Mutex // one Commit at a time
	err                error      // first commit error, returned by Commit and Close
	broken             atomic.Bool
	hits, misses, exp  atomic.Int64
	refreshed          atomic.Int64
	hostHits, hostMiss atomic.Int64
	decodeErrors       atomic.Int64

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens the cache at path, creating it if it does not exist. It fails
// with ErrLocked when another process has it open (after waiting up to
// opts.LockTimeout) and with ErrCorrupt when the file is damaged or is not
// an mxverify cache. The caller must Close the cache to commit the last
// writes.
func Open(path string, opts Options) (*Cache, error) {
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultMaxAge
		if opts.MinAge == 0 {
			opts.MinAge = DefaultMinAge
		}
	}
	if opts.CommitEvery == 0 {
		opts.CommitEvery = DefaultCommitEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.MaxAge < 0 || opts.MinAge < 0 || opts.LockTimeout < 0 || opts.CommitEvery < 0:
		return nil, fmt.Errorf("cache %s: negative duration in options", path)
	case opts.MinAge > opts.MaxAge:
		return nil, fmt.Errorf("cache %s: minimum age %s is above maximum age %s", path, opts.MinAge, opts.MaxAge)
	}

	db, err := openLocked(path, opts.LockTimeout)
	if err != nil {
		return nil, err
	}
	// dropUndo: a run that crashed keeps what it committed, as a run that
	// ended would.
	if err := guard(func() error {
		if err := prepare(db); err != nil {
			return err
		}
		return dropUndo(db)
	}); err != nil {
		_ = guard(db.Close)
		var (
			ce *corruptError
			pe *panicError
		)
		switch {
		case errors.As(err, &ce):
			return nil, err
		case errors.As(err, &pe) || errors.Is(err, berrors.ErrIncompatibleValue):
			return nil, corrupt(path, err)
		}
		// Creating the buckets of a new cache failed: a full disk, say.
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	}

	c := &Cache{
		path:    path,
		db:      db,
		now:     opts.Now,
		minAge:  opts.MinAge,
		maxAge:  opts.MaxAge,
		refresh: opts.Refresh,

		refreshHosts: opts.RefreshHosts,
		domains:      newShelf(bucketDomains, bucketUndoDomains, encodeDomain, decodeDomain),
		hosts:        newShelf(bucketHosts, bucketUndoHosts, encodeHost, decodeHost),
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
	}
	go c.commitLoop(opts.CommitEvery)
	return c, nil
}

// openLocked opens the bolt file, waiting up to timeout for its lock.
// bbolt's own Timeout of 0 means "wait forever", the wrong default for a
// cron job, so each attempt only tries once and the waiting is done here.
func openLocked(path string, timeout time.Duration) (*bolt.DB, error) {
	start := time.Now()
	for {
		db, err := openOnce(path)
		if !errors.Is(err, berrors.ErrTimeout) {
			return db, err
		}
		waited := time.Since(start)
		if waited >= timeout {
			return nil, &lockedError{path: path, waited: timeout}
		}
		time.Sleep(min(lockRetry, timeout-waited))
	}
}

// openOnce is one bolt.Open, with its errors sorted: the lock is taken,
// the file cannot be opened (a plain error: missing directory, permission),
// or its content is bad (ErrCorrupt).
func openOnce(path string) (*bolt.DB, error) {
	var (
		file    *os.File
		openErr error
	)
	opts := &bolt.Options{
		// Any timeout below bbolt's retry step means one attempt.
		Timeout:      time.Nanosecond,
		FreelistType: bolt.FreelistMapType,
		OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
			file, openErr = os.OpenFile(name, flag, mode)
			return file, openErr
		},
	}
	var db *bolt.DB
	err := guard(func() error {
		var err error
		db, err = bolt.Open(path, fileMode, opts)
		return err
	})
	var pe *panicError
	switch {
	case err == nil:
		return db, nil
	case errors.As(err, &pe):
		// bolt.Open panicked with the file open and locked: release both
		// (the mapping is lost, a small leak on a path that ends the run).
		if file != nil {
			unlock(file)
			_ = file.Close()
		}
		return nil, corrupt(path, err)
	case errors.Is(err, berrors.ErrTimeout):
		return nil, err
	case openErr != nil:
		return nil, fmt.Errorf("open cache: %w", openErr)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		// flock or mmap refused for a reason of the system, not the file.
		return nil, fmt.Errorf("open cache %s: %w", path, err)
	}
	return nil, corrupt(path, err)
}

// Commit writes the buffered entries now, in one transaction. It returns
// the first write error of the cache's life, so that a run whose cache
// could not be saved does not end as if it had.
func (c *Cache) Commit() error {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()

	c.mu.Lock()
	if c.broken.Load() || (len(c.domains.pending) == 0 && len(c.hosts.pending) == 0) {
		err := c.err
		c.mu.Unlock()
		return err
	}
	domains, hosts := c.domains.take(), c.hosts.take()
	c.mu.Unlock()

	err := guard(func() error {
		return c.db.Update(func(tx *bolt.Tx) error {
			if err := c.domains.write(tx, domains); err != nil {
				return err
			}
			return c.hosts.write(tx, hosts)
		})
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	c.domains.settle(domains, err != nil)
	c.hosts.settle(hosts, err != nil)
	if err == nil {
		return c.err
	}
	var pe *panicError
	if errors.As(err, &pe) || errors.Is(err, berrors.ErrIncompatibleValue) {
		// A panic, or a key that turned into a bucket: damaged pages.
		c.fail(corrupt(c.path, err))
	} else if c.err == nil {
		c.err = fmt.Errorf("write cache %s: %w", c.path, err)
	}
	return c.err
}

// fail marks the file as unreadable: from now on the cache answers misses
// and writes nothing, and Commit and Close report err. Called with mu held.
func (c *Cache) fail(err error) {
	if c.broken.Swap(true) {
		return
	}
	c.err = err
}

// failRead is fail for a read path that does not hold mu.
func (c *Cache) failRead(err error) {
	c.mu.Lock()
	c.fail(corrupt(c.path, err))
	c.mu.Unlock()
}

func (c *Cache) commitLoop(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			// The error is kept in c.err for Commit and Close.
			_ = c.Commit()
		}
	}
}

// Close commits what is pending, stops the background commits and closes
// the file: the run's writes stand. Later calls, and a later Rollback,
// return the first call's result.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		err := c.Commit()
		if err == nil {
			if uerr := guard(func() error { return dropUndo(c.db) }); uerr != nil {
				err = fmt.Errorf("write cache %s: %w", c.path, uerr)
			}
		}
		if cerr := guard(c.db.Close); cerr != nil && err == nil {
			err = fmt.Errorf("close cache %s: %w", c.path, cerr)
		}
		c.closeErr = err
	})
	return c.closeErr
}

// Rollback discards what the Cache was given since Open and closes the
// file: writes not yet committed are dropped, and the committed ones are
// undone in one transaction, so that the file holds the entries it held
// before (bbolt's own bookkeeping pages may differ). A run whose answers
// cannot be trusted, such as one stopped by a resolver outage, ends with
// it. Later calls, and a later Close, return the first call's result.
func (c *Cache) Rollback() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.commitMu.Lock()
		c.mu.Lock()
		clear(c.domains.pending)
		clear(c.hosts.pending)
		broken, err := c.broken.Load(), c.err
		c.mu.Unlock()
		c.commitMu.Unlock()
		if !broken {
			err = guard(func() error {
				// A transaction that changes nothing still writes a meta
				// page: a run that committed nothing leaves the file's
				// bytes as they were.
				if !hasUndo(c.db) {
					return nil
				}
				return c.db.Update(func(tx *bolt.Tx) error {
					if err := c.domains.restore(tx); err != nil {
						return err
					}
					return c.hosts.restore(tx)
				})
			})
			if err != nil {
				err = fmt.Errorf("roll back cache %s: %w", c.path, err)
			}
		}
		if cerr := guard(c.db.Close); cerr != nil && err == nil {
			err = fmt.Errorf("close cache %s: %w", c.path, cerr)
		}
		c.closeErr = err
	})
	return c.closeErr
}

// Stats reports the lookups since Open.
func (c *Cache) Stats() Stats {
	return Stats{
		Hits:         c.hits.Load(),
		Misses:       c.misses.Load(),
		Expired:      c.exp.Load(),
		Refreshed:    c.refreshed.Load(),
		HostHits:     c.hostHits.Load(),
		HostMisses:   c.hostMiss.Load(),
		DecodeErrors: c.decodeErrors.Load(),
	}
}

// Path is the cache file's name.
func (c *Cache) Path() string { return c.path }
