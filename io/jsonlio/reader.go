// Package jsonlio reads and writes mailing lists as JSON Lines: one JSON
// object per line. Rows keep the key order of the input, because users
// expect the output columns in the order they wrote them and a map would
// sort them.
package jsonlio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/rowio"
)

// ErrNoObject means the input holds no JSON object, so there are no column
// names to find the email column by.
var ErrNoObject = errors.New("empty input: no JSON object")

const readBufSize = 64 << 10

var bom = []byte{0xEF, 0xBB, 0xBF}

// Reader reads rows whose columns are the keys of the first object. It
// implements rowio.Reader. Values are string, json.Number, bool, nil, or
// json.RawMessage for nested objects and arrays.
type Reader struct {
	name  string
	br    *bufio.Reader
	line  int    // number of the last line read
	long  []byte // holds lines longer than br's buffer
	cols  []string
	index map[string]int
	seen  []bool
	first rowio.Row // parsed by NewReader, returned by the first Read
	err   error     // sticky
	opts  Options
}

// Options are a Reader's settings; the zero value is NewReader's.
type Options struct {
	// Ragged takes a key the first object lacks as a new column, after
	// the others, instead of an error: Columns grows as rows are read,
	// and a row is as long as Columns was when it was read.
	Ragged bool
	// MaxLine bounds a line in bytes, so that one endless line cannot
	// take all memory; 0 sets no bound.
	MaxLine int
}

// ErrTooLong means a line is longer than Options.MaxLine.
var ErrTooLong = errors.New("longer than the limit")

// NewReader reads up to the first object at once, since it defines the
// columns. name is used in errors only. All errors are *rowio.PosError.
func NewReader(r io.Reader, name string) (*Reader, error) {
	return NewReaderOptions(r, name, Options{})
}

// NewReaderOptions is NewReader with options.
func NewReaderOptions(r io.Reader, name string, opts Options) (*Reader, error) {
	rd := &Reader{name: name, br: bufio.NewReaderSize(r, readBufSize), index: map[string]int{}, opts: opts}
	head, err := rd.br.Peek(len(bom))
	if err != nil && err != io.EOF {
		return nil, &rowio.PosError{Path: name, Err: err}
	}
	if bytes.Equal(head, bom) {
		rd.br.Discard(len(bom))
	}
	line, err := rd.nextLine()
	if err == io.EOF {
		return nil, &rowio.PosError{Path: name, Err: ErrNoObject}
	}
	if err != nil {
		return nil, err
	}
	row, err := rd.parse(line, true)
	if err != nil {
		return nil, err
	}
	rd.first = row
	rd.seen = make([]bool, len(rd.cols))
	return rd, nil
}

// Columns returns the keys of the first object in the order they appear;
// with Options.Ragged, then the keys of later objects as they were met.
func (r *Reader) Columns() []string { return r.cols }

// Read returns the next row; keys an object lacks are nil. Blank lines are
// skipped. After an error, Read keeps returning it.
func (r *Reader) Read() (rowio.Row, error) {
	if r.first != nil {
		row := r.first
		r.first = nil
		return row, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	line, err := r.nextLine()
	if err == nil {
		var row rowio.Row
		if row, err = r.parse(line, false); err == nil {
			return row, nil
		}
	}
	r.err = err
	return nil, err
}

// GrowsColumns reports whether Columns may grow as rows are read
// (Options.Ragged): a consumer that needs every column reads to the end.
func (r *Reader) GrowsColumns() bool { return r.opts.Ragged }

// Close does nothing: the caller opened the source and closes it.
func (r *Reader) Close() error { return nil }

// nextLine returns the next non-blank line without its line end. The slice
// is valid until the next call.
func (r *Reader) nextLine() ([]byte, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// bufio.Scanner would stop at a fixed limit; records with
			// large nested values must still be read.
			r.long = append(r.long[:0], line...)
			for err == bufio.ErrBufferFull {
				if r.opts.MaxLine > 0 && len(r.long) > r.opts.MaxLine {
					r.long = nil
					return nil, &rowio.PosError{Path: r.name, Line: r.line + 1,
						Err: fmt.Errorf("a line %w of %d bytes (--max-field); is this a list at all?", ErrTooLong, r.opts.MaxLine)}
				}
				line, err = r.br.ReadSlice('\n')
				r.long = append(r.long, line...)
			}
			line = r.long
		}
		if len(line) == 0 && err == io.EOF {
			return nil, io.EOF
		}
		r.line++
		if err != nil && err != io.EOF {
			return nil, &rowio.PosError{Path: r.name, Line: r.line, Err: err}
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimLeft(line, " \t\r")) == 0 {
			continue
		}
		return line, nil
	}
}

