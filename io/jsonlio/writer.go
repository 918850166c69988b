package jsonlio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/rowio"
)

const writeBufSize = 64 << 10

// Writer writes rows as JSON objects, one per line, keys in column order.
// It implements rowio.Writer. Lines are built by hand into a reused buffer:
// marshaling a map would sort the keys and allocate per row.
type Writer struct {
	bw      *bufio.Writer
	n       int
	prefix  [][]byte // `{"key":` for the first column, `,"key":` after
	line    []byte
	compact bytes.Buffer
}

// NewWriter returns a writer for rows of columns. Nothing is written until
// the first row: JSON Lines has no header.
func NewWriter(w io.Writer, columns []string) *Writer {
	wr := &Writer{bw: bufio.NewWriterSize(w, writeBufSize), n: len(columns)}
	for i, c := range columns {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		p := appendString([]byte{sep}, c)
		wr.prefix = append(wr.prefix, append(p, ':'))
	}
	return wr
}

// Write writes one row as one line. Values keep their JSON type: strings,
// numbers, booleans and null; json.Number and json.RawMessage go out as
// they are (nested values are compacted, because a newline inside would
// split the record), time.Time as an RFC 3339 string and []byte as a
// string.
func (w *Writer) Write(row rowio.Row) error {
	if len(row) != w.n {
		return fmt.Errorf("jsonl: write: row has %d values for %d columns", len(row), w.n)
	}
	b := w.line[:0]
	if w.n == 0 {
		b = append(b, '{')
	}
	for i, v := range row {
		b = append(b, w.prefix[i]...)
		var err error
		if b, err = w.appendValue(b, v); err != nil {
			return fmt.Errorf("jsonl: write: column %d: %w", i+1, err)
		}
	}
	b = append(b, '}', '\n')
	w.line = b
	if _, err := w.bw.Write(b); err != nil {
		return fmt.Errorf("jsonl: write: %w", err)
	}
	return nil
}

// Close flushes buffered rows. It does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("jsonl: flush: %w", err)
	}
	return nil
}

func (w *Writer) appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
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
	case []byte:
		return appendString(b, string(x)), nil
	case time.Time:
		return appendString(b, x.UTC().Format(time.RFC3339Nano)), nil
	case json.Number:
		if x == "" {
			return append(b, '0'), nil // as json.Marshal does
		}
		if !validNumber(string(x)) {
			return b, fmt.Errorf("invalid json.Number %q", string(x))
		}
		return append(b, x...), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		w.compact.Reset()
		if err := json.Compact(&w.compact, x); err != nil {
			return b, fmt.Errorf("invalid json.RawMessage: %w", err)
		}
		return append(b, w.compact.Bytes()...), nil
	}
	return b, fmt.Errorf("unsupported value type %T", v)
}

// appendFloat formats like json.Marshal. JSON has no NaN or infinity; they
// become the strings rowio.Text gives them rather than failing the run over
// one value.
func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// 1e-07 → 1e-7, as json.Marshal writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hex = "0123456789abcdef"

// appendString quotes s as json.Marshal does, minus its HTML escaping of
// <, > and &, which only matters when JSON is embedded in HTML. Invalid
// UTF-8 becomes U+FFFD, since JSON text must be valid UTF-8.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 end lines in JavaScript; json.Marshal escapes
		// them so its output stays valid there too.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// validNumber reports whether s is a JSON number, so that a bad json.Number
// from elsewhere cannot corrupt the line.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
