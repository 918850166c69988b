package cache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/cache"
)

// BenchmarkCommitOverwrite is a nightly commit: 10k domains already in the
// file get their new results in one transaction.
func BenchmarkCommitOverwrite(b *testing.B) {
	c := mustOpen(b, tempPath(b), cache.Options{Now: func() time.Time { return t0 }})
	const n = 10000
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("d%d.example", i)
		c.Put(deliverable(names[i], 3600, t0))
	}
	if err := c.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range names {
			c.Put(deliverable(d, 3600, t0))
		}
		if err := c.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}
