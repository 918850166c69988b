// Package xlsxio reads and writes mailing lists as Excel workbooks (.xlsx)
// through excelize, streaming: rows are read from the sheet's XML as it is
// decompressed, and written through excelize's StreamWriter, so that a
// sheet of a million rows does not sit in memory. That dependency stays in
// here.
package xlsxio

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
)

// Default bounds on what a workbook may expand to, so that a zip bomb
// fails at once instead of filling memory or the disk.
const (
	// DefaultMaxUnzip bounds all parts together: a sheet of a million
	// rows of a few columns is a few hundred MB of XML.
	DefaultMaxUnzip = 2 << 30
	// DefaultMaxXML bounds a part held in memory; a larger sheet or
	// string table goes to a temporary file (excelize's own default).
	DefaultMaxXML = 16 << 20
)

// Errors a caller may want to tell apart.
var (
	// ErrNoSheet means the sheet asked for is not in the workbook.
	ErrNoSheet = errors.New("no such sheet")
	// ErrDamaged means the file is not a workbook excelize can read.
	ErrDamaged = errors.New("not a readable .xlsx workbook (damaged, or another format named .xlsx)")
	// ErrTooBig means the workbook's parts expand past Options.MaxUnzip.
	ErrTooBig = errors.New("the workbook expands past the limit")
	// ErrExtraCell means a row has a value right of the header's last
	// column.
	ErrExtraCell = errors.New("a value in a column the header does not name")
)

// Options are a Reader's settings; the zero value is the default.
type Options struct {
	// Sheet is the sheet to read; empty means the first.
	Sheet string
	// MaxUnzip and MaxXML are excelize's UnzipSizeLimit and
	// UnzipXMLSizeLimit; 0 means DefaultMaxUnzip and DefaultMaxXML.
	MaxUnzip, MaxXML int64
	// Header is read as by csvio: by default the first row is a header
	// unless it holds an address.
	Header csvio.HeaderMode
}

func (o Options) excelize() excelize.Options {
	eo := excelize.Options{UnzipSizeLimit: o.MaxUnzip, UnzipXMLSizeLimit: o.MaxXML}
	if eo.UnzipSizeLimit <= 0 {
		eo.UnzipSizeLimit = DefaultMaxUnzip
	}
	if eo.UnzipXMLSizeLimit <= 0 {
		eo.UnzipXMLSizeLimit = min(DefaultMaxXML, eo.UnzipSizeLimit)
	}
	eo.UnzipXMLSizeLimit = min(eo.UnzipXMLSizeLimit, eo.UnzipSizeLimit)
	return eo
}

// Reader reads the rows of one sheet as strings: the text Excel shows for
// strings and numbers, and dates and times in ISO 8601. It implements
// rowio.Reader.
type Reader struct {
	name   string
	sheet  string
	f      *excelize.File
	rows   *excelize.Rows
	cols   []string
	row    int // sheet row number of the last row read
	header bool
	first  rowio.Row
	err    error
}

// Open reads the workbook at path.
func Open(path, name string, opts Options) (*Reader, error) {
	f, err := excelize.OpenFile(path, opts.excelize())
	return newReader(f, err, name, opts)
}

// OpenReader reads a workbook from r, a pipe say. excelize then holds the
// compressed workbook in memory; its parts still stream.
func OpenReader(r io.Reader, name string, opts Options) (*Reader, error) {
	f, err := excelize.OpenReader(r, opts.excelize())
	return newReader(f, err, name, opts)
}

func newReader(f *excelize.File, err error, name string, opts Options) (*Reader, error) {
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, &rowio.PosError{Path: name, Err: openError(err, opts)}
	}
	rd := &Reader{name: name, f: f}
	if err := rd.start(opts); err != nil {
		f.Close()
		return nil, err
	}
	return rd, nil
}

// openError says what went wrong in words a user can act on.
func openError(err error, opts Options) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unzip size exceeds"):
		return fmt.Errorf("%w of %d bytes (--xlsx-max-unzip): %v", ErrTooBig, opts.excelize().UnzipSizeLimit, err)
	case errors.Is(err, excelize.ErrWorkbookFileFormat), errors.Is(err, excelize.ErrWorkbookPassword),
		errors.Is(err, excelize.ErrUnsupportedEncryptMechanism):
		return fmt.Errorf("a password-protected or unsupported workbook (%v): save it without a password as .xlsx or CSV", err)
	}
	return fmt.Errorf("%w: %v", ErrDamaged, err)
}

