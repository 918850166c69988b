// Package tableio picks the format package for a path by its extension, so
// that the command and the pipeline deal in rows and results, not formats.
package tableio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/jsonlio"
	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/verify"
)

// Source is an input list that can be read more than once. Standard input,
// and any path that is not a regular file (a named pipe, or the /dev/fd/N
// of a shell's process substitution), is copied to a spool file as it is
// first read, and read back from there: opening a pipe twice would split
// its data between two readers.
type Source struct {
	path   string
	format fileio.Format
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
	schema    *parquetio.Schema
	hasHeader bool
}

// OpenSource checks path (its format, that it exists and is a readable
// file) without reading rows, so a typo fails before any DNS traffic.
func OpenSource(path string, stdin io.Reader) (*Source, error) {
	format, _, err := fileio.FormatOf(path)
	if err != nil {
		return nil, err
	}
	s := &Source{path: path, format: format, spooled: make(chan struct{}), size: -1}
	if path == fileio.Stdio {
		if format != fileio.CSV {
			return nil, errors.New("standard input is read as CSV only")
		}
		s.stream = stdin
		s.size = remaining(stdin)
		return s, nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		if format == fileio.Parquet {
			return nil, fmt.Errorf("input %s: Parquet is read from a regular file only, not a pipe", path)
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

// Format is the list's format.
func (s *Source) Format() fileio.Format { return s.format }

// ParquetSchema is the schema of a Parquet input once it has been opened,
// so that a Parquet output can keep the input's column types.
func (s *Source) ParquetSchema() *parquetio.Schema {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.schema
}

// HeaderRow tells, once the list has been opened, whether a CSV or TSV
// list's first record was read as a header row; known is false for the
// other formats, which name their columns themselves.
func (s *Source) HeaderRow() (header, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hasHeader, s.format == fileio.CSV || s.format == fileio.TSV
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
	if s.format == fileio.Parquet {
		return s.openParquet(count)
	}
	var in *fileio.Input
	var c io.Closer // closes in
	var err error
	switch {
	case s.stream == nil:
		in, err = fileio.Open(s.path)
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
		if in, err = fileio.OpenStream(s.path, io.TeeReader(s.stream, s.spool)); err == nil {
			c = &closeThen{c: in, then: func() { close(s.spooled) }}
		}
	default:
		<-s.spooled
		if s.spool == nil {
			return nil, fmt.Errorf("input %s: the first read of it failed", s.path)
		}
		// A reader of its own: the spool's offset is not shared.
		in, err = fileio.OpenStream(s.path, io.NewSectionReader(s.spool, 0, 1<<62))
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
	if s.format == fileio.JSONL {
		r, err := jsonlio.NewReader(in, s.path)
		if err != nil {
			c.Close()
			return nil, err
		}
		return &closingReader{Reader: r, c: c}, nil
	}
	comma := ','
	if s.format == fileio.TSV {
		comma = '\t'
	}
	r, err := csvio.NewReaderOptions(in, s.path, comma, csvio.Options{Header: s.header})
	if err != nil {
		c.Close()
		return nil, err
	}
	s.mu.Lock()
	s.hasHeader = r.HasHeader()
	s.mu.Unlock()
	return &closingCSV{Reader: r, c: c}, nil
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

// Output is a per-address or per-domain output that appears at its path only
// on Commit.
type Output struct {
	file *fileio.File
	rows rowio.Writer
	res  resultWriter

	closed   bool
	closeErr error
}

type resultWriter interface {
	WriteResult(res verify.Result, rows int64) error
	Close() error
}

// CheckOutput reports a path whose extension names no format, before a run
// spends its time.
func CheckOutput(path string) error {
	_, _, err := fileio.FormatOf(path)
	return err
}

// create opens the hidden file of an output whose format the path names.
func create(path string, stdout io.Writer) (*Output, fileio.Format, error) {
	format, _, err := fileio.FormatOf(path)
	if err != nil {
		return nil, 0, err
	}
	f, err := fileio.CreateStd(path, stdout)
	if err != nil {
		return nil, 0, err
	}
	return &Output{file: f}, format, nil
}

// CreateRows starts a per-address output. With a Parquet source and a
// Parquet output the input's column types are kept.
func CreateRows(path string, stdout io.Writer, columns []string, src *parquetio.Schema) (*Output, error) {
	o, format, err := create(path, stdout)
	if err != nil {
		return nil, err
	}
	switch format {
	case fileio.CSV:
		o.rows, err = csvio.NewWriter(o.file, columns, ',')
	case fileio.TSV:
		o.rows, err = csvio.NewWriter(o.file, columns, '\t')
	case fileio.JSONL:
		o.rows = jsonlio.NewWriter(o.file, columns)
	case fileio.Parquet:
		o.rows, err = parquetio.NewWriter(o.file, columns, src)
	}
	if err != nil {
		o.file.Abort()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

// CreateResults starts a per-domain output.
func CreateResults(path string, stdout io.Writer) (*Output, error) {
	o, format, err := create(path, stdout)
	if err != nil {
		return nil, err
	}
	switch format {
	case fileio.CSV:
		o.res, err = csvio.NewResultWriter(o.file, ',')
	case fileio.TSV:
		o.res, err = csvio.NewResultWriter(o.file, '\t')
	case fileio.JSONL:
		o.res = jsonlio.NewResultWriter(o.file)
	case fileio.Parquet:
		o.res, err = parquetio.NewResultWriter(o.file)
	}
	if err != nil {
		o.file.Abort()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return o, nil
}

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
func (o *Output) WriteResult(r verify.Result, rows int64) error { return o.res.WriteResult(r, rows) }

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
	} else {
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
func (o *Output) Abort() error { return o.file.Abort() }
