package pipeline

import (
	"fmt"
	"testing"
)

// BenchmarkDedup measures the reader's per-row domain bookkeeping on a
// list that names 100k domains ten times each.
func BenchmarkDedup(b *testing.B) {
	const domains = 100_000
	names := make([]string, domains)
	for i := range names {
		names[i] = fmt.Sprintf("d%d.mxbench.net", i)
	}
	b.ReportAllocs()
	t := newTable()
	i := 0
	for b.Loop() {
		t.add(names[(i*7919)%domains])
		i++
	}
}
