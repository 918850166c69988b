package fileio

import (
	"os"
	"path/filepath"
)

// SameFile reports whether two paths name one file: the same path once
// made absolute and clean, the same device and inode when both exist, or
// the same name in the same directory when neither exists yet.
func SameFile(a, b string) bool {
	if absPath(a) == absPath(b) {
		return true
	}
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	switch {
	case aerr == nil && berr == nil:
		return os.SameFile(ai, bi)
	case aerr == nil || berr == nil:
		return false // one exists, the other does not
	case filepath.Base(a) != filepath.Base(b):
		return false
	}
	ad, aerr := os.Stat(filepath.Dir(a))
	bd, berr := os.Stat(filepath.Dir(b))
	return aerr == nil && berr == nil && os.SameFile(ad, bd)
}

// absPath is path made absolute and clean; a path that cannot be made
// absolute is compared as it is.
func absPath(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		return p
	}
	return filepath.Clean(path)
}
