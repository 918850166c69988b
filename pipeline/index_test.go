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
	want := map[string]int{}
	rows := map[string]int{}
	for range 200_000 {
		d := pick()
		i, isNew := x.add(strings.Clone(d))
		w, seen := want[d]
		if !seen {
			w = len(want)
			want[d] = w
		}
		rows[d]++
		if i != w || isNew == seen {
			t.Fatalf("add(%q) = %d, %v; want %d, %v", d, i, isNew, w, !seen)
		}
	}
	if x.len() != len(want) {
		t.Errorf("len() = %d, want %d", x.len(), len(want))
	}
	for d, n := range rows {
		if got := x.rows(d); got != n {
			t.Errorf("rows(%q) = %d, want %d", d, got, n)
		}
	}
	for _, d := range []string{"never.seen", long + "never"} {
		if got := x.rows(d); got != 0 {
			t.Errorf("rows(%q) = %d for a domain never added", d, got)
		}
	}
}
