// Package tableio picks the format package for a path by its extension, so
// that the command and the pipeline deal in rows and results, not formats.
package tableio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/jsonlio"
	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/textio"
	"github.com/mxverify/mxverify/io/xlsxio"
	"github.com/mxverify/mxverify/verify"
)

// ReadOptions say how to read the lists where the files themselves cannot
// tell; the zero value reads each list by its content, then its name.
type ReadOptions struct {
	// Format forces a format (--input-format); 0 goes by content, then by
	// the name, then CSV.
	Format fileio.Format
	// Delimiter forces the separator of CSV and TSV text (--delimiter);
	// 0 sniffs it.
	Delimiter rune
	// Encoding names the text's encoding (--encoding); empty is UTF-8,
	// or UTF-16 by its byte order mark.
	Encoding string
	// Sheet is the workbook sheet to read (--sheet); empty is the first.
	Sheet string
	// MaxField bounds a line or field of text, in bytes (--max-field).
	MaxField int
	// MaxUnzip and MaxXML bound what a workbook expands to
	// (--xlsx-max-unzip, --xlsx-max-xml); 0 is xlsxio's default.
	MaxUnzip, MaxXML int64
}

// Source is an input list that can be read more than once. Standard input,
// and any path that is not a regular file (a named pipe, or the /dev/fd/N
// of a shell's process substitution), is copied to a spool file as it is
// first read, and read back from there: opening a pipe twice would split
// its data between two readers.
//
// What a list is goes by its content before its name: gzip by its magic
// bytes, Parquet by PAR1, a workbook by the zip signature, JSON Lines by a
// first '{', and any other text is CSV whose separator is sniffed. The
// name decides only what the content leaves open.
type Source struct {
	path string
	opts ReadOptions
	// byName is the format the name says, 0 when it says none; gzName
	// that it ends in .gz.
	byName fileio.Format
	gzName bool
	// stream is what the first read reads: stdin, or the opened pipe. Nil
	// for a regular file, which each read opens anew.
	stream io.Reader
	pipe   *os.File // the opened pipe, to close
	spool  *os.File // the copy of the stream, after the first read
	// spooled is closed when the first read of the stream ends: a later
	// read of the spool waits for it, so that it never meets an end of
	// file that is only the first read not having got there yet.
	spooled chan struct{}
	header  csvio.HeaderMode // how a CSV or TSV list's first record is read
	size    int64            // bytes to read, -1 when not known
	// counts, when set, hear the bytes of the first read and of the
	// later ones (CountBytes).
	firstCount, laterCount *atomic.Int64

	// What Open learns, guarded by mu: the two reads of a run open the
	// list from two goroutines.
	mu        sync.Mutex
	opened    int
	format    fileio.Format // as read
	gzip      bool
	comma     rune
	text      textio.Info
	schema    *parquetio.Schema
	hasHeader bool
	sheet     string
}

// OpenSource is OpenSourceOptions with the default options.
func OpenSource(path string, stdin io.Reader) (*Source, error) {
	return OpenSourceOptions(path, stdin, ReadOptions{})
}

// OpenSourceOptions checks path (that it exists and is a readable file,
// and that its name, if it names a format, names one mxverify reads)
// without reading rows, so a typo fails before any DNS traffic.
func OpenSourceOptions(path string, stdin io.Reader, opts ReadOptions) (*Source, error) {
	s := &Source{path: path, opts: opts, spooled: make(chan struct{}), size: -1}
	if opts.Format == 0 && fileio.IsXLS(path) {
		return nil, fmt.Errorf("input %s: %w", path, fileio.ErrXLS)
	}
	if path != fileio.Stdio {
		format, gz, err := fileio.FormatOf(path)
		if err == nil {
			s.byName, s.gzName = format, gz
		} else if !errors.Is(err, fileio.ErrUnknownFormat) {
			return nil, err
		}

	}
	if path == fileio.Stdio {
		s.stream = stdin
		s.size = remaining(stdin)
		return s, nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		if s.byName.Packed() && opts.Format == 0 {
			// Opening would wait for a writer; and the name is likely
			// a mistake, since such files are read at random.
			return nil, fmt.Errorf("input %s: %s is read from a regular file only, not a pipe", path, strings.ToUpper(s.byName.String()[:1])+s.byName.String()[1:])
		}
		// Opened now and once: closing a named pipe's only reader
		// would make its writer fail.
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		s.stream, s.pipe = f, f
		return s, nil
	}
	in, err := fileio.Open(path)
	if err != nil {
		return nil, err
	}
	in.Close()
	if fi, err := os.Stat(path); err == nil {
		s.size = fi.Size()
	}
	return s, nil
}

