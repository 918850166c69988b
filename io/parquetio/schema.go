package parquetio

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xitongsys/parquet-go/parquet"
)

// Schema is the column tree of a Parquet file. Reader.Schema returns it so
// that NewWriter can write the same columns with the same types.
type Schema struct {
	name   string
	fields []*Field
	leaves []*Field // leaf columns in file order
}

// Field is one node of a Schema: a column or a group of them.
type Field struct {
	name     string
	elem     *parquet.SchemaElement
	children []*Field
	parent   *Field
	rep      parquet.FieldRepetitionType
	def      int32 // definition level at which this node is present
	repLevel int32 // repetition level of this node (that of its closest repeated ancestor or itself)
	leaf     int   // index in Schema.leaves; -1 for groups
	index    int   // index in the footer's element list
	logical  logical
}

// Name is the schema's root name.
func (s *Schema) Name() string { return s.name }

// Fields are the top-level fields in order.
func (s *Schema) Fields() []*Field { return s.fields }

// Name is the field's name.
func (f *Field) Name() string { return f.name }

// Optional reports whether the field may be null.
func (f *Field) Optional() bool { return f.rep == parquet.FieldRepetitionType_OPTIONAL }

// Repeated reports whether the field is a repeated one.
func (f *Field) Repeated() bool { return f.rep == parquet.FieldRepetitionType_REPEATED }

// Leaf reports whether the field is a column rather than a group.
func (f *Field) Leaf() bool { return f.leaf >= 0 }

// Fields are a group's fields; nil for a leaf.
func (f *Field) Fields() []*Field { return f.children }

// Type describes the field's type as the schema text does, without the
// repetition and the name: "int64 (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS))",
// "fixed_len_byte_array(16) (UUID)", "group (LIST)". Two leaves with the same
// Type store their values the same way.
func (f *Field) Type() string {
	var b strings.Builder
	if f.Leaf() {
		b.WriteString(physicalName(f.elem))
	} else {
		b.WriteString("group")
	}
	if s := f.logical.String(); s != "" {
		b.WriteString(" (" + s + ")")
	}
	return b.String()
}

// LogicalType is the field's logical type as the schema text shows it
// ("STRING", "DECIMAL(18,2)", "LIST"), or "" for none.
func (f *Field) LogicalType() string { return f.logical.String() }

// String prints the schema in the Parquet schema language, one field a line.
func (s *Schema) String() string {
	var b strings.Builder
	b.WriteString("message " + s.name + " {\n")
	for _, f := range s.fields {
		writeField(&b, f, 1)
	}
	b.WriteString("}")
	return b.String()
}

func writeField(b *strings.Builder, f *Field, depth int) {
	indent := strings.Repeat("\t", depth)
	rep := strings.ToLower(f.rep.String())
	if f.Leaf() {
		fmt.Fprintf(b, "%s%s %s %s", indent, rep, physicalName(f.elem), f.name)
	} else {
		fmt.Fprintf(b, "%s%s group %s", indent, rep, f.name)
	}
	if s := f.logical.String(); s != "" {
		b.WriteString(" (" + s + ")")
	}
	if f.Leaf() {
		b.WriteString(";\n")
		return
	}
	b.WriteString(" {\n")
	for _, c := range f.children {
		writeField(b, c, depth+1)
	}
	b.WriteString(indent + "}\n")
}

func physicalName(e *parquet.SchemaElement) string {
	if e.Type == nil {
		return "group"
	}
	if *e.Type == parquet.Type_FIXED_LEN_BYTE_ARRAY {
		return fmt.Sprintf("fixed_len_byte_array(%d)", e.GetTypeLength())
	}
	if *e.Type == parquet.Type_BYTE_ARRAY {
		return "binary"
	}
	return strings.ToLower(e.Type.String())
}

// maxSchemaDepth stops a damaged schema from nesting without end; real
// schemas are a few levels deep.
const maxSchemaDepth = 64

// parseSchema builds the tree from the flattened, depth-first element list
// of a footer. It trusts nothing: children counts, types and lengths are
// checked against the list.
func parseSchema(elems []*parquet.SchemaElement) (*Schema, error) {
	if len(elems) == 0 {
		return nil, errors.New("empty schema")
	}
	root := elems[0]
	if root.GetNumChildren() <= 0 {
		return nil, errors.New("schema has no columns")
	}
	s := &Schema{name: root.Name}
	p := &schemaParser{elems: elems, pos: 1, s: s}
	for range root.GetNumChildren() {
		f, err := p.parse(nil, 1)
		if err != nil {
			return nil, err
		}
		s.fields = append(s.fields, f)
	}
	if p.pos != len(elems) {
		return nil, fmt.Errorf("schema has %d elements, its tree %d", len(elems), p.pos)
	}
	return s, nil
}

