//go:build !unix

package cache

import "os"

// unlock is a no-op where bbolt does not lock with flock: closing the file
// is enough.
func unlock(*os.File) {}
