package pipeline

import (
	"slices"
	"testing"
)

func TestColumnsUnion(t *testing.T) {
	c := newColumns()
	steps := []struct {
		cols  []string
		to    []int
		names []string
	}{
		{[]string{"Email", "Name", "Phone"}, []int{0, 1, 2}, []string{"Email", "Name", "Phone"}},
		{[]string{"name ", " EMAIL", "Source"}, []int{1, 0, 3}, []string{"Email", "Name", "Phone", "Source"}},
		{[]string{"x", "x", "email"}, []int{4, 5, 0}, []string{"Email", "Name", "Phone", "Source", "x", "x"}},
		// A reader whose columns grew maps its first ones as before.
		{[]string{"x", "x", "email", "new"}, []int{4, 5, 0, 6}, []string{"Email", "Name", "Phone", "Source", "x", "x", "new"}},
	}
	for i, s := range steps {
		if to := c.add(s.cols); !slices.Equal(to, s.to) || !slices.Equal(c.names, s.names) {
			t.Errorf("step %d: add(%q) = %v, names %q; want %v, %q", i, s.cols, to, c.names, s.to, s.names)
		}
	}
	if !identity([]int{0, 1}, 2) || identity([]int{0, 1}, 3) || identity([]int{1, 0}, 2) {
		t.Error("identity")
	}
}
