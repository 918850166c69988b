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
	cr   *csv.Reader
	cols []string
	err  error // sticky: input after a structural error cannot be trusted
}

// NewReader reads the header row of r at once, so that a wrong file fails
// before any work. name is used in errors only. comma is ',' for CSV and
// '\t' for TSV. All errors are *rowio.PosError.
func NewReader(r io.Reader, name string, comma rune) (*Reader, error) {
	if !validComma(comma) {
		return nil, &rowio.PosError{Path: name, Err: fmt.Errorf("invalid field separator %q", comma)}
	}
	// csv.NewReader keeps a *bufio.Reader that is large enough instead of
	// wrapping it again, so peeking here costs no extra copy.
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

	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // checked in Read, for a better message
	cr.ReuseRecord = true   // safe: Read copies the fields out
	rd := &Reader{name: name, cr: cr}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &rowio.PosError{Path: name, Err: ErrNoHeader}
	}
	if err != nil {
		return nil, rd.posError(err)
	}
	rd.cols = append([]string(nil), header...)
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
	if r.err != nil {
		return nil, r.err
	}
	rec, err := r.cr.Read()
	if err != nil {
		if err != io.EOF {
			err = r.posError(err)
		}
		r.err = err
		return nil, err
	}
	if len(rec) != len(r.cols) {
		r.err = r.fieldCountError(len(rec))
		return nil, r.err
	}
	// rec is reused by the next Read, but its strings are not: csv.Reader
	// slices them out of one fresh string per record.
	row := make(rowio.Row, len(rec))
	for i, s := range rec {
		row[i] = s
	}
	return row, nil
}

// Close does nothing: the caller opened the source and closes it.
func (r *Reader) Close() error { return nil }

func (r *Reader) fieldCountError(n int) error {
	want := len(r.cols)
	err := fmt.Errorf("%w: got %d, the header has %d", ErrFieldCount, n, want)
	if n > want {
		// Point at the first field too many.
		line, col := r.cr.FieldPos(want)
		return &rowio.PosError{Path: r.name, Line: line, Column: col, Err: err}
	}
	line, _ := r.cr.FieldPos(n - 1)
	return &rowio.PosError{Path: r.name, Line: line, Err: err}
}

func (r *Reader) posError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &rowio.PosError{Path: r.name, Err: err}
	}
	inner := pe.Err
	if pe.StartLine != 0 && pe.StartLine != pe.Line {
		// A quoted field can span lines; an unclosed quote is only noticed
		// at the end of the input, far from the quote itself.
		inner = fmt.Errorf("%w (in the record starting on line %d)", pe.Err, pe.StartLine)
	}
	return &rowio.PosError{Path: r.name, Line: pe.Line, Column: pe.Column, Err: inner}
}
