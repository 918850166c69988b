// Package rowio defines the row model that the list formats under io/ share,
// so that the pipeline can read one format and write another.
package rowio

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Row is one record of a list. Values are nil, string, bool, int32, int64,
// float32, float64, []byte, time.Time, json.Number or json.RawMessage (a
// nested JSON value kept verbatim); readers produce nothing else.
type Row []any

// Reader yields the rows of one input in order.
type Reader interface {
	Columns() []string
	// Read returns io.EOF after the last row. Other errors are *PosError.
	Read() (Row, error)
	Close() error
}

// Writer writes rows of a fixed set of columns.
type Writer interface {
	Write(Row) error
	// Close flushes buffered rows. It does not close the underlying writer.
	Close() error
}

// FieldReader is a Reader that can read one value of a row without
// decoding the others (csvio.Reader); ReadValue uses it.
type FieldReader interface {
	Reader
	// ReadField returns value i of the next row.
	ReadField(i int) (string, error)
}

// ReadValue returns value i of r's next row, nil when the row has none.
func ReadValue(r Reader, i int) (any, error) {
	if fr, ok := r.(FieldReader); ok {
		s, err := fr.ReadField(i)
		return s, err
	}
	row, err := r.Read()
	if err != nil || i >= len(row) {
		return nil, err
	}
	return row[i], nil
}

// RawReader is a Reader that can hand over rows still encoded, for a
// RawWriter of the same Encoding to copy (csvio.Reader); Append uses it.
type RawReader interface {
	Reader
	// ReadRaw returns the next row's encoding when a RawWriter would write
	// it back unchanged; otherwise raw is nil and row is the decoded row.
	// raw is valid until the next call.
	ReadRaw() (raw []byte, row Row, err error)
	// RawField returns value i of a row ReadRaw returned as raw.
	RawField(raw []byte, i int) string
	// Encoding names the encoding, separator included.
	Encoding() string
}

// RawWriter is a Writer that takes rows from a RawReader (csvio.Writer).
type RawWriter interface {
	Writer
	// WriteRaw writes a row made of raw, from a RawReader of the same
	// Encoding, and then the extra values.
	WriteRaw(raw []byte, extra ...string) error
	Encoding() string
}

// A Copier copies the rows of a Reader to a Writer, each with values added
// after its own. A row that the Writer would write back as the Reader read
// it is copied without being decoded and encoded again, when the two are a
// RawReader and a RawWriter of one Encoding.
type Copier struct {
	r   Reader
	w   Writer
	rr  RawReader // nil when rows cannot be copied raw
	rw  RawWriter
	raw []byte
	row Row
	// extra's copy: the caller's variadic slice then stays on its stack.
	extra []string
}

// NewCopier returns a Copier of r's rows to w.
func NewCopier(w Writer, r Reader) *Copier {
	c := &Copier{r: r, w: w}
	rr, _ := r.(RawReader)
	rw, _ := w.(RawWriter)
	if rr != nil && rw != nil && rr.Encoding() == rw.Encoding() {
		c.rr, c.rw = rr, rw
	}
	return c
}

// Read reads the next row, io.EOF after the last. It returns the row when
// it was decoded, as it is when decode is true.
func (c *Copier) Read(decode bool) (Row, error) {
	c.raw, c.row = nil, nil
	var err error
	if c.rr != nil && !decode {
		c.raw, c.row, err = c.rr.ReadRaw()
	} else {
		c.row, err = c.r.Read()
	}
	return c.row, err
}

// Value returns value i of the row last read, nil when it has none.
func (c *Copier) Value(i int) any {
	if c.raw != nil {
		return c.rr.RawField(c.raw, i)
	}
	if i < len(c.row) {
		return c.row[i]
	}
	return nil
}

// Text is Value for a text cell, without boxing it in an interface (an
// allocation a row): "" when value i is not text.
func (c *Copier) Text(i int) string {
	if c.raw != nil {
		return c.rr.RawField(c.raw, i)
	}
	s, _ := c.Value(i).(string)
	return s
}

// Write writes the row last read, with extra after its values.
func (c *Copier) Write(extra ...string) error {
	if c.raw != nil {
		c.extra = append(c.extra[:0], extra...)
		return c.rw.WriteRaw(c.raw, c.extra...)
	}
	row := c.row
	for _, s := range extra {
		row = append(row, s)
	}
	return c.w.Write(row)
}

// PosError locates bad input, so a user can open the file at the spot.
type PosError struct {
	Path   string // "-" for standard input
	Line   int    // 1-based; 0 when not known
	Column int    // 1-based; 0 when not known
	Row    int64  // 1-based data row, for formats without lines (Parquet)
	Err    error
}

func (e *PosError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	case e.Row > 0:
		return fmt.Sprintf("%s: row %d: %v", e.Path, e.Row, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

func (e *PosError) Unwrap() error { return e.Err }

// Text renders a value for text formats (CSV cells): nil is empty, times are
// RFC 3339, nested JSON stays JSON.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case json.Number:
		return x.String()
	case json.RawMessage:
		return string(x)
	}
	return fmt.Sprint(v)
}
