// Package csvio reads and writes mailing lists as CSV (RFC 4180) and TSV.
// Lists come from spreadsheets and CRMs, so the reader is strict about
// structure (a ragged row or a stray quote is an error with its position,
// never a silently shifted column) but tolerant of what those tools add: a
// byte order mark, CRLF line ends, blank lines.
package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/rowio"
)

// ErrNotText means the input holds a NUL byte, which no CSV or TSV text
// does. It catches gzip, Parquet or UTF-16 files given a .csv name before
// they turn into one garbage row per binary line.
var ErrNotText = errors.New("content does not look like CSV or TSV text (it contains a NUL byte)")

// ErrNoHeader means the input has no header row, so there are no column
// names to find the email column by.
var ErrNoHeader = errors.New("empty input: no header row")

// ErrFieldCount is csv.ErrFieldCount, re-exported so that callers need not
// import encoding/csv to recognise a ragged row.
var ErrFieldCount = csv.ErrFieldCount

const (
	readBufSize = 64 << 10
	// sniffSize bounds the NUL check to the start of the input: binary
	// formats give themselves away in their first bytes, and scanning every
	// row would cost time on the 10M-row lists this reader is built for.
	sniffSize = readBufSize
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// Reader reads rows whose values are all strings. It implements
// rowio.Reader.
type Reader struct {
	name string
	br   *bufio.Reader
	sep  rune
	cols []string
	err  error // sticky: input after a structural error cannot be trusted

	// Most records are one line without quotes, and splitting such a
	// line at its separators is several times cheaper than parsing it
	// byte by byte. plainLine takes those lines and leaves every other
	// record to readRecord. comma is the separator when it is one byte,
	// else 0 and readRecord reads everything.
	comma byte
	lines int    // lines consumed so far, for positions
	raw   []byte // ReadRaw's copy of the last plain line

	// readRecord's buffers, kept from record to record.
	long      []byte // a line longer than br's buffer
	recBuf    []byte
	fieldEnds []int
	fieldPos  []position
}

// NewReader reads the header row of r at once, so that a wrong file fails
// before any work. name is used in errors only. comma is ',' for CSV and
// '\t' for TSV. All errors are *rowio.PosError.
func NewReader(r io.Reader, name string, comma rune) (*Reader, error) {
	if !validComma(comma) {
		return nil, &rowio.PosError{Path: name, Err: fmt.Errorf("invalid field separator %q", comma)}
	}
	br := bufio.NewReaderSize(r, readBufSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &rowio.PosError{Path: name, Err: err}
	}
	if bytes.HasPrefix(head, bom) {
		br.Discard(len(bom))
		head = head[len(bom):]
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		line := 1 + bytes.Count(head[:i], []byte{'\n'})
		col := i - bytes.LastIndexByte(head[:i], '\n')
		return nil, &rowio.PosError{Path: name, Line: line, Column: col, Err: notText(head)}
	}

	rd := &Reader{name: name, br: br, sep: comma}
	if comma < utf8.RuneSelf {
		rd.comma = byte(comma)
	}
	rec, err := rd.readRecord()
	if err == io.EOF {
		return nil, &rowio.PosError{Path: name, Err: ErrNoHeader}
	}
	if err != nil {
		return nil, err
	}
	rd.cols = make([]string, len(rec))
	for i, v := range rec {
		rd.cols[i] = v.(string)
	}
	return rd, nil
}

// validComma mirrors encoding/csv's rule, so that a bad separator fails
// when the reader or writer is made rather than on the first row.
func validComma(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// notText names the likely culprit, since the usual cause is a file with the
// wrong extension and the fix is to rename it.
func notText(head []byte) error {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return fmt.Errorf("%w; it looks gzip-compressed: name it .gz", ErrNotText)
	case bytes.HasPrefix(head, []byte("PAR1")):
		return fmt.Errorf("%w; it looks like Parquet: name it .parquet", ErrNotText)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fmt.Errorf("%w; it looks like UTF-16: save it as UTF-8", ErrNotText)
	}
	return ErrNotText
}

// Columns returns the header names as they are, duplicates and empty names
// included.
func (r *Reader) Columns() []string { return r.cols }

// Read returns the next row. The row is the caller's to keep. Blank lines
// are skipped. After an error, Read keeps returning it.
func (r *Reader) Read() (rowio.Row, error) {
	line, err := r.next()
	if err != nil {
		return nil, err
	}
	if line != nil {
		return r.split(line), nil
	}
	return r.record()
}

// split makes a row of a line from plainLine.
func (r *Reader) split(line []byte) rowio.Row {
	row := make(rowio.Row, 0, len(r.cols))
	s := string(line) // one allocation; the fields are slices of it
	for {
		i := strings.IndexByte(s, r.comma)
		if i < 0 {
			break
		}
		row = append(row, s[:i])
		s = s[i+1:]
	}
	return append(row, s)
}

// record reads a record that plainLine left, behind the sticky error.
func (r *Reader) record() (rowio.Row, error) {
	row, err := r.readRecord()
	if err == nil && len(row) != len(r.cols) {
		err = r.fieldCountError(len(row))
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	return row, nil
}

// next is plainLine behind the sticky error: the line when the next
// record is a plain one, nil when it is readRecord's to read.
func (r *Reader) next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	line, err := r.plainLine()
	if err != nil {
		r.err = &rowio.PosError{Path: r.name, Err: err}
		return nil, r.err
	}
	return line, nil
}

// ReadField returns value i of the next row, and skips the others: a pass
// that needs one column need not make strings of the rest.
func (r *Reader) ReadField(i int) (string, error) {
	if i < 0 || i >= len(r.cols) {
		return "", fmt.Errorf("csv: no column %d of %d", i, len(r.cols))
	}
	line, err := r.next()
	if err != nil {
		return "", err
	}
	if line == nil {
		row, err := r.record()
		if err != nil {
			return "", err
		}
		return row[i].(string), nil
	}
	for range i {
		line = line[bytes.IndexByte(line, r.comma)+1:]
	}
	if end := bytes.IndexByte(line, r.comma); end >= 0 {
		line = line[:end]
	}
	return string(line), nil
}

// ReadRaw returns the next row's bytes when Writer.WriteRaw, given them
// with the same separator, writes exactly what Writer.Write would write for
// the row: a join that only adds columns then need not split the row and
// quote it again. raw is nil for any other row, and row holds it instead.
// raw is valid until the next call.
func (r *Reader) ReadRaw() (raw []byte, row rowio.Row, err error) {
	line, err := r.next()
	if err != nil {
		return nil, nil, err
	}
	switch {
	case line == nil:
		row, err := r.record()
		return nil, row, err
	case !r.verbatim(line):
		// The writer would quote a field of it (one that starts with a
		// space, say).
		return nil, r.split(line), nil
	}
	r.raw = append(r.raw[:0], line...)
	return r.raw, nil, nil
}

// verbatim reports whether the writer writes a plain line's fields as
// they are. Such fields hold no quote or line break, so only the rule for
// how a field starts can make the writer quote them.
func (r *Reader) verbatim(line []byte) bool {
	for {
		f := line
		i := bytes.IndexByte(line, r.comma)
		if i >= 0 {
			f = line[:i]
		}
		if quotedForItsStart(f) {
			return false
		}
		if i < 0 {
			return true
		}
		line = line[i+1:]
	}
}

// Encoding names the separator, so that a join copies raw rows only
// between a reader and a writer that agree on it.
func (r *Reader) Encoding() string { return encoding(r.sep) }

func encoding(comma rune) string { return "csv" + string(comma) }

// plainLine consumes and returns the next record, without its line end,
// when it is a single line free of quotes and carriage returns that has
// one field per column; blank lines before it are consumed too. Any other
// record is left unread and plainLine returns nil, for readRecord.
func (r *Reader) plainLine() ([]byte, error) {
	if r.comma == 0 {
		return nil, nil
	}
	for {
		buf, _ := r.br.Peek(r.br.Buffered())
		i := bytes.IndexByte(buf, '\n')
		for i < 0 {
			if len(buf) == r.br.Size() {
				return nil, nil // a very long line: readRecord copes
			}
			// Peek one byte more than is buffered: one read from the
			// source, which may be a slow pipe.
			var err error
			buf, err = r.br.Peek(len(buf) + 1)
			if err != nil {
				if err == io.EOF {
					return nil, nil // the last line has no line end
				}
				return nil, err
			}
			i = bytes.IndexByte(buf, '\n')
		}
		line := buf[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			r.br.Discard(i + 1)
			r.lines++
			continue
		}
		if bytes.IndexByte(line, '"') >= 0 || bytes.IndexByte(line, '\r') >= 0 ||
			bytes.Count(line, []byte{r.comma}) != len(r.cols)-1 {
			return nil, nil
		}
		r.br.Discard(i + 1) // line stays valid until the next read
		r.lines++
		return line, nil
	}
}

// Close does nothing: the caller opened the source and closes it.
func (r *Reader) Close() error { return nil }

// fieldCountError points at the first field too many, or at the line where
// a short record ends.
func (r *Reader) fieldCountError(n int) error {
	want := len(r.cols)
	err := fmt.Errorf("%w: got %d, the header has %d", ErrFieldCount, n, want)
	if n > want {
		p := r.fieldPos[want]
		return &rowio.PosError{Path: r.name, Line: p.line, Column: p.col, Err: err}
	}
	return &rowio.PosError{Path: r.name, Line: r.fieldPos[n-1].line, Err: err}
}
