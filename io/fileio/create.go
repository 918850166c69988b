package fileio

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// writeBufSize matches readBufSize: outputs are as large as inputs.
const writeBufSize = 64 << 10

// File is an output that appears at its path only when Commit succeeds. A
// run that fails or is interrupted must not leave a file that a later step
// would take for a finished result, so bytes go to a hidden temporary file
// next to the target and are renamed over it at the end (rename is atomic
// within one directory). A File is not safe for concurrent use.
type File struct {
	path string
	tmp  *os.File // nil when writing to standard output or dev
	dev  *os.File // a device or pipe written in place (direct)
	wb   *writeback
	bw   *bufio.Writer
	gz   *gzip.Writer // nil unless the path ends in .gz
	w    io.Writer    // gz if set, else bw
	done bool         // after Commit or Abort

	finished  bool  // after Finish: no more writes
	finishErr error // what Finish returned
}

// Create starts an output at path, or on standard output for "-". Names
// ending in .gz (in any case) are gzip-compressed.
func Create(path string) (*File, error) {
	return CreateStd(path, os.Stdout)
}

// CreateStd is Create with standard output passed in, so that commands can
// be tested without touching the process's own stdout. Standard output
// cannot be taken back: Commit only flushes it and Abort only stops writing.
func CreateStd(path string, stdout io.Writer) (*File, error) {
	if path == Stdio {
		bw := bufio.NewWriterSize(stdout, writeBufSize)
		return &File{path: path, bw: bw, w: bw}, nil
	}
	if direct(path) {
		dev, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		f := &File{path: path, dev: dev, bw: bufio.NewWriterSize(dev, writeBufSize)}
		f.w = f.bw
		if gzipped(path) {
			f.gz = gzip.NewWriter(f.bw)
			f.w = f.gz
		}
		return f, nil
	}
	perm := fs.FileMode(0o666) // narrowed by the umask, as os.Create would
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			// Fail now rather than at Commit, after all the work.
			return nil, fmt.Errorf("output: %w", &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR})
		}
		perm = fi.Mode().Perm() // replacing a file keeps its mode, as os.Create would
	}
	tmp, err := createTemp(path, perm)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	f := &File{path: path, tmp: tmp, wb: &writeback{f: tmp}}
	f.bw = bufio.NewWriterSize(f.wb, writeBufSize)
	f.w = f.bw
	if gzipped(path) {
		f.gz = gzip.NewWriter(f.bw)
		f.w = f.gz
	}
	return f, nil
}

// direct reports an output that cannot be replaced by a rename: a device
// or pipe (-o /dev/stdout, /dev/fd/3, a named pipe), or any path in /dev or
// /proc, whose names are links to such files (renaming over /dev/stdout
// would replace the link itself). It is written in place, like standard
// output, and cannot be taken back either.
func direct(path string) bool {
	abs, err := filepath.Abs(path)
	if err == nil && (strings.HasPrefix(abs, "/dev/") || strings.HasPrefix(abs, "/proc/")) {
		return true
	}
	fi, err := os.Stat(path)
	return err == nil && !fi.Mode().IsRegular() && !fi.IsDir()
}

// createTemp is os.CreateTemp(dir, "."+base+".tmp-*") except for the
// permission: os.CreateTemp always uses 0600, which would make every output
// private no matter the user's umask once renamed into place. Chmod after
// the fact cannot apply the umask, so the file is created with perm
// directly.
func createTemp(path string, perm fs.FileMode) (*os.File, error) {
	dir, base := filepath.Split(path)
	prefix := filepath.Join(dir, "."+base+".tmp-")
	for range 100 {
		name := prefix + strconv.FormatUint(rand.Uint64(), 36)
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create a temporary file next to %s: %w", path, fs.ErrExist)
}

// Name returns the target path ("-" for standard output), not the temporary
// file's, because that is the name the user knows.
func (f *File) Name() string { return f.path }

// Write writes to the temporary file (through gzip for .gz).
func (f *File) Write(p []byte) (int, error) {
	if f.done || f.finished {
		return 0, fmt.Errorf("output %s: write: %w", f.path, os.ErrClosed)
	}
	return f.w.Write(p)
}

// Finish ends the writing: gzip's trailer is written, the buffers are
// flushed and the data is synced to disk, but the output stays hidden
// until Commit, which must still follow. A run can finish one output while
// it still writes another, so that the sync, the slow part of a commit,
// overlaps the work instead of adding to its end. Finishing twice returns
// the first result.
func (f *File) Finish() error {
	if f.done {
		return fmt.Errorf("output %s: finish: %w", f.path, os.ErrClosed)
	}
	if !f.finished {
		f.finished = true
		f.finishErr = f.finish()
	}
	return f.finishErr
}

func (f *File) finish() error {
	if f.tmp == nil {
		if f.gz != nil {
			if err := f.gz.Close(); err != nil {
				return fmt.Errorf("output %s: %w", f.path, err)
			}
		}
		if err := f.bw.Flush(); err != nil {
			return fmt.Errorf("output: write standard output: %w", err)
		}
		return nil
	}
	if f.gz != nil {
		if err := f.gz.Close(); err != nil {
			return fmt.Errorf("output %s: %w", f.path, err)
		}
	}
	if err := f.bw.Flush(); err != nil {
		return fmt.Errorf("output %s: %w", f.path, err)
	}
	if err := f.wb.wait(); err != nil {
		return fmt.Errorf("output %s: %w", f.path, err)
	}
	if err := f.tmp.Sync(); err != nil {
		return fmt.Errorf("output %s: %w", f.path, err)
	}
	return nil
}

// Commit makes the output visible at its path. The data is flushed and
// synced before the rename, and the directory after it, so that a crash
// cannot leave an empty or partial file under the final name. If Commit
// fails before the rename, the temporary file is removed and the target is
// untouched. Committing twice, or after Abort, is an error. Commit
// finishes the output first, unless Finish did.
func (f *File) Commit() (err error) {
	if f.done {
		return fmt.Errorf("output %s: commit: %w", f.path, os.ErrClosed)
	}
	ferr := f.Finish()
	f.done = true
	if f.tmp == nil {
		if f.dev != nil {
			if err := f.dev.Close(); ferr == nil && err != nil {
				ferr = fmt.Errorf("output %s: %w", f.path, err)
			}
		}
		return ferr
	}
	defer func() {
		if err != nil {
			f.tmp.Close()
			os.Remove(f.tmp.Name())
		}
	}()
	if ferr != nil {
		return ferr
	}
	if err := f.tmp.Close(); err != nil {
		return fmt.Errorf("output %s: %w", f.path, err)
	}
	if err := os.Rename(f.tmp.Name(), f.path); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	// The file is complete at its path from here on; a failed directory
	// sync only means the rename might not survive a power cut.
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("output %s: sync directory: %w", f.path, err)
	}
	return nil
}

// Abort discards the output: the temporary file is closed and removed and
// the target path is left as it was. It does nothing after Commit or a
// previous Abort, so that callers can defer it right after Create.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	if f.tmp == nil {
		if f.dev != nil {
			f.dev.Close()
		}
		return nil // buffered bytes are dropped; flushed ones cannot be recalled
	}
	_ = f.wb.wait() // the file is thrown away, and so is a sync's error
	f.tmp.Close()   // the data is being thrown away, so a close error does not matter
	if err := os.Remove(f.tmp.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output %s: remove temporary file: %w", f.path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		// EINVAL: some file systems cannot sync directories; there is
		// nothing more to do on them.
		return err
	}
	return nil
}
