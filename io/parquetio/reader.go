package parquetio

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/mxverify/mxverify/io/rowio"
)

// Reader streams the rows of a Parquet file one row group at a time, so that
// memory depends on the batch and page sizes, not on the length of the list.
type Reader struct {
	name    string
	file    *parquet.File
	columns []string
	fields  []readField
	leaves  []int // leaf column index -> index in fields

	groups []parquet.RowGroup
	next   int          // index in groups of the next row group to open
	rows   parquet.Rows // rows of the open row group; nil between groups
	batch  []parquet.Row
	n, i   int   // rows in batch, rows of batch already returned
	row    int64 // rows returned so far
	err    error // sticky: io.EOF, a read error or errClosed

	scratch parquet.Row // values of one nested field, renumbered
}

// readField is one top-level field. Leaf fields decode straight from their
// single value; nested ones (lists, maps, structs, repeated leaves) go
// through parquet-go's row reconstruction and come out as JSON.
type readField struct {
	name   string
	first  int        // first leaf column of the field
	decode decodeFunc // nil for nested fields
	nested *parquet.Schema
	values []parquet.Value // values of a nested field in the current row
}

var (
	errClosed    = errors.New("reader is closed")
	errEncrypted = errors.New("encrypted Parquet files are not supported")
)

var _ rowio.Reader = (*Reader)(nil)

// NewReader reads the Parquet file in r, whose size is size bytes. name is
// the path reported in errors. Only the footer is read here; rows are read on
// demand. The caller keeps ownership of r.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	f, err := openFile(r, size)
	if err != nil {
		return nil, &rowio.PosError{Path: name, Err: err}
	}
	rd := &Reader{
		name:   name,
		file:   f,
		groups: f.RowGroups(),
		batch:  make([]parquet.Row, readBatchRows),
	}
	first := 0
	for i, field := range f.Schema().Fields() {
		n := leafCount(field)
		rf := readField{name: field.Name(), first: first}
		if field.Leaf() && !field.Repeated() {
			rf.decode = decoderOf(field.Type())
		} else {
			rf.nested = parquet.NewSchema("", parquet.Group{field.Name(): field})
		}
		rd.columns = append(rd.columns, field.Name())
		rd.fields = append(rd.fields, rf)
		for range n {
			rd.leaves = append(rd.leaves, i)
		}
		first += n
	}
	return rd, nil
}

func openFile(r io.ReaderAt, size int64) (*parquet.File, error) {
	// Checked here rather than left to parquet-go for clearer messages, and
	// because parquet-go allocates the footer length it reads before
	// comparing it with the file size: a damaged length would cost 2 GiB.
	// The smallest file is "PAR1", a 4-byte footer length and "PAR1".
	if size < 12 {
		return nil, fmt.Errorf("%w: file too short (%d bytes)", ErrNotParquet, size)
	}
	var head, tail [8]byte
	if n, err := r.ReadAt(head[:4], 0); n < 4 {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if n, err := r.ReadAt(tail[:], size-8); n < len(tail) {
		return nil, fmt.Errorf("read footer: %w", err)
	}
	switch {
	case string(head[:4]) == "PARE" || string(tail[4:]) == "PARE":
		return nil, errEncrypted
	case string(head[:4]) != "PAR1":
		return nil, fmt.Errorf("%w: no PAR1 magic at the start (found %q)", ErrNotParquet, head[:4])
	case string(tail[4:]) != "PAR1":
		return nil, fmt.Errorf("%w: no PAR1 magic at the end (truncated?)", ErrNotParquet)
	}
	if footer := int64(binary.LittleEndian.Uint32(tail[:4])); footer > size-12 {
		return nil, fmt.Errorf("%w: footer length %d exceeds the file size %d", ErrNotParquet, footer, size)
	}
	f, err := openParquet(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotParquet, err)
	}
	return f, nil
}

func openParquet(r io.ReaderAt, size int64) (f *parquet.File, err error) {
	defer catch(&err, "malformed Parquet data")
	// The page index and bloom filters serve lookups by value; a scan of
	// every row never uses them, so skip reading them.
	return parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
}

func leafCount(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	c := 0
	for _, f := range n.Fields() {
		c += leafCount(f)
	}
	return c
}

// Columns returns the names of the top-level fields in schema order.
func (r *Reader) Columns() []string { return r.columns }

