//go:build unix

package main

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestNamedPipeInput reads lists from named pipes, as from a shell's
// process substitution (mxverify run <(zcat list.gz)). A pipe can be read
// once: opened a second time for the join, it would hand each reader part
// of the data, and rows would get other rows' verdicts. It is spooled like
// standard input, and gzip still goes by the name.
func TestNamedPipeInput(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	domains := []string{"shop.mxdemo.net", "nullmx.mxdemo.net", "missing.mxdemo.net"}
	status := []string{"deliverable", "null_mx", "nxdomain"}
	var list strings.Builder
	list.WriteString("email,n\n")
	const rows = 20000
	for i := range rows {
		fmt.Fprintf(&list, "u%d@%s,%d\n", i, domains[i%3], i)
	}
	for _, name := range []string{"list.csv", "list.csv.gz"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pipe := filepath.Join(dir, name)
			if err := syscall.Mkfifo(pipe, 0o600); err != nil {
				t.Skipf("no named pipes here: %v", err)
			}
			wrote := make(chan error, 1)
			go func() {
				// Opening for writing waits for mxverify to open it.
				f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
				if err != nil {
					wrote <- err
					return
				}
				if strings.HasSuffix(name, ".gz") {
					zw := gzip.NewWriter(f)
					zw.Write([]byte(list.String()))
					err = zw.Close()
				} else {
					_, err = f.WriteString(list.String())
				}
				f.Close()
				wrote <- err
			}()
			out := "out-" + strings.ReplaceAll(name, ".", "-") + ".csv"
			r := mxverify(t, dir, "", "run", name, "--resolver", srv.Addr(), "--progress", "never", "-o", out, "--qps", "100000")
			if err := <-wrote; err != nil {
				t.Fatalf("writing the pipe: %v", err)
			}
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := readCSV(t, filepath.Join(dir, out))
			if len(got) != rows+1 {
				t.Fatalf("%d rows out, want %d", len(got)-1, rows)
			}
			for i, row := range got[1:] {
				if row[1] != fmt.Sprint(i) || row[3] != status[i%3] {
					t.Fatalf("row %d: %q, want n=%d and %s", i+1, row, i, status[i%3])
				}
			}
		})
	}
}
