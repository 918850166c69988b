package parquetio

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/xitongsys/parquet-go/common"
	"github.com/xitongsys/parquet-go/layout"
	"github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/schema"
	"github.com/xitongsys/parquet-go/writer"

	"github.com/mxverify/mxverify/io/rowio"
)

// fileWriter drives the library's writer.ParquetWriter for a schema known
// only at run time. The caller shreds rows into one layout.Table per leaf
// column (values and levels); the library encodes, compresses and lays out
// the pages, row groups and footer.
type fileWriter struct {
	w      io.Writer
	pw     *writer.ParquetWriter
	schema *Schema                  // the output's, parsed back: shred walks it
	leaves []*leafOut               // by Field.leaf of schema's leaves
	marks  []int                    // per leaf, the entries before the row being shredded
	tables map[string]*layout.Table // what the next flush writes
	rows   []any                    // len(rows) is what the library counts
	group  int                      // rows in the open row group
}

// leafOut is one leaf column of an output.
type leafOut struct {
	key   string // the library's path of the column
	info  *common.Tag
	stats *parquet.SchemaElement // the type without annotations, see newFileWriter
	table layout.Table
}

// newFileWriter starts a file of the schema elems (depth-first, the root
// first). Every column is PLAIN: the library's dictionary chunks read the
// statistics setting from the dictionary page, which never has it, and
// dereference the null counts that omitted statistics leave nil
// (layout.PagesToDictChunk). zstd shrinks repeated values about as well.
func newFileWriter(w io.Writer, elems []*parquet.SchemaElement) (fw *fileWriter, err error) {
	// The schema is parsed as a file's would be, so that shred walks the
	// same tree, with the same levels, as a reader of the output.
	s, err := parseSchema(elems)
	if err != nil {
		return nil, fmt.Errorf("output schema: %w", err)
	}
	defer catch(&err, "parquet-go failed")
	// The library keys columns by names made into Go identifiers
	// (common.StringToVariableName maps "email" and "Email" alike); it gets
	// made-up names and the real ones are put back for the footer.
	renamed := make([]*parquet.SchemaElement, len(elems))
	for i, e := range elems {
		c := *e
		c.Name = fmt.Sprintf("c%d", i)
		renamed[i] = &c
	}
	pw, err := writer.NewParquetWriterFromWriter(w, renamed, 1)
	if err != nil {
		return nil, fmt.Errorf("start Parquet file: %w", err)
	}
	sh := pw.SchemaHandler
	for i, e := range elems {
		sh.Infos[i].ExName = e.Name
	}
	sh.CreateInExMap()
	pw.CompressionType = parquet.CompressionCodec_ZSTD
	pw.PageSize = writePageBytes
	// Row groups are cut by row count in flush, never by the library's
	// size estimate.
	pw.RowGroupSize = math.MaxInt64
	fw = &fileWriter{w: w, pw: pw, schema: s, marks: make([]int, len(s.leaves)), tables: map[string]*layout.Table{}}
	pw.MarshalFunc = func([]any, *schema.SchemaHandler) (*map[string]*layout.Table, error) {
		return &fw.tables, nil
	}
	for _, leaf := range s.leaves {
		k := leaf.index
		e := renamed[k]
		path := sh.IndexMap[int32(k)]
		info := sh.Infos[k]
		// The library's statistics miscount nulls (layout.TableToDataPages
		// starts its count one value in), and readers that trust them could
		// skip row groups wrongly: write none.
		info.OmitStats = true
		// Page sizing picks a comparison per type and panics on
		// annotations it does not know (ENUM, for one); statistics are
		// off, so the physical type is all it needs.
		t := *e.Type
		l := &leafOut{key: path, info: info, stats: &parquet.SchemaElement{Type: &t, Name: e.Name}}
		// The levels' bit widths come from the same tree as the levels
		// shred writes.
		l.table = layout.Table{Path: common.StrToPath(path), Schema: l.stats, Info: info,
			MaxDefinitionLevel: leaf.def, MaxRepetitionLevel: leaf.repLevel, RepetitionType: leaf.rep}
		fw.leaves = append(fw.leaves, l)
	}
	return fw, nil
}

// reset empties the leaves' tables for the next batch, keeping capacity.
func (fw *fileWriter) reset() {
	for _, l := range fw.leaves {
		t := &l.table
		clear(t.Values)
		t.Values, t.DefinitionLevels, t.RepetitionLevels = t.Values[:0], t.DefinitionLevels[:0], t.RepetitionLevels[:0]
	}
}

