package fileio

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing the range to disk (sync_file_range with
// SYNC_FILE_RANGE_WRITE, which does not wait for the disk). It is only a
// head start: Commit still syncs the file, so an error here changes
// nothing and is ignored.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