// remaining is what is left to read of standard input when it is a
// regular file (mxverify run - <list.csv), and -1 for a pipe or a terminal.
func remaining(stdin io.Reader) int64 {
	f, ok := stdin.(*os.File)
	if !ok {
		return -1
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil || pos > fi.Size() {
		return -1
	}
	return fi.Size() - pos
}

// Size is how many bytes one read of the list reads from its file (for a
// .gz list, the compressed size), or -1 when that is not known in advance:
// a pipe or a terminal.
func (s *Source) Size() int64 { return s.size }

// CountBytes makes each later Open add the bytes it reads to first (the
// first read) or later (every other read), as they are read, before any
// decompression: a progress display compares them with Size. A Parquet
// list counts its rows' share of its size.
func (s *Source) CountBytes(first, later *atomic.Int64) {
	s.firstCount, s.laterCount = first, later
}

// SetHeader says whether a CSV or TSV list's first record is a header row
// (--header, --no-header); by default the reader decides by its content.
// Other formats name their columns themselves and ignore it.
func (s *Source) SetHeader(mode csvio.HeaderMode) { s.header = mode }

// Name is the path as the user gave it.
func (s *Source) Name() string { return s.path }

// Format is the list's format: as read once it has been opened, before
// that what its name says.
func (s *Source) Format() fileio.Format {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.format != 0 {
		return s.format
	}
	return s.byName
}

// ParquetSchema is the schema of a Parquet input once it has been opened,
// so that a Parquet output can keep the input's column types.
func (s *Source) ParquetSchema() *parquetio.Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}

// HeaderRow tells, once the list has been opened, whether a CSV, TSV or
// workbook list's first record was read as a header row; known is false
// for the other formats, which name their columns themselves.
func (s *Source) HeaderRow() (header, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hasHeader, s.format == fileio.CSV || s.format == fileio.TSV || s.format == fileio.XLSX
}

// Text tells, once a CSV or TSV list has been opened, its separator, and
// whether its outputs should start with a UTF-8 byte order mark: when it
// had one, or was UTF-16. comma is 0 for the other formats.
func (s *Source) Text() (comma rune, bom bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.comma, s.text.BOM
}

// ReadAs describes, once the list has been opened, how it was read when
// that is not what its name alone says (gzip, another format, a sniffed
// separator, another encoding), for the summary; empty otherwise.
func (s *Source) ReadAs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.format == 0 {
		return ""
	}
	var parts []string
	what := s.format.String()
	if s.gzip {
		what = "gzip-compressed " + what
	}
	differs := s.format != s.byName || s.gzip != s.gzName
	switch s.format {
	case fileio.CSV, fileio.TSV:
		if want := defaultComma(s.byName); s.comma != want {
			differs = true
		}
		what += ", " + csvio.DelimiterName(s.comma) + "-separated"
		if s.text.Encoding != "utf-8" || s.text.BOM {
			differs = true
			enc := s.text.Encoding
			if s.text.BOM {
				enc += " with a byte order mark"
			}
			what += ", " + enc
		}
	case fileio.XLSX:
		differs = true
		what += fmt.Sprintf(", sheet %q", s.sheet)
	}
	if !differs {
		return ""
	}
	parts = append(parts, "read as "+what)
	switch {
	case s.byName == 0 && s.path != fileio.Stdio && s.opts.Format == 0:
		parts = append(parts, "its name names no format")
	case s.byName != 0 && (s.format != s.byName || s.gzip != s.gzName):
		named := s.byName.String()
		if s.gzName {
			named += ".gz"
		}
		if s.opts.Format != 0 {
			parts = append(parts, fmt.Sprintf("--input-format %s, although its name says %s", s.opts.Format, named))
		} else {
			parts = append(parts, fmt.Sprintf("by its content, although its name says %s", named))
		}
	}
	return strings.Join(parts, "; ")
}