// flush encodes the rows shredded into the leaves' tables, n of them, and
// closes the row group when it reaches rowGroupRows or when last is set.
func (fw *fileWriter) flush(n int, last bool) (err error) {
	defer catch(&err, "parquet-go failed")
	for _, l := range fw.leaves {
		// The library keeps pages, not tables, after a flush: a copy of
		// the header is enough for the backing arrays to be reused.
		t := l.table
		fw.tables[l.key] = &t
	}
	if cap(fw.rows) < n {
		fw.rows = make([]any, n)
	}
	fw.pw.Objs = fw.rows[:n]
	fw.group += n
	cut := last || fw.group >= rowGroupRows
	if cut {
		fw.group = 0
	}
	err = fw.pw.Flush(cut)
	fw.reset()
	return err
}

// close writes the footer. It is the library's WriteStop without the column
// and offset indexes, which it fills with page value counts where row
// counts belong and with empty statistics.
func (fw *fileWriter) close() (err error) {
	defer catch(&err, "parquet-go failed")
	pw := fw.pw
	pw.RenameSchema()
	ts := thrift.NewTSerializer()
	ts.Protocol = thrift.NewTCompactProtocolFactoryConf(nil).GetProtocol(ts.Transport)
	createdBy := "parquet-go version 1.6.2 (mxverify)"
	pw.Footer.CreatedBy = &createdBy
	footer, err := ts.Write(context.Background(), pw.Footer)
	if err != nil {
		return err
	}
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	footer = append(footer, "PAR1"...)
	_, err = pw.PFile.Write(footer)
	return err
}

// Writer writes rows as Parquet in row groups of bounded size, so a list of
// millions of rows never sits in memory whole.
type Writer struct {
	fw      *fileWriter
	columns []writeColumn
	nested  *jsonParser // for the nested columns' values
	n       int         // rows shredded since the last flush
	rows    int64       // rows accepted by Write
	err     error       // sticky: the first failure to write, or errWriterClosed
	vals    []any       // one row's encoded values
}

type writeColumn struct {
	name     string
	optional bool // nil is accepted: null, or an empty list for a repeated column
	encode   encodeFunc
}

var errWriterClosed = errors.New("writer is closed")

var _ rowio.Writer = (*Writer)(nil)

// NewWriter writes Parquet to w.
//
// With src nil, every column is an optional string and values are written as
// rowio.Text renders them. With src set (usually Reader.Schema of the input),
// columns must start with src's top-level fields, in order, and those keep
// their Parquet type so that typed input comes out typed; the columns after
// them, added by the run, are optional strings. Nested src fields (lists,
// maps, structs, repeated fields) keep their whole group: their values are
// the JSON text Reader gives for them (json.RawMessage, or a string or
// []byte of JSON), read back against the field's schema and written as
// nested values, so that other readers see the input's type.
func NewWriter(w io.Writer, columns []string, src *Schema) (*Writer, error) {
	if len(columns) == 0 {
		return nil, errors.New("parquet output needs at least one column")
	}
	var srcFields []*Field
	if src != nil {
		srcFields = src.Fields()
		if len(columns) < len(srcFields) {
			return nil, fmt.Errorf("%d columns given for a source schema of %d fields", len(columns), len(srcFields))
		}
	}
	seen := make(map[string]bool, len(columns))
	n := int32(len(columns))
	elems := []*parquet.SchemaElement{{Name: "mxverify", NumChildren: &n}}
	if src != nil && src.Name() != "" {
		elems[0].Name = src.Name()
	}
	for i, name := range columns {
		if name == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate column %q", name)
		}
		seen[name] = true
		if i < len(srcFields) {
			f := srcFields[i]
			if f.Name() != name {
				return nil, fmt.Errorf("column %d is %q but the source schema has %q", i+1, name, f.Name())
			}
			elems = appendSchema(elems, f)
		} else {
			elems = append(elems, textElement(name, parquet.FieldRepetitionType_OPTIONAL))
		}
	}
	fw, err := newFileWriter(w, elems)
	if err != nil {
		return nil, err
	}
	// The encoders work on the output's fields, which are the source's
	// copied.
	wr := &Writer{fw: fw, columns: make([]writeColumn, len(columns)), vals: make([]any, len(columns))}
	for i, f := range fw.schema.fields {
		c := &wr.columns[i]
		c.name = f.name
		switch {
		case i >= len(srcFields):
			c.optional, c.encode = true, textEncoder
		case f.Leaf() && !f.Repeated():
			c.optional, c.encode = f.Optional(), encoderOf(f.elem)
		default:
			if wr.nested == nil {
				wr.nested = &jsonParser{enc: make([]encodeFunc, len(fw.schema.leaves))}
			}
			for _, l := range fw.schema.leaves {
				if l.top() == f {
					wr.nested.enc[l.leaf] = encoderOf(l.elem)
				}
			}
			c.optional, c.encode = f.Optional() || f.Repeated(), wr.nestedEncoder(f)
		}
	}
	return wr, nil
}

