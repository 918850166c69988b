package parquetio

import (
	"errors"
	"fmt"
)

// Writing a nested value is the inverse of assemble: the value, a tree of
// groupNode and listNode holding the leaves' encoded values, is cut into
// one entry per leaf with repetition and definition levels (the striping
// of the Dremel paper). Both writers go through shred, so the level rules
// live here and nowhere else.

var errNullRequired = errors.New("null in a required field")

// shred appends the value v of field f, the list of its occurrences when f
// is repeated, to the tables of f's leaves. rl is the repetition level of
// the first entry it appends: 0 at the start of a row, the level of the
// repeated field whose next item this value starts otherwise.
func (fw *fileWriter) shred(f *Field, v any, rl int32) error {
	if !f.Repeated() {
		return fw.shredOne(f, v, rl)
	}
	var items []any
	if v != nil {
		l, ok := v.(*listNode)
		if !ok {
			return fmt.Errorf("%s: %T where a list belongs", f.name, v)
		}
		items = l.items
	}
	if len(items) == 0 {
		// An empty list is defined down to f's parent and no further.
		fw.null(f, rl, f.def-1)
		return nil
	}
	for i, x := range items {
		if i > 0 {
			rl = f.repLevel
		}
		if err := fw.shredOne(f, x, rl); err != nil {
			return err
		}
	}
	return nil
}

// shredOne appends one occurrence of f.
func (fw *fileWriter) shredOne(f *Field, v any, rl int32) error {
	if v == nil {
		if !f.Optional() {
			return fmt.Errorf("%s: %w", f.name, errNullRequired)
		}
		fw.null(f, rl, f.def-1)
		return nil
	}
	if f.Leaf() {
		fw.add(f.leaf, v, rl, f.def)
		return nil
	}
	g, ok := v.(*groupNode)
	if !ok || len(g.vals) != len(f.children) {
		return fmt.Errorf("%s: %T where a group of %d fields belongs", f.name, v, len(f.children))
	}
	for i, c := range f.children {
		if err := fw.shred(c, g.vals[i], rl); err != nil {
			return fmt.Errorf("%s.%w", f.name, err)
		}
	}
	return nil
}

// null appends to every leaf under f an entry that is defined down to
// level dl only.
func (fw *fileWriter) null(f *Field, rl, dl int32) {
	if f.Leaf() {
		fw.add(f.leaf, nil, rl, dl)
		return
	}
	for _, c := range f.children {
		fw.null(c, rl, dl)
	}
}

// add appends one entry to leaf i.
func (fw *fileWriter) add(i int, v any, rl, dl int32) {
	t := &fw.leaves[i].table
	t.Values = append(t.Values, v)
	t.RepetitionLevels = append(t.RepetitionLevels, rl)
	t.DefinitionLevels = append(t.DefinitionLevels, dl)
}

// shredRow shreds one row, a value per top-level field. A value that does
// not fit its field leaves no entry behind, so that the row can be
// reported and skipped; the error names the field.
func (fw *fileWriter) shredRow(vals []any) error {
	for i, l := range fw.leaves {
		fw.marks[i] = len(l.table.Values)
	}
	for i, f := range fw.schema.fields {
		if err := fw.shred(f, vals[i], 0); err != nil {
			for j, l := range fw.leaves {
				t, n := &l.table, fw.marks[j]
				clear(t.Values[n:])
				t.Values, t.DefinitionLevels, t.RepetitionLevels = t.Values[:n], t.DefinitionLevels[:n], t.RepetitionLevels[:n]
			}
			return fmt.Errorf("column %q: %w", f.name, err)
		}
	}
	return nil
}

// nodes hands out the nodes of the trees given to shred from arrays reused
// row after row: shred keeps no node, only the leaves' values, so a row's
// tree can be dropped once it is shredded. Without it every row of a
// nested column costs a dozen small allocations.
//
// A node's slice is carved out of vals with its capacity cut, so that no
// two nodes share elements; when an array grows, the nodes carved before
// keep the old one, which stays alive as long as they do.
type nodes struct {
	groups []groupNode
	lists  []listNode
	vals   []any
}

// reset makes the arrays free for the next row's tree.
func (n *nodes) reset() {
	clear(n.vals) // let the garbage collector have the last row's values
	n.groups, n.lists, n.vals = n.groups[:0], n.lists[:0], n.vals[:0]
}

// group returns a group node of k fields, all nil.
func (n *nodes) group(k int) *groupNode {
	n.groups = append(n.groups, groupNode{vals: n.slice(k)})
	return &n.groups[len(n.groups)-1]
}

// list returns a list node of k items, all nil.
func (n *nodes) list(k int) *listNode {
	n.lists = append(n.lists, listNode{items: n.slice(k)})
	return &n.lists[len(n.lists)-1]
}

// grow returns l with one more item, nil, for lists whose length is not
// known in advance.
func (n *nodes) grow(l *listNode) {
	if len(l.items) < cap(l.items) {
		l.items = l.items[:len(l.items)+1]
		return
	}
	items := n.slice(max(2*len(l.items), 4))
	copy(items, l.items)
	l.items = items[:len(l.items)+1]
}

func (n *nodes) slice(k int) []any {
	if len(n.vals)+k > cap(n.vals) {
		n.vals = make([]any, 0, max(2*cap(n.vals), k, 64))
	}
	s := n.vals[len(n.vals) : len(n.vals)+k : len(n.vals)+k]
	n.vals = n.vals[:len(n.vals)+k]
	return s
}

// listGroup is the value of a three-level LIST (the annotated group, its
// repeated group, the element) whose repeated group's records are l's
// items, each made by listItem.
func (n *nodes) listGroup(l *listNode) *groupNode {
	g := n.group(1)
	g.vals[0] = l
	return g
}

// listItem is one record of a LIST's repeated group, holding element x.
func (n *nodes) listItem(x any) *groupNode {
	g := n.group(1)
	g.vals[0] = x
	return g
}
