package cache

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The history of runs lives in buckets of its own, made by the first run
// that records one, so that a cache written before them reads as it was.
var (
	bucketRuns    = []byte("runs")   // sequence number (8 bytes, big-endian) → one run's counts
	bucketReport  = []byte("report") // keyLastReport → the last run's page data
	keyLastReport = []byte("last")
)

// HistoryRuns is how many runs the history keeps; older ones are dropped
// as new ones come.
const HistoryRuns = 400

// ErrNoReport: no run has stored its report in the cache yet.
var ErrNoReport = errors.New("no run has stored a report in this cache yet")

// AddRun appends a run's counts (run, an opaque record such as JSON) to
// the history, keeping the last HistoryRuns, and stores page as the last
// run's report data when it is not nil. Both are written at once, in a
// transaction of their own.
func (c *Cache) AddRun(run, page []byte) error {
	if c.broken.Load() {
		return c.errOr(fmt.Errorf("write cache %s: unusable", c.path))
	}
	err := guard(func() error {
		return c.db.Update(func(tx *bolt.Tx) error {
			runs, err := tx.CreateBucketIfNotExists(bucketRuns)
			if err != nil {
				return err
			}
			seq, err := runs.NextSequence()
			if err != nil {
				return err
			}
			if err := runs.Put(seqKey(seq), run); err != nil {
				return err
			}
			// Keys ascend with the sequence: the first ones are the oldest.
			// They are gathered before deleting, since a cursor that
			// deletes skips the next key.
			var keys [][]byte
			cur := runs.Cursor()
			for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
				keys = append(keys, append([]byte(nil), k...))
			}
			for _, k := range keys[:max(0, len(keys)-HistoryRuns)] {
				if err := runs.Delete(k); err != nil {
					return err
				}
			}
			if page == nil {
				return nil
			}
			rep, err := tx.CreateBucketIfNotExists(bucketReport)
			if err != nil {
				return err
			}
			return rep.Put(keyLastReport, page)
		})
	})
	if err != nil {
		return c.storeFailed(err)
	}
	return nil
}

// Runs returns the last n runs of the history (at most HistoryRuns),
// oldest first.
func (c *Cache) Runs(n int) ([][]byte, error) {
	var out [][]byte
	err := guard(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			runs := tx.Bucket(bucketRuns)
			if runs == nil || n <= 0 {
				return nil
			}
			cur := runs.Cursor()
			for k, v := cur.Last(); k != nil && len(out) < n; k, v = cur.Prev() {
				out = append(out, append([]byte(nil), v...))
			}
			return nil
		})
	})
	if err != nil {
		return nil, c.storeFailed(err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// LastReport returns the report data the last run stored, or ErrNoReport.
func (c *Cache) LastReport() ([]byte, error) {
	var out []byte
	err := guard(func() error {
		return c.db.View(func(tx *bolt.Tx) error {
			if rep := tx.Bucket(bucketReport); rep != nil {
				if v := rep.Get(keyLastReport); v != nil {
					out = append([]byte(nil), v...)
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, c.storeFailed(err)
	}
	if out == nil {
		return nil, fmt.Errorf("cache %s: %w", c.path, ErrNoReport)
	}
	return out, nil
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, seq)
}

// storeFailed sorts an error of the history's transactions as Commit does
// its own: damaged pages make the cache unusable (ErrCorrupt), anything
// else is returned as it is.
func (c *Cache) storeFailed(err error) error {
	var pe *panicError
	if errors.As(err, &pe) {
		c.failRead(err)
		return c.errOr(corrupt(c.path, err))
	}
	return fmt.Errorf("cache %s: history: %w", c.path, err)
}

// errOr is the cache's first error, or err if it has none.
func (c *Cache) errOr(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	return err
}
