// Package fileio turns the paths a user types into readers and writers, so
// that the format packages under io/ only ever see byte streams: "-" means
// standard input or output, a .gz suffix means gzip, and outputs appear at
// their path only once they are complete.
package fileio

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
)

// Stdio is the path that names standard input or standard output.
const Stdio = "-"

// ErrNotGzip means a file named *.gz does not hold gzip data. Users rename
// files by hand, so trusting the suffix alone would turn a wrong name into a
// confusing "does not look like CSV" error much later.
var ErrNotGzip = errors.New("not gzip data although the name ends in .gz")

var gzipMagic = []byte{0x1f, 0x8b}

// readBufSize keeps system calls rare on multi-gigabyte lists.
const readBufSize = 64 << 10

// Input is an opened list. It exists so that error messages further down can
// name the file the user gave, even after gzip has been peeled off.
type Input struct {
	name   string
	r      io.Reader
	raw    *counter     // the file or stream itself, under any gzip reader
	file   *os.File     // nil for standard input
	gz     *gzip.Reader // nil unless the data is gzip
	sniff  bool         // gzip goes by the magic bytes, not only the name
	closed bool
}

// Open opens path for reading, or standard input for "-". Names ending in
// .gz (in any case) are decompressed on the fly.
func Open(path string) (*Input, error) {
	return OpenStd(path, os.Stdin)
}

// OpenStd is Open with standard input passed in, so that commands can be
// tested without touching the process's own stdin.
func OpenStd(path string, stdin io.Reader) (*Input, error) {
	if path == Stdio {
		return OpenStream(path, stdin)
	}
	return openFile(path, false)
}

func openFile(path string, sniff bool) (*Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("input: %w", err)
	}
	if fi.IsDir() {
		f.Close()
		// os.Open succeeds on directories; the failure would otherwise
		// surface as an obscure read error.
		return nil, fmt.Errorf("input: %w", &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR})
	}
	in := newInput(path, f)
	in.file, in.sniff = f, sniff
	if err := in.gunzip(); err != nil {
		f.Close()
		return nil, err
	}
	return in, nil
}

// OpenContent is Open with gzip recognised by its magic bytes, whatever
// the name, as the list readers want it: a list.csv that holds gzip is
// read for what it is. A name ending in .gz must still hold gzip.
func OpenContent(path string) (*Input, error) {
	return openFile(path, true)
}

// OpenStreamContent is OpenStream with gzip recognised as by OpenContent;
// standard input and pipes carry no name to go by.
func OpenStreamContent(name string, r io.Reader) (*Input, error) {
	in := newInput(name, r)
	in.sniff = true
	if err := in.gunzip(); err != nil {
		return nil, err
	}
	return in, nil
}

// OpenStream reads r as the list named name: for a pipe or other stream,
// which the caller reads once and spools, and then reads again from the
// spool. Gzip is decompressed as with Open. Close leaves r open.
func OpenStream(name string, r io.Reader) (*Input, error) {
	in := newInput(name, r)
	if err := in.gunzip(); err != nil {
		return nil, err
	}
	return in, nil
}

func newInput(name string, r io.Reader) *Input {
	raw := &counter{r: r}
	return &Input{name: name, r: raw, raw: raw}
}

// counter counts the bytes read from the file or stream itself: for a .gz
// list, the position in the compressed file, which is what its size on
// disk measures progress against.
type counter struct {
	r    io.Reader
	n    int64         // read so far, by the one goroutine that reads
	sink *atomic.Int64 // told too, for a progress display; may be nil
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.sink != nil && n > 0 {
		c.sink.Add(int64(n))
	}
	return n, err
}

// CountTo adds to n the bytes read from the file so far (opening a .gz
// file reads its first block) and, from now on, as they are read: bytes
// of the file, before decompression. Another goroutine may load n while
// this one reads; CountTo itself must be called by the reading goroutine.
func (in *Input) CountTo(n *atomic.Int64) {
	n.Add(in.raw.n)
	in.raw.sink = n
}

// gunzip puts a gzip reader over in.r when the name ends in .gz, or, with
// in.sniff, when the data starts with gzip's magic bytes. A name ending in
// .gz must hold gzip.
func (in *Input) gunzip() error {
	if !in.sniff && !gzipped(in.name) {
		return nil
	}
	br := bufio.NewReaderSize(in.r, readBufSize)
	in.r = br
	magic, err := br.Peek(len(gzipMagic))
	if err != nil && err != io.EOF {
		return fmt.Errorf("input: read %s: %w", in.name, err)
	}
	if !bytes.Equal(magic, gzipMagic) {
		if gzipped(in.name) {
			return fmt.Errorf("input %s: %w", in.name, ErrNotGzip)
		}
		return nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return fmt.Errorf("input %s: %w", in.name, err)
	}
	in.r, in.gz = zr, zr
	return nil
}

// Name returns the path as the user gave it ("-" for standard input).
func (in *Input) Name() string { return in.name }

// ErrTruncated means a gzip stream ends before its end: a download or
// copy cut short.
var ErrTruncated = errors.New("the gzip data ends early: the file is truncated (an interrupted download or copy?)")

// Gzipped reports whether the data was gzip-compressed.
func (in *Input) Gzipped() bool { return in.gz != nil }

// Read reads decompressed bytes. Errors are returned as they are, but for
// a cut gzip stream: the format readers add the path and position, which
// this layer does not know.
func (in *Input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if in.gz != nil && errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("%w (%w)", ErrTruncated, io.ErrUnexpectedEOF)
	}
	return n, err
}

// Close releases the file. It leaves standard input open, since the process
// owns it, and is safe to call twice so that callers can both defer it and
// check its error.
func (in *Input) Close() error {
	if in.closed {
		return nil
	}
	in.closed = true
	var errs []error
	if in.gz != nil {
		errs = append(errs, in.gz.Close())
	}
	if in.file != nil {
		errs = append(errs, in.file.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("input: close %s: %w", in.name, err)
	}
	return nil
}
