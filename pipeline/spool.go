package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Spooled row marks besides a domain index.
const (
	invalidRow = -1 // the join parses the address again for its reason
	endOfInput = -2
	otherShard = -3 // the join skips the row
)

// spool passes each row's domain index from the reader to the join, which
// reads it behind the reader and waits when it catches up. The indexes go
// to a temporary file, 4 bytes a row, since memory must not grow with rows.
type spool struct {
	ctx  context.Context
	f    *os.File
	w    *bufio.Writer // the reader's side
	r    *bufio.Reader // the join's side
	mu   sync.Mutex
	cond sync.Cond
	size int64 // bytes in f
	done bool  // every row is in f
	buf  [4]byte
}

const spoolBlock = 64 << 10

func newSpool(ctx context.Context) (*spool, error) {
	f, err := os.CreateTemp("", "mxverify-rows-*")
	if err != nil {
		return nil, fmt.Errorf("row spool: %w", err)
	}
	os.Remove(f.Name()) // the open descriptor keeps the data
	s := &spool{ctx: ctx, f: f}
	s.cond.L = &s.mu
	s.w = bufio.NewWriterSize(spoolWriter{s}, spoolBlock)
	s.r = bufio.NewReaderSize(&spoolReader{s: s}, spoolBlock)
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	return s, nil
}

// put records the next row: its domain's index, invalidRow or endOfInput.
func (s *spool) put(i int) error {
	_, err := s.w.Write(binary.LittleEndian.AppendUint32(s.w.AvailableBuffer(), uint32(int32(i))))
	return err
}

// finish writes out the last rows and tells the join there are no more.
func (s *spool) finish() error {
	err := s.w.Flush()
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
	s.cond.Broadcast()
	return err
}

// next returns the next row's mark, waiting for the reader to write it.
func (s *spool) next() (int, error) {
	if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = errors.New("row spool: no more rows (the input changed during the run?)")
		}
		return 0, err
	}
	return int(int32(binary.LittleEndian.Uint32(s.buf[:]))), nil
}

func (s *spool) close() error { return s.f.Close() }

type spoolWriter struct{ s *spool }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.s.f.Write(p)
	w.s.mu.Lock()
	w.s.size += int64(n)
	w.s.mu.Unlock()
	w.s.cond.Broadcast()
	if err != nil {
		err = fmt.Errorf("row spool: %w", err)
	}
	return n, err
}

// spoolReader reads what the writer has written, waiting for more.
type spoolReader struct {
	s   *spool
	off int64
}

func (r *spoolReader) Read(p []byte) (int, error) {
	s := r.s
	s.mu.Lock()
	for r.off == s.size && !s.done && s.ctx.Err() == nil {
		s.cond.Wait()
	}
	size, done := s.size, s.done
	s.mu.Unlock()
	switch {
	case r.off < size:
	case done:
		return 0, io.EOF
	default:
		return 0, s.ctx.Err()
	}
	n, err := s.f.ReadAt(p[:min(int64(len(p)), size-r.off)], r.off)
	r.off += int64(n)
	if err != nil {
		err = fmt.Errorf("row spool: %w", err)
	}
	return n, err
}
