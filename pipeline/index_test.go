package pipeline

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestDomainIndex checks the index against a map over a stream that grows
// it many times, repeats domains, and mixes in domains too long for a
// slot, empty and one-byte ones, and domains equal up to the inline length.
func TestDomainIndex(t *testing.T) {
	long := strings.Repeat("x", inlineLen)
	fixed := []string{"", "a", long[:inlineLen-1], long, long + "y", long + "z", "gmail.com", "GMAIL.com"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string {
		switch k := r.IntN(10); {
		case k == 0:
			return fixed[r.IntN(len(fixed))]
		case k == 1:
			return fmt.Sprintf("a-rather-long-name-%d.example.net", r.IntN(3000))
		default:
			return fmt.Sprintf("d%d.example", r.IntN(20000))
		}
	}
	x := newDomainIndex()
	want := map[string]int32{}
	for range 200_000 {
		d := pick()
		i, key, isNew := x.add(strings.Clone(d))
		w, seen := want[d]
		if !seen {
			w = int32(len(want))
			want[d] = w
		}
		if i != w || isNew == seen || key != d {
			t.Fatalf("add(%q) = %d, %q, %v; want %d, %v", d, i, key, isNew, w, !seen)
		}
	}
	if x.len() != len(want) {
		t.Errorf("len() = %d, want %d", x.len(), len(want))
	}
}

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
