//go:build unix

package cache

import (
	"os"
	"syscall"
)

// unlock drops the flock of a file whose bbolt DB could not be closed. The
// file's mapping keeps its open file description, and with it the lock,
// alive after Close.
func unlock(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