// Schema returns the file's schema, which NewWriter takes to write the same
// columns with the same types.
func (r *Reader) Schema() *parquet.Schema { return r.file.Schema() }

// NumRows returns the number of rows, for progress reporting before any row
// is read. It sums the row groups: some writers leave the file-level count
// at zero.
func (r *Reader) NumRows() int64 {
	var n int64
	for _, g := range r.groups {
		n += g.NumRows()
	}
	return n
}

// Read returns the next row. Errors other than io.EOF are *rowio.PosError.
// A row that fails to convert is reported and skipped; a failure to read the
// file itself ends the stream.
func (r *Reader) Read() (rowio.Row, error) {
	for r.i >= r.n {
		if r.err != nil {
			if r.err == errClosed {
				return nil, &rowio.PosError{Path: r.name, Err: errClosed}
			}
			return nil, r.err
		}
		r.err = r.fill()
	}
	prow := r.batch[r.i]
	r.i++
	r.row++
	row, err := r.convert(prow)
	if err != nil {
		return nil, &rowio.PosError{Path: r.name, Row: r.row, Err: err}
	}
	return row, nil
}

// fill reads the next batch, opening row groups as needed. It returns nil
// with r.n > 0, or the error that ends the stream.
func (r *Reader) fill() error {
	r.i, r.n = 0, 0
	for r.n == 0 {
		if r.rows == nil {
			if r.next == len(r.groups) {
				return io.EOF
			}
			r.rows = r.groups[r.next].Rows()
			r.next++
		}
		n, err := readRows(r.rows, r.batch)
		r.n = n
		switch {
		case err == io.EOF:
			err = r.rows.Close()
			r.rows = nil
			if err != nil {
				return &rowio.PosError{Path: r.name, Row: r.row + int64(n) + 1, Err: err}
			}
		case err != nil:
			return &rowio.PosError{Path: r.name, Row: r.row + int64(n) + 1,
				Err: fmt.Errorf("row group %d: %w", r.next, err)}
		case n == 0:
			return &rowio.PosError{Path: r.name, Row: r.row + 1,
				Err: fmt.Errorf("row group %d: %w", r.next, io.ErrNoProgress)}
		}
	}
	return nil
}

func readRows(rows parquet.Rows, batch []parquet.Row) (n int, err error) {
	defer catch(&err, "malformed Parquet data")
	return rows.ReadRows(batch)
}

func (r *Reader) convert(prow parquet.Row) (row rowio.Row, err error) {
	for i := range r.fields {
		r.fields[i].values = r.fields[i].values[:0]
	}
	row = make(rowio.Row, len(r.fields))
	for _, v := range prow {
		c := v.Column()
		if c < 0 || c >= len(r.leaves) {
			return nil, fmt.Errorf("value for unknown leaf column %d", c)
		}
		f := &r.fields[r.leaves[c]]
		switch {
		case f.decode == nil:
			f.values = append(f.values, v)
		case !v.IsNull():
			row[r.leaves[c]] = f.decode(v)
		}
	}
	for i := range r.fields {
		f := &r.fields[i]
		if f.decode != nil {
			continue
		}
		if row[i], err = r.nestedJSON(f); err != nil {
			return nil, fmt.Errorf("column %q: %w", f.name, err)
		}
	}
	return row, nil
}

// nestedJSON renders one nested field as JSON text: rowio has no nested
// values, and JSON keeps lists and structs readable in CSV and JSONL output.
func (r *Reader) nestedJSON(f *readField) (v any, err error) {
	defer catch(&err, "malformed Parquet data")
	if len(f.values) == 0 {
		return nil, nil
	}
	// The one-field schema numbers its leaves from zero.
	r.scratch = r.scratch[:0]
	for _, v := range f.values {
		r.scratch = append(r.scratch, v.Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column()-f.first))
	}
	m := make(map[string]any, 1) // parquet-go fills a map but does not make one
	if err := f.nested.Reconstruct(&m, r.scratch); err != nil {
		return nil, err
	}
	x, ok := m[f.name]
	if !ok || x == nil {
		return nil, nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// Close stops reading. It does not close the io.ReaderAt given to NewReader.
func (r *Reader) Close() error {
	r.err = errClosed
	r.i, r.n = 0, 0
	if r.rows == nil {
		return nil
	}
	err := r.rows.Close()
	r.rows = nil
	if err != nil {
		return &rowio.PosError{Path: r.name, Err: err}
	}
	return nil
}
