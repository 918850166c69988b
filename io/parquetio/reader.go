package parquetio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mxverify/mxverify/io/rowio"
)

// Reader streams the rows of a Parquet file one row group at a time, and
// within a row group one page per column at a time, so that memory depends
// on the page sizes, not on the length of the list.
type Reader struct {
	name    string
	file    *file
	columns []string
	fields  []readField
	cols    []*column // one per leaf

	group    int   // row groups opened so far
	rowsLeft int64 // rows of the open row group not yet read
	row      int64 // rows returned so far
	err      error // sticky: io.EOF, a read error or errClosed
	entries  []entry
}

// readField is one top-level field. A plain column decodes straight from its
// one value; a nested field (list, map, struct, repeated column) is rebuilt
// from its leaves and comes out as JSON.
type readField struct {
	f      *Field
	col    *column   // a plain column
	leaves []*column // a nested field's leaves
	paths  []leafPath
}

var errClosed = errors.New("reader is closed")

var _ rowio.Reader = (*Reader)(nil)

// NewReader reads the Parquet file in r, whose size is size bytes. name is
// the path reported in errors. Only the footer is read here; rows are read on
// demand. The caller keeps ownership of r.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	f, err := openFile(r, size)
	if err != nil {
		return nil, &rowio.PosError{Path: name, Err: err}
	}
	sh, err := handlerFor(f.meta.Schema)
	if err != nil {
		return nil, &rowio.PosError{Path: name, Err: fmt.Errorf("%w: %w", ErrNotParquet, err)}
	}
	rd := &Reader{name: name, file: f}
	for _, leaf := range f.schema.leaves {
		rd.cols = append(rd.cols, newColumn(f, sh, leaf))
	}
	for _, field := range f.schema.fields {
		rf := readField{f: field}
		if field.Leaf() && !field.Repeated() {
			rf.col = rd.cols[field.leaf]
		} else {
			for _, leaf := range f.schema.leaves {
				if leaf.top() == field {
					rf.leaves = append(rf.leaves, rd.cols[leaf.leaf])
					rf.paths = append(rf.paths, pathTo(leaf))
				}
			}
		}
		rd.columns = append(rd.columns, field.Name())
		rd.fields = append(rd.fields, rf)
	}
	return rd, nil
}

// top is the top-level field f belongs to.
func (f *Field) top() *Field {
	for f.parent != nil {
		f = f.parent
	}
	return f
}

// Columns returns the names of the top-level fields in schema order.
func (r *Reader) Columns() []string { return r.columns }

// Schema returns the file's schema, which NewWriter takes to write the same
// columns with the same types.
func (r *Reader) Schema() *Schema { return r.file.schema }

// NumRows returns the number of rows, for progress reporting before any row
// is read. It sums the row groups: some writers leave the file-level count
// at zero.
func (r *Reader) NumRows() int64 {
	var n int64
	for _, g := range r.file.meta.RowGroups {
		n += g.NumRows
	}
	return n
}

// Read returns the next row. Errors other than io.EOF are *rowio.PosError.
// A row that fails to convert is reported and skipped; a failure to read the
// file itself ends the stream.
func (r *Reader) Read() (rowio.Row, error) {
	for r.rowsLeft == 0 {
		if r.err != nil {
			if r.err == errClosed {
				return nil, &rowio.PosError{Path: r.name, Err: errClosed}
			}
			return nil, r.err
		}
		r.err = r.nextGroup()
	}
	r.rowsLeft--
	r.row++
	row, err := r.readRow()
	var ce *convertError
	switch {
	case errors.As(err, &ce):
		return nil, &rowio.PosError{Path: r.name, Row: r.row, Err: ce.err}
	case err != nil:
		r.err = &rowio.PosError{Path: r.name, Row: r.row, Err: err}
		r.rowsLeft = 0
		return nil, r.err
	}
	return row, nil
}

// nextGroup opens the next row group, after checking that the last one has
// no values left over. It returns nil with r.rowsLeft > 0 or with another
// group to open, or the error that ends the stream.
func (r *Reader) nextGroup() error {
	if r.group > 0 {
		for _, c := range r.cols {
			if !c.atEnd() {
				return &rowio.PosError{Path: r.name, Row: r.row,
					Err: fmt.Errorf("%s: %w: values left after the row group's %d rows", c.where(), errPage, r.file.meta.RowGroups[r.group-1].NumRows)}
			}
		}
	}
	if r.group == len(r.file.meta.RowGroups) {
		return io.EOF
	}
	rg := r.file.meta.RowGroups[r.group]
	r.group++
	for i, c := range r.cols {
		c.open(r.group, rg.Columns[i])
	}
	r.rowsLeft = rg.NumRows
	return nil
}

// convertError is a value that does not convert: the row is skipped, the
// stream goes on.
type convertError struct{ err error }

func (e *convertError) Error() string { return e.err.Error() }

func (r *Reader) readRow() (rowio.Row, error) {
	row := make(rowio.Row, len(r.fields))
	var bad error
	for i := range r.fields {
		rf := &r.fields[i]
		if rf.col != nil {
			v, rl, _, err := rf.col.take()
			if err != nil {
				return nil, r.short(rf.col, err)
			}
			if rl != 0 {
				return nil, fmt.Errorf("%s: %w", rf.col.where(), errLevels)
			}
			if v != nil {
				if row[i], err = rf.col.decode(v); err != nil && bad == nil {
					bad = fmt.Errorf("column %q: %w", rf.f.name, err)
				}
			}
			continue
		}
		v, err := r.nested(rf)
		var ce *convertError
		switch {
		case errors.As(err, &ce):
			if bad == nil {
				bad = fmt.Errorf("column %q: %w", rf.f.name, ce.err)
			}
		case err != nil:
			return nil, err
		}
		row[i] = v
	}
	if bad != nil {
		return nil, &convertError{bad}
	}
	return row, nil
}

// short reports a column that ends before its row group does.
func (r *Reader) short(c *column, err error) error {
	if err == errChunkEnd {
		return fmt.Errorf("%s: %w: fewer values than the row group's rows", c.where(), errPage)
	}
	return err
}

// nested reads one row of a nested field and renders it as JSON.
func (r *Reader) nested(rf *readField) (any, error) {
	var root any
	for k, c := range rf.leaves {
		r.entries = r.entries[:0]
		for {
			if len(r.entries) > 0 {
				rl, ok, err := c.peekRL()
				if err != nil {
					return nil, err
				}
				if !ok || rl == 0 {
					break
				}
			}
			v, rl, dl, err := c.take()
			if err != nil {
				return nil, r.short(c, err)
			}
			r.entries = append(r.entries, entry{v: v, rl: rl, dl: dl})
		}
		if err := assemble(&root, rf.paths[k], r.entries, c.decode); err != nil {
			if errors.Is(err, errLevels) {
				return nil, fmt.Errorf("%s: %w", c.where(), err)
			}
			return nil, &convertError{err}
		}
	}
	if root == nil && !rf.f.Repeated() {
		return nil, nil
	}
	b, err := appendJSON(nil, rf.f, root, rf.f.Repeated())
	if err != nil {
		if errors.Is(err, errLevels) {
			return nil, err
		}
		return nil, &convertError{err}
	}
	return json.RawMessage(b), nil
}

// Close stops reading. It does not close the io.ReaderAt given to NewReader.
func (r *Reader) Close() error {
	r.err = errClosed
	r.rowsLeft = 0
	return nil
}
