package parquetio_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
)

// Example copies a list and adds a status column: the source columns keep
// their Parquet types and the new one is a nullable string.
func Example() {
	var in bytes.Buffer
	w, err := parquetio.NewWriter(&in, []string{"email"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, email := range []string{"alice@example.com", "bob@example.org"} {
		if err := w.Write(rowio.Row{email}); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := parquetio.NewReader(bytes.NewReader(in.Bytes()), int64(in.Len()), "list.parquet")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	columns := append(r.Columns(), "status")
	w, err = parquetio.NewWriter(&out, columns, r.Schema())
	if err != nil {
		log.Fatal(err)
	}
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		if err := w.Write(append(row, "deliverable")); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	check, err := parquetio.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), "out.parquet")
	if err != nil {
		log.Fatal(err)
	}
	defer check.Close()
	fmt.Println(check.Columns())
	for {
		row, err := check.Read()
		if err == io.EOF {
			break
		}
		fmt.Println(row)
	}
	// Output:
	// [email status]
	// [alice@example.com deliverable]
	// [bob@example.org deliverable]
}
