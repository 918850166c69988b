package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
)

// spool remembers, for every row of the first pass, the index of its
// domain (or that it was invalid), in a temporary file: the join then needs
// neither to parse each address again nor to look its domain up in a map
// of millions, and memory still does not grow with rows (4 bytes a row go
// to disk, not to the heap).
//
// The join reads the spool while the first pass still writes it, a block
// behind: it starts as soon as the header is known instead of after the
// last row, so that joining overlaps resolving instead of adding a tail of
// its own after it.
type spool struct {
	f *os.File

	// The writer's block, written to f when full.
	wbuf []byte

	mu      sync.Mutex
	cond    sync.Cond
	written int64 // bytes in f, all of them readable
	done    bool  // the writer has finished
	failed  bool  // ... without writing every row

	// The reader's block, read from f at roff.
	rbuf []byte
	rpos int
	roff int64
}

const (
	spoolBlock = 64 << 10
	// endOfInput marks where an input's rows end.
	endOfInput = -2
)

// errSpoolAborted tells the join that the first pass stopped early, with
// an error of its own that Run reports.
var errSpoolAborted = errors.New("row spool: the first pass stopped")

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "mxverify-rows-*")
	if err != nil {
		return nil, fmt.Errorf("row spool: %w", err)
	}
	os.Remove(f.Name()) // the open descriptor keeps the data
	s := &spool{f: f, wbuf: make([]byte, 0, spoolBlock)}
	s.cond.L = &s.mu
	return s, nil
}

// put records a row: its domain's index, -1 for an invalid address, or
// endOfInput.
func (s *spool) put(index int) error {
	s.wbuf = binary.LittleEndian.AppendUint32(s.wbuf, uint32(index+1))
	if len(s.wbuf) == cap(s.wbuf) {
		return s.flush()
	}
	return nil
}

func (s *spool) flush() error {
	if len(s.wbuf) == 0 {
		return nil
	}
	if _, err := s.f.Write(s.wbuf); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	s.mu.Lock()
	s.written += int64(len(s.wbuf))
	s.mu.Unlock()
	s.cond.Broadcast()
	s.wbuf = s.wbuf[:0]
	return nil
}

// finish ends writing: after the last row when err is nil, else early.
// Either way a reader waiting for more stops waiting.
func (s *spool) finish(err error) error {
	if err == nil {
		err = s.flush()
	}
	s.mu.Lock()
	s.done = true
	s.failed = err != nil
	s.mu.Unlock()
	s.cond.Broadcast()
	return err
}

// next returns the next row's domain index, -1 for an invalid address,
// or endOfInput; it waits for the writer when it has caught up with it.
func (s *spool) next(ctx context.Context) (int, error) {
	if s.rpos == len(s.rbuf) {
		if err := s.fill(ctx); err != nil {
			return 0, err
		}
	}
	v := binary.LittleEndian.Uint32(s.rbuf[s.rpos:])
	s.rpos += 4
	return int(int32(v - 1)), nil
}

func (s *spool) fill(ctx context.Context) error {
	s.mu.Lock()
	for s.roff == s.written && !s.done && ctx.Err() == nil {
		s.cond.Wait()
	}
	avail, done, failed := s.written-s.roff, s.done, s.failed
	s.mu.Unlock()
	switch {
	case avail > 0:
	case failed:
		return errSpoolAborted
	case done:
		return errors.New("row spool: no more rows (the input changed during the run?)")
	default:
		return ctx.Err()
	}
	if s.rbuf == nil {
		s.rbuf = make([]byte, spoolBlock)
	}
	n := int(min(avail, spoolBlock))
	if _, err := s.f.ReadAt(s.rbuf[:n], s.roff); err != nil {
		return fmt.Errorf("row spool: %w", err)
	}
	s.rbuf, s.rpos = s.rbuf[:n], 0
	s.roff += int64(n)
	return nil
}

// wake lets a reader waiting in next see its context's cancellation.
func (s *spool) wake() { s.cond.Broadcast() }

func (s *spool) close() error { return s.f.Close() }
