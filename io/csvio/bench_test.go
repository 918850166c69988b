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

// BenchmarkRead compares the ways to read a list: whole rows, one column
// (pass one of a run), and raw rows copied to a writer (the join).
func BenchmarkRead(b *testing.B) {
	const rows = 10000
	data := benchCSV(rows)
	for _, bc := range []struct {
		name string
		read func(r *csvio.Reader, w *csvio.Writer) error
	}{
		{"Row", func(r *csvio.Reader, _ *csvio.Writer) error {
			_, err := r.Read()
			return err
		}},
		{"Field", func(r *csvio.Reader, _ *csvio.Writer) error {
			_, err := r.ReadField(0)
			return err
		}},
		{"RawCopy", func(r *csvio.Reader, w *csvio.Writer) error {
			raw, row, err := r.ReadRaw()
			switch {
			case err != nil:
				return err
			case raw != nil:
				return w.WriteRaw(raw, "example.com", "deliverable")
			}
			return w.Write(append(row, "example.com", "deliverable"))
		}},
		{"RowCopy", func(r *csvio.Reader, w *csvio.Writer) error {
			row, err := r.Read()
			if err != nil {
				return err
			}
			return w.Write(append(row, "example.com", "deliverable"))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := csvio.NewReader(bytes.NewReader(data), "bench.csv", ',')
				if err != nil {
					b.Fatal(err)
				}
				w, err := csvio.NewWriter(io.Discard, append(r.Columns(), "domain", "status"), ',')
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					err := bc.read(r, w)
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
		})
	}
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
