package fileio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteback writes an output of a few write-back steps in uneven
// pieces: the bytes must reach the file unchanged, a sync must have begun
// in the background at the first whole step, and none may be left running
// after wait.
func TestWriteback(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.csv")
	tmp, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	w := &writeback{f: tmp}
	var want bytes.Buffer
	piece := bytes.Repeat([]byte("0123456789abcdef"), 65537) // not a divisor of the step
	for want.Len() < 2*writebackStep+len(piece)/2 {
		if _, err := w.Write(piece); err != nil {
			t.Fatal(err)
		}
		want.Write(piece)
		if w.n >= writebackStep && w.done == nil {
			t.Fatalf("%d bytes written and no sync begun", w.n)
		}
	}
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	if w.synced < writebackStep || !w.idle() {
		t.Errorf("after wait: last sync began at %d bytes of %d, idle %v", w.synced, w.n, w.idle())
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file holds %d bytes, not the %d written", len(got), want.Len())
	}
}

// TestWritebackKeepsSyncError syncs a file that cannot be synced (a pipe:
// fsync fails with EINVAL): the background sync's error must come back
// from wait, since the final sync may not see it again.
func TestWritebackKeepsSyncError(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	go io.Copy(io.Discard, r)
	wb := &writeback{f: w}
	piece := bytes.Repeat([]byte("x"), 1<<20)
	for range writebackStep/len(piece) + 1 {
		if _, err := wb.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	if wb.done == nil {
		t.Fatalf("%d bytes written and no sync begun", wb.n)
	}
	if err := wb.wait(); err == nil {
		t.Error("wait returned no error for a sync that failed")
	}
}