// defaultComma is the separator a name implies.
func defaultComma(f fileio.Format) rune {
	if f == fileio.TSV {
		return '\t'
	}
	return ','
}

// Open starts a new read from the first row. It may be called while an
// earlier read is under way; for standard input it then waits until the
// first read has been closed.
func (s *Source) Open() (rowio.Reader, error) {
	s.mu.Lock()
	s.opened++
	first := s.opened == 1
	s.mu.Unlock()
	count := s.laterCount
	if first {
		count = s.firstCount
	}
	if s.stream == nil && s.byName.Packed() && s.opts.Format == 0 {
		// Parquet and workbooks are read at random: from the file
		// itself, when the content agrees (Sniff).
		if f, err := s.sniffFile(); err != nil || f == s.byName {
			if err != nil {
				return nil, err
			}
			return s.openPacked(f, nil, 0, count)
		}
	}
	var in *fileio.Input
	var c io.Closer // closes in
	var err error
	switch {
	case s.stream == nil:
		in, err = fileio.OpenContent(s.path)
	case first:
		// Closing this first read, however it ends, lets later ones start.
		defer func() {
			if c == nil {
				close(s.spooled)
			}
		}()
		if s.spool, err = os.CreateTemp("", "mxverify-input-*"); err != nil {
			return nil, fmt.Errorf("spool %s: %w", s.path, err)
		}
		os.Remove(s.spool.Name()) // the open descriptor keeps the data
		if in, err = fileio.OpenStreamContent(s.path, io.TeeReader(s.stream, s.spool)); err == nil {
			c = &closeThen{c: in, then: func() { close(s.spooled) }}
		}
	default:
		<-s.spooled
		if s.spool == nil {
			return nil, fmt.Errorf("input %s: the first read of it failed", s.path)
		}
		// A reader of its own: the spool's offset is not shared.
		in, err = fileio.OpenStreamContent(s.path, io.NewSectionReader(s.spool, 0, 1<<62))
	}
	if err != nil {
		return nil, err
	}
	if count != nil {
		in.CountTo(count)
	}
	if c == nil {
		c = in
	}
	r, err := s.openContent(in, c, count)
	if err != nil {
		c.Close()
		return nil, err
	}
	return r, nil
}

// sniffFile reads the first bytes of a regular file for its format.
func (s *Source) sniffFile() (fileio.Format, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return 0, fmt.Errorf("input: %w", err)
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	format, err := fileio.Sniff(head[:n])
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", s.path, err)
	}
	if format == 0 {
		// Not Parquet or a workbook, whatever the name says: the format
		// reader says why.
		return s.byName, nil
	}
	return format, nil
}

// openContent decides the format of an opened list by its first bytes and
// starts the reader of that format. in is closed by c, which the reader
// returned closes.
func (s *Source) openContent(in *fileio.Input, c io.Closer, count *atomic.Int64) (rowio.Reader, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	head, err := br.Peek(4 << 10)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, &rowio.PosError{Path: s.path, Err: err}
	}
	format := s.opts.Format
	if format == 0 {
		sniffed, err := fileio.Sniff(head)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", s.path, err)
		}
		switch {
		case sniffed != 0:
			format = sniffed
		case s.byName != 0:
			format = s.byName
		default:
			format = fileio.CSV
		}
	}
	s.mu.Lock()
	s.format, s.gzip = format, in.Gzipped()
	s.mu.Unlock()
	if format.Packed() {
		if in.Gzipped() {
			return nil, fmt.Errorf("input %s: gzip-compressed %s: decompress it first", s.path, format)
		}
		if s.stream == nil {
			c.Close()
			return s.openPacked(format, nil, 0, count)
		}
		// A pipe: read it all into the spool, then read that.
		if _, err := io.Copy(io.Discard, br); err != nil {
			return nil, &rowio.PosError{Path: s.path, Err: err}
		}
		c.Close()
		<-s.spooled
		if s.spool == nil {
			return nil, fmt.Errorf("input %s: the first read of it failed", s.path)
		}
		fi, err := s.spool.Stat()
		if err != nil {
			return nil, fmt.Errorf("spool %s: %w", s.path, err)
		}
		return s.openPacked(format, s.spool, fi.Size(), nil)
	}
	dec, info, err := textio.Decode(br, s.opts.Encoding)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", s.path, err)
	}
	s.mu.Lock()
	s.text = info
	s.mu.Unlock()
	if format == fileio.JSONL {
		r, err := jsonlio.NewReaderOptions(dec, s.path, jsonlio.Options{Ragged: true, MaxLine: s.opts.MaxField})
		if err != nil {
			return nil, err
		}
		return &closingJSONL{Reader: r, c: c}, nil
	}
	comma := defaultComma(format)
	if s.byName == fileio.TSV && s.opts.Format == 0 {
		comma = '\t'
	}
	opts := csvio.Options{Header: s.header, MaxField: s.opts.MaxField, Sniff: s.opts.Delimiter == 0}
	if s.opts.Delimiter != 0 {
		comma = s.opts.Delimiter
	}
	r, err := csvio.NewReaderOptions(dec, s.path, comma, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.hasHeader = r.HasHeader()
	s.comma = r.Comma()
	if s.comma == '\t' && s.opts.Format == 0 && s.byName != fileio.CSV {
		s.format = fileio.TSV
	}
	s.mu.Unlock()
	return &closingCSV{Reader: r, c: c}, nil
}