// parse decodes one line. With first set it defines the columns instead of
// checking the keys against them.
//
// json.Decoder would keep the key order too, but it allocates an error
// value at the end of every token and ran at a tenth of the speed. So the
// line is validated with json.Valid, which does not allocate, and then
// split by the few rules that hold for valid JSON; the decoder is only used
// to explain invalid lines.
func (r *Reader) parse(line []byte, first bool) (rowio.Row, error) {
	if !json.Valid(line) {
		return nil, r.invalid(line)
	}
	i := skipSpace(line, 0)
	if line[i] != '{' {
		return nil, r.posError(i+1, fmt.Errorf("not a JSON object but %s", kind(line[i])))
	}
	row := rowio.Row{} // an empty first object still counts as a row
	if !first {
		row = make(rowio.Row, len(r.cols))
		clear(r.seen)
	}
	i = skipSpace(line, i+1)
	for line[i] != '}' {
		keyStart := i
		i = endString(line, i)
		key := line[keyStart:i]
		i = skipSpace(line, i)
		i = skipSpace(line, i+1) // the colon
		valStart := i
		i = endValue(line, i)
		v, err := value(line[valStart:i])
		if err != nil {
			return nil, r.posError(valStart+1, err)
		}
		i = skipSpace(line, i)
		if line[i] == ',' {
			i = skipSpace(line, i+1)
		}
		if first {
			name, err := unquote(key)
			if err != nil {
				return nil, r.posError(keyStart+1, err)
			}
			if _, dup := r.index[name]; dup {
				return nil, r.posError(keyStart+1, fmt.Errorf("duplicate key %q", name))
			}
			r.index[name] = len(r.cols)
			r.cols = append(r.cols, name)
			row = append(row, v)
			continue
		}
		col, ok := r.index[string(key[1:len(key)-1])] // no allocation
		if !ok || bytes.IndexByte(key, '\\') >= 0 {
			name, err := unquote(key)
			if err != nil {
				return nil, r.posError(keyStart+1, err)
			}
			if col, ok = r.index[name]; !ok && r.opts.Ragged {
				col, ok = len(r.cols), true
				r.index[name] = col
				r.cols = append(r.cols, name)
				r.seen = append(r.seen, false)
			}
			if !ok {
				return nil, r.posError(keyStart+1, fmt.Errorf("key %q not in the first row's keys", name))
			}
			for len(row) <= col {
				row = append(row, nil)
			}
		}
		if r.seen[col] {
			return nil, r.posError(keyStart+1, fmt.Errorf("duplicate key %q", r.cols[col]))
		}
		r.seen[col] = true
		row[col] = v
	}
	return row, nil
}

// invalid explains why line is not valid JSON, at the column of the
// offending byte.
func (r *Reader) invalid(line []byte) error {
	start := skipSpace(line, 0)
	object := line[start] == '{'
	dec := json.NewDecoder(bytes.NewReader(line))
	var raw json.RawMessage
	err := dec.Decode(&raw)
	switch {
	case err == nil && !object:
		return r.posError(start+1, fmt.Errorf("not a JSON object but %s", kind(line[start])))
	case err == nil:
		// A valid object followed by more.
		end := skipSpace(line, int(dec.InputOffset()))
		return r.posError(end+1, errors.New("more data after the object; want one object per line"))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if !object {
			return r.posError(len(line)+1, errors.New("not a JSON object: the line ends inside a JSON value"))
		}
		return r.posError(len(line)+1, errors.New("the object is not closed at the end of the line"))
	}
	// The decoder's offsets point near, not at, the bad byte; the
	// *json.SyntaxError of Unmarshal counts up to and including it, which
	// is exactly the 1-based column.
	col := 0
	var se *json.SyntaxError
	if errors.As(json.Unmarshal(line, &raw), &se) {
		err, col = se, max(int(se.Offset), 1)
	}
	if !object {
		// Likely not JSON Lines at all (CSV text, a binary file).
		err = fmt.Errorf("not a JSON object: %w", err)
	}
	return r.posError(col, err)
}

// The scanning helpers below assume valid JSON (see parse) and return the
// index just past what they skip.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// endString skips the string whose opening quote is at b[i].
func endString(b []byte, i int) int {
	i++
	for {
		i += bytes.IndexByte(b[i:], '"')
		// The quote ends the string unless an odd number of backslashes
		// escapes it.
		k := i - 1
		for b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
		i++
	}
}

// endValue skips the value that starts at b[i].
func endValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return endString(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = endString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// unquote returns the text of a JSON string, avoiding json.Unmarshal when
// there is nothing to unescape.
func unquote(raw []byte) (string, error) {
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// value converts one raw JSON value to its row form.
func value(raw []byte) (any, error) {
	switch raw[0] {
	case '"':
		return unquote(raw)
	case 't':
		return true, nil
	case 'f':
		return false, nil
	case 'n':
		return nil, nil
	case '{', '[':
		var b bytes.Buffer
		b.Grow(len(raw))
		if err := json.Compact(&b, raw); err != nil {
			return nil, err
		}
		return json.RawMessage(b.Bytes()), nil
	}
	return json.Number(string(raw)), nil
}

// kind names the JSON value that starts with c, for errors.
func kind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (r *Reader) posError(col int, err error) error {
	return &rowio.PosError{Path: r.name, Line: r.line, Column: col, Err: err}
}
