package parquetio_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/parquetio"
)

// benchRows is a typical list: address, optional name, an id and a signup
// time.
func benchRows(n int) []typedListRow {
	rows := make([]typedListRow, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		rows[i] = typedListRow{
			Email:    fmt.Sprintf("user%d@domain%d.example", i, i%977),
			ID:       int64(i),
			SignupAt: base.Add(time.Duration(i) * time.Minute),
		}
		if i%3 != 0 {
			rows[i].Name = ptr(fmt.Sprintf("User %d", i))
		}
	}
	return rows
}

type typedListRow struct {
	Email    string    `parquet:"email"`
	Name     *string   `parquet:"name,optional"`
	ID       int64     `parquet:"id"`
	SignupAt time.Time `parquet:"signup_at,timestamp(millisecond)"`
}

func BenchmarkRead(b *testing.B) {
	const n = 10_000
	data := mustWriteStructs(b, benchRows(n))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := parquetio.NewReader(bytes.NewReader(data), int64(len(data)), "bench.parquet")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkWrite(b *testing.B) {
	const n = 10_000
	in := mustOpen(b, mustWriteStructs(b, benchRows(n)), "bench.parquet")
	rows := readAll(b, in)
	for i := range rows {
		rows[i] = append(rows[i], "domain.example", "deliverable")
	}
	columns := append(in.Columns(), "domain", "status")
	b.ReportAllocs()
	for b.Loop() {
		w, err := parquetio.NewWriter(io.Discard, columns, in.Schema())
		if err != nil {
			b.Fatal(err)
		}
		for _, row := range rows {
			if err := w.Write(row); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