// openPacked opens a Parquet list or a workbook: the file at the path when
// ra is nil, else ra (the spool of a pipe) of size bytes.
func (s *Source) openPacked(format fileio.Format, ra *os.File, size int64, count *atomic.Int64) (rowio.Reader, error) {
	s.mu.Lock()
	s.format = format
	s.mu.Unlock()
	if format == fileio.XLSX {
		opts := xlsxio.Options{Sheet: s.opts.Sheet, MaxUnzip: s.opts.MaxUnzip, MaxXML: s.opts.MaxXML, Header: s.header}
		var r *xlsxio.Reader
		var err error
		if ra == nil {
			r, err = xlsxio.Open(s.path, s.path, opts)
		} else {
			r, err = xlsxio.OpenReader(io.NewSectionReader(ra, 0, size), s.path, opts)
		}
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.hasHeader, s.sheet = r.HasHeader(), r.Sheet()
		s.mu.Unlock()
		return r, nil
	}
	if ra != nil {
		r, err := parquetio.NewReader(io.NewSectionReader(ra, 0, size), size, s.path)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.schema = r.Schema()
		s.mu.Unlock()
		return r, nil
	}
	return s.openParquet(count)
}

// closeThen closes c, then runs then; more calls do nothing.
type closeThen struct {
	c    io.Closer
	then func()
	once sync.Once
}

func (c *closeThen) Close() error {
	var err error
	c.once.Do(func() {
		err = c.c.Close()
		c.then()
	})
	return err
}

func (s *Source) openParquet(count *atomic.Int64) (rowio.Reader, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("input: %w", err)
	}
	r, err := parquetio.NewReader(f, fi.Size(), s.path)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.mu.Lock()
	s.schema = r.Schema()
	s.mu.Unlock()
	if count != nil {
		return &countingParquet{closingReader: closingReader{Reader: r, c: f},
			count: count, size: fi.Size(), rows: r.NumRows()}, nil
	}
	return &closingReader{Reader: r, c: f}, nil
}

// countingParquet counts a Parquet list's progress as its rows' share of
// its size: a Parquet reader jumps about the file, reading only the
// columns it needs, so its byte position says little.
type countingParquet struct {
	closingReader
	count      *atomic.Int64
	size, rows int64
	read       int64 // rows read
	counted    int64 // bytes added to count
}

func (r *countingParquet) Read() (rowio.Row, error) {
	row, err := r.closingReader.Read()
	switch {
	case err == io.EOF:
		r.add(r.size)
	case err == nil:
		r.read++
		// Every 1024 rows: a shared counter per row would cost more
		// than a display refreshed a few times a second needs.
		if r.read%1024 == 0 && r.rows > 0 {
			r.add(r.size * min(r.read, r.rows) / r.rows)
		}
	}
	return row, err
}

// add moves the count to bytes of the size.
func (r *countingParquet) add(bytes int64) {
	if bytes > r.counted {
		r.count.Add(bytes - r.counted)
		r.counted = bytes
	}
}

