package pipeline

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// BenchmarkDedup measures the reader's per-row domain bookkeeping on a
// million rows over 100k domains, drawn as the benchmark harness's lists
// are: half from a Zipf head, half uniformly. Each row's domain is a
// string of its own, as the parser makes it, not the table's copy.
func BenchmarkDedup(b *testing.B) {
	const domains, rows = 100_000, 1_000_000
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.2, 1, domains-1)
	keys := make([]string, rows)
	for i := range keys {
		d := r.IntN(domains)
		if r.IntN(2) == 0 {
			d = int(z.Uint64())
		}
		keys[i] = strings.Clone(fmt.Sprintf("d%d.mxbench.net", d))
	}
	b.ReportAllocs()
	t := newTable()
	i := 0
	for b.Loop() {
		t.add(keys[i%rows])
		i++
	}
}
