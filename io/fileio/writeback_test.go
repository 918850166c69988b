package fileio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteback writes an output of a few write-back steps in uneven
// pieces: the bytes must reach the file unchanged, and write-out must have
// been started for every whole step written.
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
		if w.n-w.asked >= writebackStep {
			t.Fatalf("%d bytes written, write-out started for %d only", w.n, w.asked)
		}
	}
	if w.asked < 2*writebackStep {
		t.Errorf("write-out started for %d bytes of %d", w.asked, w.n)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file holds %d bytes, not the %d written", len(got), want.Len())
	}
}