// Close releases the spool, and the pipe the list came from.
func (s *Source) Close() error {
	var errs []error
	if s.spool != nil {
		errs = append(errs, s.spool.Close())
	}
	if s.pipe != nil {
		errs = append(errs, s.pipe.Close())
	}
	return errors.Join(errs...)
}

// closingReader closes the file under a format reader.
type closingReader struct {
	rowio.Reader
	c io.Closer
}

func (r *closingReader) Close() error {
	return errors.Join(r.Reader.Close(), r.c.Close())
}

// closingCSV is closingReader for CSV and TSV, whose reader's shortcuts
// (rowio.FieldReader, rowio.RawReader) an interface would hide.
type closingCSV struct {
	*csvio.Reader
	c io.Closer
}

func (r *closingCSV) Close() error {
	return errors.Join(r.Reader.Close(), r.c.Close())
}

// closingJSONL is closingReader for JSON Lines, whose GrowsColumns an
// interface would hide.
type closingJSONL struct {
	*jsonlio.Reader
	c io.Closer
}

func (r *closingJSONL) Close() error {
	return errors.Join(r.Reader.Close(), r.c.Close())
}

// Output is a per-address or per-domain output that appears at its path only
// on Commit.
type Output struct {
	file *fileio.File
	rows rowio.Writer
	res  resultWriter
	// mkRes makes res on first use, for CreateResultsOptions.
	mkRes func() error

	closed   bool
	closeErr error
}

type resultWriter interface {
	WriteResult(res verify.Result, rows int64) error
	Close() error
}

// WriteOptions say how to write an output where its name cannot.
type WriteOptions struct {
	// Format forces the format (--output-format); 0 goes by the name.
	Format fileio.Format
	// Delimiter is a CSV output's separator; 0 is a comma. TSV is
	// always tab-separated.
	Delimiter rune
	// BOM starts a CSV or TSV output with a UTF-8 byte order mark.
	BOM bool
}

// CheckOutput reports a path whose extension names no format, before a run
// spends its time.
func CheckOutput(path string) error {
	_, _, err := fileio.FormatOf(path)
	return err
}

// CheckOutputFormat is CheckOutput when --output-format may name the
// format instead of the path.
func CheckOutputFormat(path string, format fileio.Format) error {
	if format != 0 {
		return nil
	}
	return CheckOutput(path)
}

// create opens the hidden file of an output whose format the path names,
// or opts.Format.
func create(path string, stdout io.Writer, opts WriteOptions) (*Output, fileio.Format, error) {
	format := opts.Format
	if format == 0 {
		var err error
		if format, _, err = fileio.FormatOf(path); err != nil {
			return nil, 0, err
		}
	}
	f, err := fileio.CreateStd(path, stdout)
	if err != nil {
		return nil, 0, err
	}
	return &Output{file: f}, format, nil
}

func (o WriteOptions) comma(format fileio.Format) rune {
	switch {
	case format == fileio.TSV:
		return '\t'
	case o.Delimiter != 0:
		return o.Delimiter
	}
	return ','
}

// CreateRows starts a per-address output. With a Parquet source and a
// Parquet output the input's column types are kept.
func CreateRows(path string, stdout io.Writer, columns []string, src *parquetio.Schema) (*Output, error) {
	return CreateRowsOptions(path, stdout, columns, src, WriteOptions{})
}

