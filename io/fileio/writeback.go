package fileio

import "os"

// writebackStep is how much an output writes between two syncs in the
// background.
const writebackStep = 8 << 20

// writeback passes writes to an output's temporary file and, every
// writebackStep bytes, syncs the file in the background, so that Commit's
// fsync finds little left to do: ext4's journal commit grows with the
// blocks allocated since the last one, written to disk or not, so asking
// the kernel only to start writing (sync_file_range) does not shorten it.
//
// One sync runs at a time; a step that ends while one runs waits for the
// next write after it. Writes do not wait for it.
type writeback struct {
	f      *os.File
	n      int64         // bytes written
	synced int64         // bytes written when the last sync began
	done   chan struct{} // closed when the last sync ends; nil before the first
	err    error         // the first sync's error, read once done is closed
}

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.n += int64(n)
	if w.n-w.synced >= writebackStep && w.idle() {
		w.synced = w.n
		done := make(chan struct{})
		w.done = done
		go func() {
			defer close(done)
			// An error is kept for Finish: a file's write error is
			// reported to one fsync only, and this may be the one.
			if err := w.f.Sync(); err != nil && w.err == nil {
				w.err = err
			}
		}()
	}
	return n, err
}

func (w *writeback) idle() bool {
	if w.done == nil {
		return true
	}
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// wait waits for the sync in the background, if one runs, and returns the
// first error a sync had.
func (w *writeback) wait() error {
	if w.done != nil {
		<-w.done
	}
	return w.err
}
