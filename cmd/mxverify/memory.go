package main

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// limitMemory bounds the garbage collector's headroom on large runs. Most
// of mxverify's heap is tables that live for the whole run (an entry per
// domain and per mail host); Go's default lets the heap grow to twice what
// is live before collecting, which for a list of a million domains is
// hundreds of MB of garbage. A soft memory limit of live + max(live/2,
// 128 MiB), renewed as the tables grow, keeps small runs exactly as fast
// (the limit is never reached) and large ones within 1.5 times their live
// heap. GOMEMLIMIT, when set, is the user's choice and is left alone.
func limitMemory(ctx context.Context) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		live := int64(sample[0].Value.Uint64())
		const floor = 128 << 20
		// The limit covers the runtime's own memory too (stacks, metadata).
		debug.SetMemoryLimit(live + max(live/2, floor) + 64<<20)
	}
	set()
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				set()
			}
		}
	}()
}
