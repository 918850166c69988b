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

// FieldReader is a Reader of text, which can read one value of each row
// without making values of the rest: a pass that needs one column of a wide
// list then costs one string per row.
type FieldReader interface {
	Reader
	// ReadField returns value i of the next row.
	ReadField(i int) (string, error)
}

// RawReader is a Reader that can hand over rows still encoded, for a
// RawWriter of the same Encoding to copy: a join that only adds columns to
// rows then neither decodes nor re-encodes them.
type RawReader interface {
	Reader
	// ReadRaw returns the next row's encoding when a RawWriter would write
	// it back unchanged; otherwise raw is nil and row is the decoded row.
	// raw is valid until the next call.
	ReadRaw() (raw []byte, row Row, err error)
	// Encoding names the encoding, separator included.
	Encoding() string
}

// RawWriter is a Writer that takes rows from a RawReader.
type RawWriter interface {
	Writer
	// WriteRaw writes a row made of raw, from a RawReader of the same
	// Encoding, and then the extra values.
	WriteRaw(raw []byte, extra ...string) error
	Encoding() string
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