// nestedEncoder takes the JSON text of nested field f to the tree shred
// writes. The JSON round trip is the price of rowio's row model, which has
// no nested values: the Reader's json.RawMessage goes as it is to CSV and
// JSONL outputs.
func (w *Writer) nestedEncoder(f *Field) encodeFunc {
	return func(x any) (any, error) {
		var text []byte
		switch x := x.(type) {
		case json.RawMessage:
			text = x
		case []byte:
			text = x
		case string:
			text = []byte(x)
		default:
			return nil, fmt.Errorf("%w %T for the nested type %s", errType, x, f.Type())
		}
		return w.nested.parse(f, text)
	}
}

func textElement(name string, rep parquet.FieldRepetitionType) *parquet.SchemaElement {
	t, ct := parquet.Type_BYTE_ARRAY, parquet.ConvertedType_UTF8
	return &parquet.SchemaElement{Name: name, Type: &t, ConvertedType: &ct, RepetitionType: &rep,
		LogicalType: &parquet.LogicalType{STRING: parquet.NewStringType()}}
}

// appendSchema appends the schema elements of source field f and of the
// fields under it, depth-first, each rebuilt from its type and repetition
// alone: the source file's field ids are not carried over.
func appendSchema(elems []*parquet.SchemaElement, f *Field) []*parquet.SchemaElement {
	s := f.elem
	rep := f.rep
	e := &parquet.SchemaElement{Name: f.name, RepetitionType: &rep,
		ConvertedType: s.ConvertedType, Scale: s.Scale, Precision: s.Precision, LogicalType: s.LogicalType}
	if f.Leaf() {
		e.Type, e.TypeLength = s.Type, s.TypeLength
	} else {
		// A group has children and no type, whatever a source file says.
		n := int32(len(f.children))
		e.NumChildren = &n
	}
	elems = append(elems, e)
	for _, c := range f.children {
		elems = appendSchema(elems, c)
	}
	return elems
}

// Write adds one row. Its values must fit the column types; nil is null.
func (w *Writer) Write(row rowio.Row) error {
	if w.err != nil {
		return w.err
	}
	if len(row) != len(w.columns) {
		return fmt.Errorf("row %d: %d values for %d columns", w.rows+1, len(row), len(w.columns))
	}
	// Every value is checked before any is kept, so that a rejected row
	// leaves nothing behind.
	if w.nested != nil {
		w.nested.nodes.reset()
	}
	for i, x := range row {
		c := &w.columns[i]
		if x == nil {
			if !c.optional {
				return fmt.Errorf("row %d: column %q: null in a required column", w.rows+1, c.name)
			}
			w.vals[i] = nil
			continue
		}
		v, err := c.encode(x)
		if err != nil {
			return fmt.Errorf("row %d: column %q: %w", w.rows+1, c.name, err)
		}
		w.vals[i] = v
	}
	if err := w.fw.shredRow(w.vals); err != nil {
		return fmt.Errorf("row %d: %w", w.rows+1, err)
	}
	w.n++
	w.rows++
	if w.n == writeBatchRows {
		return w.flush(false)
	}
	return nil
}

func (w *Writer) flush(last bool) error {
	n := w.n
	w.n = 0
	if err := w.fw.flush(n, last); err != nil {
		w.err = fmt.Errorf("write Parquet rows: %w", err)
		return w.err
	}
	return nil
}

// Close writes the buffered rows and the footer. It does not close the
// io.Writer given to NewWriter; calling Close again does nothing.
func (w *Writer) Close() error {
	if w.err == errWriterClosed {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if err := w.flush(true); err != nil {
		return err
	}
	if err := w.fw.close(); err != nil {
		w.err = fmt.Errorf("write Parquet footer: %w", err)
		return w.err
	}
	w.err = errWriterClosed
	return nil
}
