package csvio_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
)

// benchCSV is a list shaped like the real ones: an address, two names, a
// free-text column that sometimes needs quotes, and an empty field.
func benchCSV(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("email,first_name,last_name,note,source\r\n")
	for i := range rows {
		if i%10 == 0 {
			fmt.Fprintf(&b, "user%d@example%d.com,Ann,Smith,\"likes commas, and \"\"quotes\"\"\",\r\n", i, i%1000)
		} else {
			fmt.Fprintf(&b, "user%d@example%d.com,Bob,Jones,plain note,import-2024\r\n", i, i%1000)
		}
	}
	return b.Bytes()
}

func BenchmarkRead(b *testing.B) {
	const rows = 10000
	data := benchCSV(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := csvio.NewReader(bytes.NewReader(data), "bench.csv", ',')
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWrite(b *testing.B) {
	const rows = 10000
	r, err := csvio.NewReader(bytes.NewReader(benchCSV(rows)), "bench.csv", ',')
	if err != nil {
		b.Fatal(err)
	}
	var all []rowio.Row
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, row)
	}
	b.ReportAllocs()
	for b.Loop() {
		w, err := csvio.NewWriter(io.Discard, r.Columns(), ',')
		if err != nil {
			b.Fatal(err)
		}
		for _, row := range all {
			if err := w.Write(row); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}
