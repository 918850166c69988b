package parquetio

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mxverify/mxverify/io/rowio"
)

// A nested field (a list, a map, a struct, a repeated column) is rebuilt
// from its leaves' levels, the record assembly of the Dremel paper, into a
// tree of group and list nodes, then written as JSON: rowio has no nested
// values, and JSON keeps them readable in CSV and nested in JSONL.

type groupNode struct{ vals []any } // one slot per child field

type listNode struct{ items []any }

// entry is one value of a leaf with its levels.
type entry struct {
	v      any
	rl, dl int32
}

var errLevels = errors.New("inconsistent repetition and definition levels")

// leafPath is the path of fields from a top-level field down to one of its
// leaves, with the index of each next field among its parent's children.
type leafPath struct {
	chain []*Field
	child []int
}

func pathTo(leaf *Field) leafPath {
	var p leafPath
	for f := leaf; f != nil; f = f.parent {
		p.chain = append([]*Field{f}, p.chain...)
	}
	for k := 0; k+1 < len(p.chain); k++ {
		for i, c := range p.chain[k].children {
			if c == p.chain[k+1] {
				p.child = append(p.child, i)
			}
		}
	}
	return p
}

// assemble adds one leaf's entries for a row to the tree under root, a slot
// holding the top-level field's value.
func assemble(root *any, p leafPath, entries []entry, decode decodeFunc) error {
	// idx[j] is the current element index in the list of the j-th repeated
	// field of the chain (repetition level j+1).
	var idx [maxSchemaDepth]int
	for k, e := range entries {
		if k == 0 && e.rl != 0 || k > 0 && e.rl == 0 {
			return errLevels
		}
		for j := range idx {
			switch {
			case j+1 == int(e.rl):
				idx[j]++
			case j+1 > int(e.rl):
				idx[j] = 0
			}
		}
		slot := root
		for k, f := range p.chain {
			if e.dl < f.def {
				// Not defined at this field: a null, or an empty list when
				// the field is repeated (its parent is defined).
				if f.Repeated() && *slot == nil {
					*slot = &listNode{}
				}
				break
			}
			if f.Repeated() {
				if *slot == nil {
					*slot = &listNode{}
				}
				l, ok := (*slot).(*listNode)
				if !ok {
					return errLevels
				}
				i := idx[f.repLevel-1]
				switch {
				case i == len(l.items):
					l.items = append(l.items, nil)
				case i > len(l.items):
					return errLevels
				}
				slot = &l.items[i]
			}
			if f.Leaf() {
				if e.dl == f.def {
					v, err := decode(e.v)
					if err != nil {
						return err
					}
					*slot = v
				}
				break
			}
			if *slot == nil {
				*slot = &groupNode{vals: make([]any, len(f.children))}
			}
			g, ok := (*slot).(*groupNode)
			if !ok {
				return errLevels
			}
			slot = &g.vals[p.child[k]]
		}
	}
	return nil
}

// groupShape is how the value of a group is written as JSON, and so how
// that JSON is read back (jsonParser): one rule for both directions.
type groupShape int

const (
	shapeStruct  groupShape = iota // an object keyed by the children's names
	shapeList                      // LIST: an array of the element field's values
	shapeRecords                   // LIST, two-level: an array of the repeated field's values
	shapeMap                       // MAP: an object keyed by the keys' text
)

// shapeOf follows parquet-format's LogicalTypes.md. In a LIST the element
// is the repeated group's only child, unless the group is a legacy
// two-level list whose records are the elements (the backward
// compatibility rules: a repeated primitive, a group of several fields, or
// one named "array" or "<list>_tuple"). A MAP whose keys are not a
// primitive, or a LIST or MAP of another layout, is written as the struct
// it is.
func shapeOf(f *Field) groupShape {
	if len(f.children) != 1 || !f.children[0].Repeated() {
		return shapeStruct
	}
	r := f.children[0]
	switch f.logical.kind {
	case lList:
		if len(r.children) == 1 && r.name != "array" && r.name != f.name+"_tuple" {
			return shapeList
		}
		return shapeRecords
	case lMap:
		if len(r.children) == 2 && r.children[0].Leaf() && !r.children[0].Repeated() {
			return shapeMap
		}
	}
	return shapeStruct
}

// appendJSON writes the value v of field f. A repeated field's value is the
// list of its occurrences; LIST- and MAP-annotated groups become arrays and
// objects.
func appendJSON(b []byte, f *Field, v any, repeated bool) ([]byte, error) {
	if v == nil {
		if repeated {
			return append(b, "[]"...), nil
		}
		return append(b, "null"...), nil
	}
	if repeated {
		l, ok := v.(*listNode)
		if !ok {
			return nil, errLevels
		}
		b = append(b, '[')
		for i, x := range l.items {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, f, x, false); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	if f.Leaf() {
		return appendLeafJSON(b, v)
	}
	g, ok := v.(*groupNode)
	if !ok {
		return nil, errLevels
	}
	switch shapeOf(f) {
	case shapeList:
		r := f.children[0]
		return appendElements(b, r, g.vals[0], r.children[0], func(x any) any { return x.(*groupNode).vals[0] })
	case shapeRecords:
		return appendJSON(b, f.children[0], g.vals[0], true)
	case shapeMap:
		return appendMap(b, f.children[0], g.vals[0])
	}
	b = append(b, '{')
	for i, c := range f.children {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendString(b, c.name); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendJSON(b, c, g.vals[i], c.Repeated()); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendElements writes the list of records of repeated group r as an array
// of their element field's values.
func appendElements(b []byte, r *Field, v any, elem *Field, get func(any) any) ([]byte, error) {
	if v == nil {
		return append(b, "[]"...), nil
	}
	l, ok := v.(*listNode)
	if !ok {
		return nil, errLevels
	}
	b = append(b, '[')
	for i, x := range l.items {
		if i > 0 {
			b = append(b, ',')
		}
		if _, ok := x.(*groupNode); !ok {
			return nil, errLevels
		}
		var err error
		if b, err = appendJSON(b, elem, get(x), elem.Repeated()); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendMap writes a map's key-value records as an object keyed by the
// keys' text.
func appendMap(b []byte, kv *Field, v any) ([]byte, error) {
	if v == nil {
		return append(b, "{}"...), nil
	}
	l, ok := v.(*listNode)
	if !ok {
		return nil, errLevels
	}
	b = append(b, '{')
	for i, x := range l.items {
		g, ok := x.(*groupNode)
		if !ok {
			return nil, errLevels
		}
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendString(b, rowio.Text(g.vals[0])); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendJSON(b, kv.children[1], g.vals[1], kv.children[1].Repeated()); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendLeafJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float32:
		return appendFloat(b, float64(x), 32), nil
	case float64:
		return appendFloat(b, x, 64), nil
	case json.Number:
		return append(b, x...), nil
	case time.Time:
		return appendString(b, x.Format(time.RFC3339Nano))
	}
	m, err := json.Marshal(v) // []byte as base64, as encoding/json does
	if err != nil {
		return nil, err
	}
	return append(b, m...), nil
}

func appendString(b []byte, s string) ([]byte, error) {
	m, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(b, m...), nil
}

// appendFloat writes NaN and the infinities, which JSON has no numbers for,
// as strings.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendQuote(b, fmt.Sprint(f))
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}
