package jsonlio_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/mxverify/mxverify/io/jsonlio"
	"github.com/mxverify/mxverify/io/rowio"
)

func benchJSONL(rows int) []byte {
	var b bytes.Buffer
	for i := range rows {
		fmt.Fprintf(&b, `{"email":"user%d@example%d.com","first_name":"Ann","age":%d,"vip":%t,"tags":["a","b"]}`+"\n", i, i%1000, i%90, i%2 == 0)
	}
	return b.Bytes()
}

func BenchmarkRead(b *testing.B) {
	const rows = 10000
	data := benchJSONL(rows)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := jsonlio.NewReader(bytes.NewReader(data), "bench.jsonl")
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
	r, err := jsonlio.NewReader(bytes.NewReader(benchJSONL(rows)), "bench.jsonl")
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
		w := jsonlio.NewWriter(io.Discard, r.Columns())
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
