// Package gcpercent bounds the garbage collector's headroom for a heap that
// lives for the whole run, as mxverify's tables of domains and mail hosts
// do: Go's default lets the heap grow to twice what is live before it
// collects, hundreds of MB of garbage for a list of a million domains.
package gcpercent

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// headroom is the most garbage let grow between collections once the live
// heap is past it; below, Go's default of 100% stands.
const headroom = 128 << 20

// Follow sets the GC percent from the live heap, every half second, until
// stop is called: 100 up to 128 MiB live, then 128 MiB of headroom, and no
// less than 40%. A soft memory limit (debug.SetMemoryLimit) would bound the
// heap as well, but near the limit the runtime returns memory to the OS and
// collects far more often. GOGC, when set, is the user's choice and is left
// alone.
func Follow() (stop func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	ctx, stop := context.WithCancel(context.Background())
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	last := 100
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				continue
			}
			percent := 100
			if live := sample[0].Value.Uint64(); live > headroom {
				percent = max(40, int(100*headroom/live))
			}
			if percent != last {
				debug.SetGCPercent(percent)
				last = percent
			}
		}
	}()
	return stop
}
