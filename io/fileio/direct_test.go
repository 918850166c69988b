package fileio_test

import (
	"os"
	"testing"

	"github.com/mxverify/mxverify/io/fileio"
)

// An output that is a device is written in place: renaming a temporary
// file over /dev/null (or /dev/stdout, a link) would replace the device.
func TestCreateDevice(t *testing.T) {
	for _, commit := range []bool{true, false} {
		f, err := fileio.Create(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("email\n")); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = f.Commit()
		} else {
			err = f.Abort()
		}
		if err != nil {
			t.Fatalf("commit %v: %v", commit, err)
		}
		fi, err := os.Stat(os.DevNull)
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("%s is no longer a device: %v, %v", os.DevNull, fi.Mode(), err)
		}
	}
}
