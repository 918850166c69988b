package parquetio

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
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

// jsonParser reads the JSON text Reader gives for a nested field back into
// the tree shred takes: the inverse of appendJSON, by the same shapeOf. It
// is strict about structure (an array where the schema has a list, an
// object for a struct or a map, a scalar for a leaf) and as lenient about
// leaves as the column encoders are, since a leaf takes what a top-level
// column of its type takes. Numbers stay json.Number text until the leaf's
// encoder converts them, so that int64 and decimals are exact.
//
// It follows the schema, not the text, so its recursion is as deep as the
// schema at most, whatever the text; an error says where in the value it
// is, as a path from $, the field's value.
type jsonParser struct {
	s     jsonScanner
	enc   []encodeFunc // by Field.leaf of the output schema
	path  []byte
	nodes nodes
}

var errNested = errors.New("value does not fit the column's nested type")

// parse reads text, the JSON value of top-level field f. The tree's nodes
// are valid until p.nodes is reset.
func (p *jsonParser) parse(f *Field, text []byte) (any, error) {
	p.s = jsonScanner{b: text}
	p.path = append(p.path[:0], '$')
	v, err := p.value(f, f.Repeated())
	if err != nil {
		return nil, err
	}
	p.path = append(p.path[:0], '$')
	if err := p.s.end(); err != nil {
		return nil, p.wrap(err)
	}
	return v, nil
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: at %s: %s", errNested, p.path, fmt.Sprintf(format, args...))
}

// wrap locates an error of the text or of a leaf's encoder.
func (p *jsonParser) wrap(err error) error {
	return fmt.Errorf("%w: at %s: %w", errNested, p.path, err)
}

// value reads the value of f, the list of its occurrences when repeated.
func (p *jsonParser) value(f *Field, repeated bool) (any, error) {
	tok, err := p.s.token()
	if err != nil {
		return nil, p.wrap(err)
	}
	return p.valueFrom(tok, f, repeated)
}

