// Command parquetbench measures io/parquetio on a large list: the time to
// write N rows with a typed schema plus the three columns a run adds, and
// the time to read a Parquet file back row by row, each with the process's
// peak resident memory. It exercises only parquetio's public API, so the
// same program measures any revision of the package.
//
// Usage:
//
//	parquetbench write -rows 1000000 -schema testdata/parquet/list.parquet -o FILE
//	parquetbench read FILE
//
// Run each mode in its own process (one measurement per process), for
// example under /usr/bin/time -v; see benchmarks/README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	start := time.Now()
	var rows int64
	switch os.Args[1] {
	case "write":
		rows, err = write(os.Args[2:])
	case "read":
		rows, err = read(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parquetbench:", err)
		os.Exit(1)
	}
	elapsed := time.Since(start)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // Linux reports ru_maxrss in KiB
	fmt.Printf("%s: %d rows in %.2fs (%.0f rows/s), peak RSS %d MiB\n",
		os.Args[1], rows, elapsed.Seconds(), float64(rows)/elapsed.Seconds(), ru.Maxrss>>10)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: parquetbench write -rows N -schema FILE -o FILE | parquetbench read FILE")
	os.Exit(2)
}

// write writes generated rows under the schema of a small typed list (by
// default testdata/parquet/list.parquet: email, name, signup_at, score, vip)
// with the per-address output's added columns, the way a run writes a
// Parquet list it has verified.
func write(args []string) (int64, error) {
	fs := flag.NewFlagSet("write", flag.ExitOnError)
	n := fs.Int("rows", 1_000_000, "rows to write")
	schemaPath := fs.String("schema", "testdata/parquet/list.parquet", "a Parquet file whose columns are written")
	out := fs.String("o", "", "output file")
	_ = fs.Parse(args)
	if *out == "" {
		usage()
	}
	sf, err := os.Open(*schemaPath)
	if err != nil {
		return 0, err
	}
	defer sf.Close()
	st, err := sf.Stat()
	if err != nil {
		return 0, err
	}
	src, err := parquetio.NewReader(sf, st.Size(), *schemaPath)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	want := []string{"email", "name", "signup_at", "score", "vip"}
	if fmt.Sprint(src.Columns()) != fmt.Sprint(want) {
		return 0, fmt.Errorf("%s has columns %q, want %q", *schemaPath, src.Columns(), want)
	}
	columns := append(append([]string{}, src.Columns()...), "mx_domain", "mx_status", "mx_reason")

	f, err := os.Create(*out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w, err := parquetio.NewWriter(f, columns, src.Schema())
	if err != nil {
		return 0, err
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	statuses := []string{"deliverable", "deliverable", "deliverable", "nxdomain", "no_mx", "temp_error"}
	row := make(rowio.Row, len(columns))
	for i := range *n {
		domain := fmt.Sprintf("domain%d.example", i%97_711)
		row[0] = fmt.Sprintf("user%d@%s", i, domain)
		row[1], row[2] = nil, nil
		if i%3 != 0 {
			row[1] = fmt.Sprintf("User %d", i)
			row[2] = base.Add(time.Duration(i) * time.Second)
		}
		row[3] = float64(i%1000) / 1000
		row[4] = i%7 == 0
		row[5] = domain
		row[6] = statuses[i%len(statuses)]
		row[7] = nil
		if row[6] != "deliverable" {
			row[7] = "no answer"
		}
		if err := w.Write(row); err != nil {
			return int64(i), err
		}
	}
	if err := w.Close(); err != nil {
		return int64(*n), err
	}
	return int64(*n), f.Close()
}

// read reads every row of a Parquet file through parquetio.Reader.
func read(args []string) (int64, error) {
	if len(args) != 1 {
		usage()
	}
	f, err := os.Open(args[0])
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	r, err := parquetio.NewReader(f, st.Size(), args[0])
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var n int64
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
