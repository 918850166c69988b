package cache_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/verify"
)

func Example() {
	dir, err := os.MkdirTemp("", "mxverify")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mxverify.cache")
	start := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }

	// Night one: a 5-minute TTL is floored to MinAge (1h by default).
	c, err := cache.Open(path, cache.Options{Now: clock})
	if err != nil {
		panic(err)
	}
	c.Put(verify.Result{Domain: "example.com", Status: verify.NXDomain, TTL: 300, CheckedAt: now})
	c.Put(verify.Result{Domain: "flaky.example", Status: verify.TempError, CheckedAt: now})
	if err := c.Close(); err != nil {
		panic(err)
	}

	// Later runs reuse it while it is fresh, and still see it once expired.
	for _, later := range []time.Duration{30 * time.Minute, 2 * time.Hour} {
		now = start.Add(later)
		c, err := cache.Open(path, cache.Options{Now: clock})
		if err != nil {
			panic(err)
		}
		for _, d := range []string{"example.com", "flaky.example"} {
			res, found, fresh := c.Lookup(d)
			fmt.Printf("+%s %s: found=%v fresh=%v status=%q\n", later, d, found, fresh, res.Status)
		}
		c.Close()
	}
	// Output:
	// +30m0s example.com: found=true fresh=true status="nxdomain"
	// +30m0s flaky.example: found=false fresh=false status=""
	// +2h0m0s example.com: found=true fresh=false status="nxdomain"
	// +2h0m0s flaky.example: found=false fresh=false status=""
}