// valueFrom is value for a value whose first token is read.
func (p *jsonParser) valueFrom(tok json.Token, f *Field, repeated bool) (any, error) {
	if tok == nil {
		// null for a repeated field is an empty list, as the Reader would
		// give [] for it; a value that must be there cannot be null.
		if !repeated && !f.Optional() {
			return nil, p.errorf("%q is required, got null", f.name)
		}
		return nil, nil
	}
	if repeated {
		l, err := p.array(tok, f.name, func() (any, error) { return p.value(f, false) })
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	if f.Leaf() {
		return p.leaf(f, tok)
	}
	switch shapeOf(f) {
	case shapeList:
		elem := f.children[0].children[0]
		l, err := p.array(tok, f.name, func() (any, error) {
			x, err := p.value(elem, elem.Repeated())
			if err != nil {
				return nil, err
			}
			return p.nodes.listItem(x), nil
		})
		if err != nil {
			return nil, err
		}
		return p.nodes.listGroup(l), nil
	case shapeRecords:
		x, err := p.valueFrom(tok, f.children[0], true)
		if err != nil {
			return nil, err
		}
		g := p.nodes.group(1)
		g.vals[0] = x
		return g, nil
	case shapeMap:
		return p.mapValue(tok, f)
	}
	return p.structValue(tok, f)
}

// array reads the items of a JSON array whose '[' is tok.
func (p *jsonParser) array(tok json.Token, name string, item func() (any, error)) (*listNode, error) {
	if tok != json.Delim('[') {
		return nil, p.errorf("want a list for %q, got %s", name, describe(tok))
	}
	l := p.nodes.list(0)
	mark := len(p.path)
	for i := 0; ; i++ {
		more, err := p.s.more(']', i == 0)
		if err != nil {
			return nil, p.wrap(err)
		}
		if !more {
			break
		}
		p.path = strconv.AppendInt(append(p.path[:mark], '['), int64(i), 10)
		p.path = append(p.path, ']')
		x, err := item()
		if err != nil {
			return nil, err
		}
		p.nodes.grow(l)
		l.items[i] = x
	}
	p.path = p.path[:mark]
	return l, nil
}

// mapValue reads a MAP's object: each member is a key-value record, the
// key converted from its text as appendMap wrote it.
func (p *jsonParser) mapValue(tok json.Token, f *Field) (any, error) {
	if tok != json.Delim('{') {
		return nil, p.errorf("want a map for %q, got %s", f.name, describe(tok))
	}
	kv := f.children[0]
	kf, vf := kv.children[0], kv.children[1]
	l := p.nodes.list(0)
	mark := len(p.path)
	for i := 0; ; i++ {
		more, err := p.s.more('}', i == 0)
		if err != nil {
			return nil, p.wrap(err)
		}
		if !more {
			break
		}
		key, err := p.s.key()
		if err != nil {
			return nil, p.wrap(err)
		}
		p.path = append(strconv.AppendQuote(append(p.path[:mark], '['), key), ']')
		var k any = key
		if rawBytes(kf) {
			k = []byte(key) // rowio.Text gave the bytes as they are
		}
		if k, err = p.encode(kf, k); err != nil {
			return nil, fmt.Errorf("%w (the key)", err)
		}
		v, err := p.value(vf, vf.Repeated())
		if err != nil {
			return nil, err
		}
		rec := p.nodes.group(2)
		rec.vals[0], rec.vals[1] = k, v
		p.nodes.grow(l)
		l.items[i] = rec
	}
	p.path = p.path[:mark]
	g := p.nodes.group(1)
	g.vals[0] = l
	return g, nil
}

// structValue reads a struct's object. Members may come in any order; a
// missing one is null (an empty list if repeated), an unknown or repeated
// one is an error, as silently dropping it would lose data.
func (p *jsonParser) structValue(tok json.Token, f *Field) (any, error) {
	if tok != json.Delim('{') {
		return nil, p.errorf("want a struct for %q, got %s", f.name, describe(tok))
	}
	g := p.nodes.group(len(f.children))
	var seen fieldSet
	mark := len(p.path)
	for first := true; ; first = false {
		more, err := p.s.more('}', first)
		if err != nil {
			return nil, p.wrap(err)
		}
		if !more {
			break
		}
		name, err := p.s.key()
		if err != nil {
			return nil, p.wrap(err)
		}
		p.path = append(append(p.path[:mark], '.'), name...)
		i := slices.IndexFunc(f.children, func(c *Field) bool { return c.name == name })
		if i < 0 {
			return nil, p.errorf("struct %q has no field %q", f.name, name)
		}
		if !seen.add(i) {
			return nil, p.errorf("field %q given twice", name)
		}
		c := f.children[i]
		if g.vals[i], err = p.value(c, c.Repeated()); err != nil {
			return nil, err
		}
	}
	p.path = p.path[:mark]
	for i, c := range f.children {
		if !c.Optional() && !c.Repeated() && !seen.has(i) {
			return nil, p.errorf("struct %q lacks its required field %q", f.name, c.name)
		}
	}
	return g, nil
}

// fieldSet is a set of field indexes, without allocating for structs of
// up to 64 fields.
type fieldSet struct {
	small uint64
	big   map[int]bool
}

// add adds i and reports whether it was new.
func (s *fieldSet) add(i int) bool {
	if s.has(i) {
		return false
	}
	if i < 64 {
		s.small |= 1 << i
		return true
	}
	if s.big == nil {
		s.big = map[int]bool{}
	}
	s.big[i] = true
	return true
}

func (s *fieldSet) has(i int) bool {
	if i < 64 {
		return s.small&(1<<i) != 0
	}
	return s.big[i]
}

// leaf converts a scalar with the leaf's encoder. Binary values come as
// base64, as encoding/json writes []byte.
func (p *jsonParser) leaf(f *Field, tok json.Token) (any, error) {
	x := any(tok)
	switch t := tok.(type) {
	case json.Delim:
		return nil, p.errorf("want %s for %q, got %s", f.Type(), f.name, describe(tok))
	case string:
		if rawBytes(f) {
			b, err := base64.StdEncoding.DecodeString(t)
			if err != nil {
				return nil, p.errorf("binary %q is not base64: %v", f.name, err)
			}
			x = b
		}
	}
	return p.encode(f, x)
}

func (p *jsonParser) encode(f *Field, x any) (any, error) {
	v, err := p.enc[f.leaf](x)
	if err != nil {
		return nil, p.wrap(err)
	}
	return v, nil
}

// describe names what a token starts, for errors.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number:
		return "the number " + t.String()
	case bool:
		return strconv.FormatBool(t)
	}
	return "null"
}
