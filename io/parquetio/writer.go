package parquetio

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/mxverify/mxverify/io/rowio"
)

// Writer writes rows as Parquet in row groups of bounded size, so a list of
// millions of rows never sits in memory whole.
type Writer struct {
	pw      *parquet.GenericWriter[any]
	columns []writeColumn
	batch   []parquet.Row
	n       int   // rows in batch
	group   int   // rows in the open row group, flushed or not
	rows    int64 // rows accepted by Write
	err     error // sticky: the first failure to write, or errWriterClosed
}

type writeColumn struct {
	name     string
	optional bool
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
// maps, structs) become optional JSON columns holding the text Reader gives
// for them.
func NewWriter(w io.Writer, columns []string, src *parquet.Schema) (*Writer, error) {
	if len(columns) == 0 {
		return nil, errors.New("parquet output needs at least one column")
	}
	var srcFields []parquet.Field
	if src != nil {
		srcFields = src.Fields()
		if len(columns) < len(srcFields) {
			return nil, fmt.Errorf("%d columns given for a source schema of %d fields", len(columns), len(srcFields))
		}
	}
	seen := make(map[string]bool, len(columns))
	fields := make([]parquet.Field, len(columns))
	cols := make([]writeColumn, len(columns))
	for i, name := range columns {
		if name == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate column %q", name)
		}
		seen[name] = true
		var node parquet.Node
		if i < len(srcFields) {
			f := srcFields[i]
			if f.Name() != name {
				return nil, fmt.Errorf("column %d is %q but the source schema has %q", i+1, name, f.Name())
			}
			node, cols[i] = sourceColumn(f)
		} else {
			node = parquet.Optional(parquet.String())
			cols[i] = writeColumn{name: name, optional: true, encode: textEncoder}
		}
		fields[i] = namedField(name, node)
	}
	schemaName := "mxverify"
	if src != nil && src.Name() != "" {
		schemaName = src.Name()
	}
	schema := parquet.NewSchema(schemaName, orderedGroup(fields))
	pw, err := newParquetWriter(w, schema)
	if err != nil {
		return nil, err
	}
	return &Writer{pw: pw, columns: cols, batch: make([]parquet.Row, writeBatchRows)}, nil
}

// newParquetWriter writes rows of schema, which is known only at run time:
// hence a GenericWriter of any, fed parquet.Rows.
func newParquetWriter(w io.Writer, schema *parquet.Schema) (pw *parquet.GenericWriter[any], err error) {
	defer catch(&err, "parquet-go failed")
	opts := []parquet.WriterOption{schema, parquet.Compression(&parquet.Zstd)}
	// NewGenericWriter panics on a configuration it refuses; asking
	// first turns that into an error.
	if _, err := parquet.NewWriterConfig(opts...); err != nil {
		return nil, fmt.Errorf("configure Parquet writer: %w", err)
	}
	return parquet.NewGenericWriter[any](w, opts...), nil
}

// sourceColumn rebuilds a source leaf from its type alone: a node from a
// file also carries that file's encodings, which a writer may not support.
func sourceColumn(f parquet.Field) (parquet.Node, writeColumn) {
	if !f.Leaf() || f.Repeated() {
		return parquet.Optional(parquet.JSON()), writeColumn{name: f.Name(), optional: true, encode: textEncoder}
	}
	col := writeColumn{name: f.Name(), optional: f.Optional(), encode: encoderOf(f.Type())}
	node := parquet.Leaf(f.Type())
	if col.optional {
		node = parquet.Optional(node)
	}
	return node, col
}

// Write adds one row. Its values must fit the column types; nil is null.
func (w *Writer) Write(row rowio.Row) error {
	if w.err != nil {
		return w.err
	}
	if len(row) != len(w.columns) {
		return fmt.Errorf("row %d: %d values for %d columns", w.rows+1, len(row), len(w.columns))
	}
	prow := w.batch[w.n][:0]
	for i, x := range row {
		c := &w.columns[i]
		if x == nil {
			if !c.optional {
				return fmt.Errorf("row %d: column %q: null in a required column", w.rows+1, c.name)
			}
			prow = append(prow, parquet.Value{}.Level(0, 0, i))
			continue
		}
		v, err := c.encode(x)
		if err != nil {
			return fmt.Errorf("row %d: column %q: %w", w.rows+1, c.name, err)
		}
		def := 0
		if c.optional {
			def = 1
		}
		prow = append(prow, v.Level(0, def, i))
	}
	w.batch[w.n] = prow
	w.n++
	w.rows++
	if w.n == len(w.batch) {
		return w.flushBatch()
	}
	return nil
}

// flushBatch hands the batch to parquet-go and closes the row group once it
// holds rowGroupRows rows.
func (w *Writer) flushBatch() error {
	if w.n == 0 {
		return nil
	}
	n := w.n
	w.n = 0
	if err := writeRows(w.pw, w.batch[:n]); err != nil {
		w.err = fmt.Errorf("write Parquet rows: %w", err)
		return w.err
	}
	w.group += n
	if w.group >= rowGroupRows {
		w.group = 0
		if err := w.pw.Flush(); err != nil {
			w.err = fmt.Errorf("write Parquet row group: %w", err)
			return w.err
		}
	}
	return nil
}

func writeRows(pw *parquet.GenericWriter[any], rows []parquet.Row) (err error) {
	defer catch(&err, "parquet-go failed")
	_, err = pw.WriteRows(rows)
	return err
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
	if err := w.flushBatch(); err != nil {
		return err
	}
	if err := w.pw.Close(); err != nil {
		w.err = fmt.Errorf("write Parquet footer: %w", err)
		return w.err
	}
	w.err = errWriterClosed
	return nil
}