type schemaParser struct {
	elems []*parquet.SchemaElement
	pos   int
	s     *Schema
}

func (p *schemaParser) parse(parent *Field, depth int) (*Field, error) {
	if p.pos >= len(p.elems) {
		return nil, fmt.Errorf("schema ends after %d elements, before its tree does", len(p.elems))
	}
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("schema nests deeper than %d levels", maxSchemaDepth)
	}
	e := p.elems[p.pos]
	p.pos++
	if e == nil {
		return nil, errors.New("schema has an empty element")
	}
	f := &Field{name: e.Name, elem: e, parent: parent, rep: parquet.FieldRepetitionType_REQUIRED, leaf: -1, index: p.pos - 1}
	if e.RepetitionType != nil {
		f.rep = *e.RepetitionType
	}
	if parent != nil {
		f.def, f.repLevel = parent.def, parent.repLevel
	}
	switch f.rep {
	case parquet.FieldRepetitionType_REQUIRED:
	case parquet.FieldRepetitionType_OPTIONAL:
		f.def++
	case parquet.FieldRepetitionType_REPEATED:
		f.def++
		f.repLevel++
	default:
		return nil, fmt.Errorf("field %q: unknown repetition %d", e.Name, f.rep)
	}
	n := e.GetNumChildren()
	if n < 0 || int(n) > len(p.elems)-p.pos {
		return nil, fmt.Errorf("field %q: %d children in a schema of %d elements", e.Name, n, len(p.elems))
	}
	if n == 0 {
		if e.Type == nil {
			return nil, fmt.Errorf("field %q has neither a type nor children", e.Name)
		}
		switch *e.Type {
		case parquet.Type_BOOLEAN, parquet.Type_INT32, parquet.Type_INT64, parquet.Type_INT96,
			parquet.Type_FLOAT, parquet.Type_DOUBLE, parquet.Type_BYTE_ARRAY:
		case parquet.Type_FIXED_LEN_BYTE_ARRAY:
			if l := e.GetTypeLength(); l <= 0 || l > maxPageBytes {
				return nil, fmt.Errorf("field %q: fixed length %d", e.Name, l)
			}
		default:
			return nil, fmt.Errorf("field %q: unknown type %d", e.Name, *e.Type)
		}
		f.leaf = len(p.s.leaves)
		p.s.leaves = append(p.s.leaves, f)
		f.logical = logicalOf(e)
		return f, nil
	}
	f.logical = logicalOf(e)
	for range n {
		c, err := p.parse(f, depth+1)
		if err != nil {
			return nil, err
		}
		f.children = append(f.children, c)
	}
	return f, nil
}

// path is the field's column path from the top-level field down.
func (f *Field) path() []string {
	if f.parent == nil {
		return []string{f.name}
	}
	return append(f.parent.path(), f.name)
}

// logicalKind is the annotation a field's values follow, from its logical
// type or, in files that only have them, its converted type.
type logicalKind int

const (
	lNone logicalKind = iota
	lString
	lEnum
	lJSON
	lBSON
	lUUID
	lDecimal
	lDate
	lTime
	lTimestamp
	lInt
	lList
	lMap
	lInterval
	lNull
)

type timeUnit int

const (
	unitMillis timeUnit = iota
	unitMicros
	unitNanos
)

func (u timeUnit) String() string {
	return [...]string{"MILLIS", "MICROS", "NANOS"}[u]
}

type logical struct {
	kind             logicalKind
	bitWidth         int8
	signed           bool
	precision, scale int32
	unit             timeUnit
	utc              bool
}

func (l logical) String() string {
	switch l.kind {
	case lString:
		return "STRING"
	case lEnum:
		return "ENUM"
	case lJSON:
		return "JSON"
	case lBSON:
		return "BSON"
	case lUUID:
		return "UUID"
	case lDecimal:
		return fmt.Sprintf("DECIMAL(%d,%d)", l.precision, l.scale)
	case lDate:
		return "DATE"
	case lTime:
		return fmt.Sprintf("TIME(isAdjustedToUTC=%t,unit=%s)", l.utc, l.unit)
	case lTimestamp:
		return fmt.Sprintf("TIMESTAMP(isAdjustedToUTC=%t,unit=%s)", l.utc, l.unit)
	case lInt:
		return fmt.Sprintf("INT(%d,%t)", l.bitWidth, l.signed)
	case lList:
		return "LIST"
	case lMap:
		return "MAP"
	case lInterval:
		return "INTERVAL"
	case lNull:
		return "NULL"
	}
	return ""
}

