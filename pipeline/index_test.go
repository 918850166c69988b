package pipeline

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDedup measures the index on a million rows over 100k domains,
// drawn as in benchDraws. Each row's domain is a string of its own, as
// the parser makes it.
func BenchmarkDedup(b *testing.B) {
	const rows = 1_000_000
	keys := make([]string, rows)
	for i, d := range benchDraws(rows) {
		keys[i] = strings.Clone(fmt.Sprintf("d%d.mxbench.net", d))
	}
	b.ReportAllocs()
	x := newDomainIndex()
	i := 0
	for b.Loop() {
		x.add(keys[i%rows])
		i++
	}
}