// CreateRowsOptions is CreateRows with options.
func CreateRowsOptions(path string, stdout io.Writer, columns []string, src *parquetio.Schema, opts WriteOptions) (*Output, error) {
	o, format, err := create(path, stdout, opts)
	if err != nil {
		return nil, err
	}
	switch format {
	case fileio.CSV, fileio.TSV:
		o.rows, err = csvio.NewWriterBOM(o.file, columns, opts.comma(format), opts.BOM)
	case fileio.JSONL:
		o.rows = jsonlio.NewWriter(o.file, columns)
	case fileio.Parquet:
		o.rows, err = parquetio.NewWriter(o.file, columns, src)
	case fileio.XLSX:
		o.rows, err = xlsxio.NewWriter(o.file, columns)
	}
	if err != nil {
		o.file.Abort()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

// CreateResults starts a per-domain output.
func CreateResults(path string, stdout io.Writer) (*Output, error) {
	return CreateResultsOptions(path, stdout, func() WriteOptions { return WriteOptions{} })
}

// CreateResultsOptions starts a per-domain output whose options are known
// only once the first result comes (a CSV output keeps the separator of
// the input, which is known once the input has been opened): opts is
// called then.
func CreateResultsOptions(path string, stdout io.Writer, opts func() WriteOptions) (*Output, error) {
	o, format, err := create(path, stdout, opts())
	if err != nil {
		return nil, err
	}
	o.mkRes = func() error {
		opts := opts()
		var err error
		switch format {
		case fileio.CSV, fileio.TSV:
			o.res, err = csvio.NewResultWriterBOM(o.file, opts.comma(format), opts.BOM)
		case fileio.JSONL:
			o.res = jsonlio.NewResultWriter(o.file)
		case fileio.Parquet:
			o.res, err = parquetio.NewResultWriter(o.file)
		case fileio.XLSX:
			o.res, err = newXLSXResults(o.file)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	return o, nil
}

// xlsxResults writes per-domain results to a workbook, in the CSV
// output's columns.
type xlsxResults struct {
	w   *xlsxio.Writer
	rec []string
	row rowio.Row
}

func newXLSXResults(w io.Writer) (*xlsxResults, error) {
	xw, err := xlsxio.NewWriter(w, csvio.ResultColumns)
	if err != nil {
		return nil, err
	}
	n := len(csvio.ResultColumns)
	return &xlsxResults{w: xw, rec: make([]string, 0, n), row: make(rowio.Row, n)}, nil
}

func (x *xlsxResults) WriteResult(res verify.Result, rows int64) error {
	x.rec = csvio.AppendResult(x.rec[:0], res, rows)
	for i, s := range x.rec {
		x.row[i] = s
	}
	return x.w.Write(x.row)
}

func (x *xlsxResults) Close() error { return x.w.Close() }

func (x *xlsxResults) Discard() { x.w.Discard() }

// Write writes one row of a per-address output.
func (o *Output) Write(row rowio.Row) error { return o.rows.Write(row) }

// WriteRaw writes a row copied from a rowio.RawReader whose Encoding is
// the output's.
func (o *Output) WriteRaw(raw []byte, extra ...string) error {
	rw, ok := o.rows.(rowio.RawWriter)
	if !ok {
		return fmt.Errorf("%s: rows cannot be copied to this format", o.file.Name())
	}
	return rw.WriteRaw(raw, extra...)
}

// Encoding is the encoding of a per-address output that can take rows
// copied from a rowio.RawReader, empty for any other.
func (o *Output) Encoding() string {
	if rw, ok := o.rows.(rowio.RawWriter); ok {
		return rw.Encoding()
	}
	return ""
}

// WriteResult writes one record of a per-domain output.
func (o *Output) WriteResult(r verify.Result, rows int64) error {
	if err := o.makeRes(); err != nil {
		return err
	}
	return o.res.WriteResult(r, rows)
}

func (o *Output) makeRes() error {
	if o.res != nil || o.mkRes == nil {
		return nil
	}
	return o.mkRes()
}

// Close ends the output: the format's buffers are flushed and the file is
// synced to disk (fileio.File.Finish), but it stays hidden until Commit.
// Closing again returns the first result.
func (o *Output) Close() error {
	if !o.closed {
		o.closed = true
		o.closeErr = o.close()
	}
	return o.closeErr
}

func (o *Output) close() error {
	var err error
	if o.rows != nil {
		err = o.rows.Close()
	} else if err = o.makeRes(); err == nil {
		err = o.res.Close()
	}
	if err != nil {
		return fmt.Errorf("%s: %w", o.file.Name(), err)
	}
	return o.file.Finish()
}

// Commit ends the output, unless Close did, and moves it into place.
func (o *Output) Commit() error {
	if err := o.Close(); err != nil {
		o.file.Abort()
		return err
	}
	return o.file.Commit()
}

// Abort discards the output; after Commit it does nothing.
func (o *Output) Abort() error {
	// A workbook's writer keeps temporary files of its own.
	for _, w := range []any{o.rows, o.res} {
		if d, ok := w.(interface{ Discard() }); ok && !o.closed {
			d.Discard()
		}
	}
	return o.file.Abort()
}
