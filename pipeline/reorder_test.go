package pipeline

import (
	"math/rand/v2"
	"testing"
)

// TestReorder hands results over in shuffled windows, some far ahead of
// the one due, and checks that they come out in index order, each once.
func TestReorder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, window := range []int{1, 7, 256, 5000} {
		var q reorder
		const n = 20_000
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		// Shuffle within windows: a result is never more than window
		// places from where it is due.
		for lo := 0; lo < n; lo += window {
			hi := min(lo+window, n)
			r.Shuffle(hi-lo, func(i, j int) { order[lo+i], order[lo+j] = order[lo+j], order[lo+i] })
		}
		next := 0
		for _, i := range order {
			q.put(done{index: i})
			for {
				d, ok := q.pop()
				if !ok {
					break
				}
				if d.index != next {
					t.Fatalf("window %d: popped %d, want %d", window, d.index, next)
				}
				next++
			}
		}
		if next != n {
			t.Errorf("window %d: popped %d results, want %d", window, next, n)
		}
	}
}
