package pipeline

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// spool remembers, for every row of the first pass, the index of its
// domain (or that it was invalid), in a temporary file: the join then needs
// neither to parse each address again nor to look its domain up in a map
// of millions, and memory still does not grow with rows (4 bytes a row go
// to disk, not to the heap).
type spool struct {
	f *os.File
	w *bufio.Writer
	r *bufio.Reader
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "mxverify-rows-*")
	if err != nil {
		return nil, fmt.Errorf("row spool: %w", err)
	}
	os.Remove(f.Name()) // the open descriptor keeps the data
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// put records a row: its domain's index, or -1 for an invalid address.
func (s *spool) put(index int) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(index+1))
	if _, err := s.w.Write(b[:]); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	return nil
}

// rewind ends writing and starts reading from the first row.
func (s *spool) rewind() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	s.r = bufio.NewReaderSize(s.f, 64<<10)
	return nil
}

// next returns the next row's domain index, -1 for an invalid address.
func (s *spool) next() (int, error) {
	var b [4]byte
	if _, err := io.ReadFull(s.r, b[:]); err != nil {
		return 0, fmt.Errorf("row spool: %w (the input changed during the run?)", err)
	}
	return int(binary.LittleEndian.Uint32(b[:])) - 1, nil
}

func (s *spool) close() error { return s.f.Close() }