func logicalOf(e *parquet.SchemaElement) logical {
	if lt := e.LogicalType; lt != nil {
		switch {
		case lt.STRING != nil:
			return logical{kind: lString}
		case lt.ENUM != nil:
			return logical{kind: lEnum}
		case lt.JSON != nil:
			return logical{kind: lJSON}
		case lt.BSON != nil:
			return logical{kind: lBSON}
		case lt.UUID != nil:
			return logical{kind: lUUID}
		case lt.DECIMAL != nil:
			return logical{kind: lDecimal, precision: lt.DECIMAL.Precision, scale: lt.DECIMAL.Scale}
		case lt.DATE != nil:
			return logical{kind: lDate}
		case lt.TIME != nil:
			return logical{kind: lTime, unit: unitOf(lt.TIME.Unit), utc: lt.TIME.IsAdjustedToUTC}
		case lt.TIMESTAMP != nil:
			return logical{kind: lTimestamp, unit: unitOf(lt.TIMESTAMP.Unit), utc: lt.TIMESTAMP.IsAdjustedToUTC}
		case lt.INTEGER != nil:
			return logical{kind: lInt, bitWidth: lt.INTEGER.BitWidth, signed: lt.INTEGER.IsSigned}
		case lt.LIST != nil:
			return logical{kind: lList}
		case lt.MAP != nil:
			return logical{kind: lMap}
		case lt.UNKNOWN != nil:
			return logical{kind: lNull}
		}
	}
	if e.ConvertedType == nil {
		return logical{}
	}
	switch *e.ConvertedType {
	case parquet.ConvertedType_UTF8:
		return logical{kind: lString}
	case parquet.ConvertedType_ENUM:
		return logical{kind: lEnum}
	case parquet.ConvertedType_JSON:
		return logical{kind: lJSON}
	case parquet.ConvertedType_BSON:
		return logical{kind: lBSON}
	case parquet.ConvertedType_DECIMAL:
		return logical{kind: lDecimal, precision: e.GetPrecision(), scale: e.GetScale()}
	case parquet.ConvertedType_DATE:
		return logical{kind: lDate}
	case parquet.ConvertedType_TIME_MILLIS:
		return logical{kind: lTime, unit: unitMillis, utc: true}
	case parquet.ConvertedType_TIME_MICROS:
		return logical{kind: lTime, unit: unitMicros, utc: true}
	case parquet.ConvertedType_TIMESTAMP_MILLIS:
		return logical{kind: lTimestamp, unit: unitMillis, utc: true}
	case parquet.ConvertedType_TIMESTAMP_MICROS:
		return logical{kind: lTimestamp, unit: unitMicros, utc: true}
	case parquet.ConvertedType_INT_8:
		return logical{kind: lInt, bitWidth: 8, signed: true}
	case parquet.ConvertedType_INT_16:
		return logical{kind: lInt, bitWidth: 16, signed: true}
	case parquet.ConvertedType_INT_32:
		return logical{kind: lInt, bitWidth: 32, signed: true}
	case parquet.ConvertedType_INT_64:
		return logical{kind: lInt, bitWidth: 64, signed: true}
	case parquet.ConvertedType_UINT_8:
		return logical{kind: lInt, bitWidth: 8}
	case parquet.ConvertedType_UINT_16:
		return logical{kind: lInt, bitWidth: 16}
	case parquet.ConvertedType_UINT_32:
		return logical{kind: lInt, bitWidth: 32}
	case parquet.ConvertedType_UINT_64:
		return logical{kind: lInt, bitWidth: 64}
	case parquet.ConvertedType_LIST:
		return logical{kind: lList}
	case parquet.ConvertedType_MAP, parquet.ConvertedType_MAP_KEY_VALUE:
		return logical{kind: lMap}
	case parquet.ConvertedType_INTERVAL:
		return logical{kind: lInterval}
	}
	return logical{}
}

func unitOf(u *parquet.TimeUnit) timeUnit {
	switch {
	case u == nil:
		return unitMillis
	case u.MICROS != nil:
		return unitMicros
	case u.NANOS != nil:
		return unitNanos
	}
	return unitMillis
}
