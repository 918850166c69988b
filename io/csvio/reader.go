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
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/verify"
)

// ErrNotText means the input holds a NUL byte, which no CSV or TSV text
// does. It catches gzip, Parquet or UTF-16 files given a .csv name before
// they turn into one garbage row per binary line.
var ErrNotText = errors.New("content does not look like CSV or TSV text (it contains a NUL byte)")

// ErrNoHeader means the input holds no record at all, so there are no
// columns to find the email column among.
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

var bomBytes = []byte{0xEF, 0xBB, 0xBF}

// HeaderMode says whether a list's first record names its columns.
type HeaderMode int

const (
	// HeaderAuto decides by the first record: see FirstRecordIsData.
	HeaderAuto HeaderMode = iota
	// HeaderPresent reads the first record as column names (--header).
	HeaderPresent
	// HeaderAbsent reads every record as a row (--no-header).
	HeaderAbsent
)

// Options are a Reader's settings; the zero value is the default.
type Options struct {
	Header HeaderMode
	// Sniff picks the separator from the first lines (SniffDelimiter);
	// the comma given is then the one for a list of one column.
	Sniff bool
	// MaxField bounds a line, or a quoted field over several lines, in
	// bytes, so that a file of one endless line cannot take all memory.
	// 0 sets no bound.
	MaxField int
}

// Reader reads rows whose values are all strings. It implements
// rowio.Reader.
type Reader struct {
	name string
	br   *bufio.Reader
	sep  rune
	cols []string
	err  error // sticky: input after a structural error cannot be trusted
	bom  bool  // the input began with a UTF-8 byte order mark

	maxField int // see Options.MaxField

	// header is false when the first record was read as a row; first
	// holds that row until the first read takes it.
	header bool
	first  rowio.Row

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

// NewReader is NewReaderOptions with the default options: the first
// record is a header row unless it looks like data.
func NewReader(r io.Reader, name string, comma rune) (*Reader, error) {
	return NewReaderOptions(r, name, comma, Options{})
}

// NewReaderOptions reads the first record of r at once, so that a wrong
// file fails before any work, and decides by opts.Header whether it is a
// header row. name is used in errors only. comma is ',' for CSV and '\t'
// for TSV. All errors are *rowio.PosError.
func NewReaderOptions(r io.Reader, name string, comma rune, opts Options) (*Reader, error) {
	if !validComma(comma) {
		return nil, &rowio.PosError{Path: name, Err: fmt.Errorf("invalid field separator %q", comma)}
	}
	br := bufio.NewReaderSize(r, readBufSize)
	rd := &Reader{name: name, br: br, sep: comma, maxField: opts.MaxField}
	// A read error here (a cut gzip stream, invalid UTF-8) comes back
	// on the next read, from the sticky source, where the records read
	// up to it place it at its line.
	head, _ := br.Peek(sniffSize)
	if bytes.HasPrefix(head, bomBytes) {
		br.Discard(len(bomBytes))
		head = head[len(bomBytes):]
		rd.bom = true
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		line := 1 + bytes.Count(head[:i], []byte{'\n'})
		col := i - bytes.LastIndexByte(head[:i], '\n')
		return nil, &rowio.PosError{Path: name, Line: line, Column: col, Err: notText(head)}
	}
	if opts.Sniff {
		atEOF := len(head) < sniffSize
		var err error
		if rd.sep, err = SniffDelimiter(head, atEOF, comma); err != nil {
			return nil, &rowio.PosError{Path: name, Err: err}
		}
		comma = rd.sep
	}
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
	switch opts.Header {
	case HeaderPresent:
		rd.header = true
	case HeaderAbsent:
	default:
		rd.header = !FirstRecordIsData(rec)
	}
	if rd.header {
		rd.cols = make([]string, len(rec))
		for i, v := range rec {
			rd.cols[i] = v.(string)
		}
		return rd, nil
	}
	rd.first = rec
	rd.cols = headerlessColumns(len(rec))
	return rd, nil
}

// FirstRecordIsData is the rule of HeaderAuto, as the README states it: a
// first record that holds a known email header name (verify.EmailHeader)
// is a header row; otherwise it is a row when a cell of it holds an
// address, that is an '@', or one spelled out as "(at)" or "[at]", so that
// a broken first address is kept and reported invalid rather than taken
// for a column name; any other first record is a header row. A pasted
// column of addresses thus loses none of them, and a header such as
// "Contact" over the addresses is still a header.
func FirstRecordIsData(rec rowio.Row) bool {
	for _, v := range rec {
		if s, _ := v.(string); verify.EmailHeader(s) {
			return false
		}
	}
	for _, v := range rec {
		s, _ := v.(string)
		if strings.IndexByte(s, '@') >= 0 || spelledAt(s) {
			return true
		}
	}
	return false
}

// spelledAt reports an '@' written out to fool harvesters: "(at)" or
// "[at]", in any case.
func spelledAt(s string) bool {
	for {
		i := strings.IndexAny(s, "([")
		if i < 0 || len(s) < i+4 {
			return false
		}
		end := byte(')')
		if s[i] == '[' {
			end = ']'
		}
		if strings.EqualFold(s[i+1:i+3], "at") && s[i+3] == end {
			return true
		}
		s = s[i+1:]
	}
}

// headerlessColumns names the columns of a list without a header row: a
// list of one column is a list of addresses, and the pipeline finds the
// email column of a wider one by its values.
func headerlessColumns(n int) []string {
	if n == 1 {
		return []string{"email"}
	}
	cols := make([]string, n)
	for i := range cols {
		cols[i] = "column_" + strconv.Itoa(i+1)
	}
	return cols
}

// Comma is the field separator, sniffed or given.
func (r *Reader) Comma() rune { return r.sep }

// BOM reports whether the input began with a UTF-8 byte order mark.
func (r *Reader) BOM() bool { return r.bom }

// HasHeader reports whether the first record was read as a header row;
// when it was not, the columns are named by headerlessColumns and the
// first record is the first row.
func (r *Reader) HasHeader() bool { return r.header }

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
	if row := r.takeFirst(); row != nil {
		return row, nil
	}
	line, err := r.next()
	if err != nil {
		return nil, err
	}
	if line != nil {
		return r.split(line), nil
	}
	return r.record()
}

// takeFirst returns the first record of a list without a header row, once.
func (r *Reader) takeFirst() rowio.Row {
	row := r.first
	r.first = nil
	return row
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
		r.err = &rowio.PosError{Path: r.name, Line: r.lines + 1, Err: err}
		return nil, r.err
	}
	return line, nil
}

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
	of := "the header has"
	if !r.header {
		of = "the first row has"
	}
	err := fmt.Errorf("%w: got %d, %s %d", ErrFieldCount, n, of, want)
	if n > want {
		p := r.fieldPos[want]
		return &rowio.PosError{Path: r.name, Line: p.line, Column: p.col, Err: err}
	}
	return &rowio.PosError{Path: r.name, Line: r.fieldPos[n-1].line, Err: err}
}
