package cache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/verify"
)

// BenchmarkPutLookup is the collector's path for a new domain: Put, then
// a Lookup of it (from the buffer, or from the file once the committer
// ran), with background commits at their real pace.
func BenchmarkPutLookup(b *testing.B) {
	c := mustOpen(b, tempPath(b), cache.Options{CommitEvery: time.Second, Now: func() time.Time { return t0 }})
	res := deliverable("example.com", 3600, t0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res.Domain = fmt.Sprintf("d%d.example", i%100000)
		i++
		c.Put(res)
		if _, found, _ := c.Lookup(res.Domain); !found {
			b.Fatal("not found")
		}
	}
}

// BenchmarkLookupCommitted is a cached night: every Lookup reads and
// decodes an entry from the file.
func BenchmarkLookupCommitted(b *testing.B) {
	c := mustOpen(b, tempPath(b), cache.Options{Now: func() time.Time { return t0 }})
	const n = 10000
	for i := range n {
		c.Put(deliverable(fmt.Sprintf("d%d.example", i), 3600, t0))
		c.PutHost(verify.Host{Name: fmt.Sprintf("mx.d%d.example", i), Outcome: verify.Found, TTL: 3600})
	}
	if err := c.Commit(); err != nil {
		b.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("d%d.example", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, _, fresh := c.Lookup(names[i%n]); !fresh {
			b.Fatal("miss")
		}
		i++
	}
}

// BenchmarkOpen measures Open of a cache of 100k domains and their hosts,
// which reads every page header once.
func BenchmarkOpen(b *testing.B) {
	path := tempPath(b)
	c, err := cache.Open(path, cache.Options{CommitEvery: time.Hour, Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 100000 {
		c.Put(deliverable(fmt.Sprintf("d%d.example", i), 3600, t0))
		c.PutHost(verify.Host{Name: fmt.Sprintf("mx.d%d.example", i), Outcome: verify.Found, TTL: 3600})
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c, err := cache.Open(path, cache.Options{CommitEvery: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
