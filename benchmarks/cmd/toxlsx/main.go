// Command toxlsx writes a CSV list (a header, then rows) as a one-sheet
// .xlsx through io/xlsxio's StreamWriter, so that a benchmark can read the
// same rows from a workbook: toxlsx list.csv list.xlsx.
package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/xlsxio"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: toxlsx IN.csv OUT.xlsx")
		os.Exit(2)
	}
	if err := convert(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "toxlsx:", err)
		os.Exit(1)
	}
}

func convert(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return err
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	w, err := xlsxio.NewWriter(o, head)
	if err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		row := make(rowio.Row, len(rec))
		for i, s := range rec {
			row[i] = s
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return o.Close()
}