func (r *Reader) start(opts Options) error {
	sheets := r.f.GetSheetList()
	if len(sheets) == 0 {
		return &rowio.PosError{Path: r.name, Err: fmt.Errorf("%w: the workbook has no sheet", ErrDamaged)}
	}
	r.sheet = sheets[0]
	if opts.Sheet != "" {
		r.sheet = ""
		for _, s := range sheets {
			if s == opts.Sheet {
				r.sheet = s
			}
		}
		if r.sheet == "" {
			for _, s := range sheets {
				if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(opts.Sheet)) {
					r.sheet = s
				}
			}
		}
		if r.sheet == "" {
			return &rowio.PosError{Path: r.name, Err: fmt.Errorf("%w %q; the sheets are %s", ErrNoSheet, opts.Sheet, quoteAll(sheets))}
		}
	}
	isoDates(r.f)
	rows, err := r.f.Rows(r.sheet)
	if err != nil {
		return &rowio.PosError{Path: r.name, Err: fmt.Errorf("sheet %q: %w", r.sheet, openError(err, opts))}
	}
	r.rows = rows
	first, err := r.next(0)
	if err == io.EOF {
		return &rowio.PosError{Path: r.name, Err: fmt.Errorf("sheet %q is empty: %w", r.sheet, csvio.ErrNoHeader)}
	}
	if err != nil {
		return err
	}
	switch opts.Header {
	case csvio.HeaderPresent:
		r.header = true
	case csvio.HeaderAbsent:
	default:
		r.header = !csvio.FirstRecordIsData(first)
	}
	if r.header {
		r.cols = make([]string, len(first))
		for i, v := range first {
			r.cols[i] = v.(string)
		}
		return nil
	}
	r.first = first
	r.cols = headerless(len(first))
	return nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// headerless names the columns of a sheet without a header row, as csvio
// names those of a list without one.
func headerless(n int) []string {
	if n == 1 {
		return []string{"email"}
	}
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("column_%d", i+1)
	}
	return cols
}

// Sheet is the name of the sheet read.
func (r *Reader) Sheet() string { return r.sheet }

// HasHeader reports whether the first row was read as a header row.
func (r *Reader) HasHeader() bool { return r.header }

// Columns returns the header row's cells, trailing empty ones dropped.
func (r *Reader) Columns() []string { return r.cols }

// next reads the next row that has a value, n values wide at least (0:
// as wide as it is). Empty rows are skipped, as CSV's blank lines are.
func (r *Reader) next(n int) (rowio.Row, error) {
	for r.rows.Next() {
		r.row++
		cells, err := r.rows.Columns()
		if err != nil {
			return nil, &rowio.PosError{Path: r.name, Row: int64(r.row), Err: err}
		}
		last := len(cells) - 1
		for last >= 0 && strings.TrimSpace(cells[last]) == "" {
			last--
		}
		if last < 0 {
			continue
		}
		cells = cells[:last+1]
		if n > 0 && len(cells) > n {
			col, _ := excelize.ColumnNumberToName(n + 1)
			for i := n; i < len(cells); i++ {
				if strings.TrimSpace(cells[i]) != "" {
					col, _ = excelize.ColumnNumberToName(i + 1)
					break
				}
			}
			return nil, &rowio.PosError{Path: r.name, Row: int64(r.row),
				Err: fmt.Errorf("cell %s%d: %w (%d columns)", col, r.row, ErrExtraCell, n)}
		}
		row := make(rowio.Row, max(n, len(cells)))
		for i := range row {
			if i < len(cells) {
				row[i] = cells[i]
			} else {
				row[i] = ""
			}
		}
		return row, nil
	}
	if err := r.rows.Error(); err != nil {
		return nil, &rowio.PosError{Path: r.name, Row: int64(r.row + 1), Err: err}
	}
	return nil, io.EOF
}

// Read returns the next row, io.EOF after the last. After an error it
// keeps returning it.
func (r *Reader) Read() (rowio.Row, error) {
	if r.first != nil {
		row := r.first
		r.first = nil
		return row, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	row, err := r.next(len(r.cols))
	if err != nil {
		r.err = err
	}
	return row, err
}

// Close releases the workbook and its temporary files.
func (r *Reader) Close() error {
	var errs []error
	if r.rows != nil {
		if err := r.rows.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, r.f.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%s: %w", r.name, err)
	}
	return nil
}
