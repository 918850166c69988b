package fileio_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mxverify/mxverify/io/fileio"
)

// Example shows the intended shape: defer Abort right after Create, and
// Commit only once everything is written.
func Example() {
	dir, err := os.MkdirTemp("", "fileio-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "results.csv.gz")

	write := func() error {
		out, err := fileio.Create(path)
		if err != nil {
			return err
		}
		defer out.Abort() // a no-op once committed
		if _, err := fmt.Fprintln(out, "domain,status"); err != nil {
			return err
		}
		return out.Commit()
	}
	if err := write(); err != nil {
		fmt.Println(err)
		return
	}

	format, gzipped, _ := fileio.FormatOf(path)
	in, err := fileio.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	var line string
	fmt.Fscanln(in, &line)
	fmt.Println(format, gzipped, line)
	// Output: csv true domain,status
}
