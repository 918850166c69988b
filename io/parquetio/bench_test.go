package parquetio_test

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/verify"
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
			SignupAt: base.Add(time.Duration(i) * time.Minute).UnixMilli(),
		}
		if i%3 != 0 {
			rows[i].Name = ptr(fmt.Sprintf("User %d", i))
		}
	}
	return rows
}

// typedListRow is in the tags of the library's struct writer, which
// mustWriteStructs uses.
type typedListRow struct {
	Email    string  `parquet:"name=email, type=BYTE_ARRAY, convertedtype=UTF8"`
	Name     *string `parquet:"name=name, type=BYTE_ARRAY, convertedtype=UTF8"`
	ID       int64   `parquet:"name=id, type=INT64"`
	SignupAt int64   `parquet:"name=signup_at, type=INT64, logicaltype=TIMESTAMP, logicaltype.isadjustedtoutc=true, logicaltype.unit=MILLIS"`
}

// nestedListRow adds two lists to an address, as CRM exports carry tags
// and ids of segments.
type nestedListRow struct {
	Email    string   `parquet:"name=email, type=BYTE_ARRAY, convertedtype=UTF8"`
	Tags     []string `parquet:"name=tags, type=LIST, valuetype=BYTE_ARRAY, valueconvertedtype=UTF8"`
	Segments []int64  `parquet:"name=segments, type=LIST, valuetype=INT64"`
}

func nestedRows(n int) []nestedListRow {
	rows := make([]nestedListRow, n)
	tags := []string{"newsletter", "customer", "vip", "churned"}
	for i := range rows {
		rows[i] = nestedListRow{Email: fmt.Sprintf("user%d@domain%d.example", i, i%977)}
		rows[i].Tags = tags[:i%len(tags)]
		for j := range i % 3 {
			rows[i].Segments = append(rows[i].Segments, int64(i*7+j))
		}
	}
	return rows
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
	benchmarkWrite(b, mustWriteStructs(b, benchRows(10_000)))
}

// BenchmarkWriteNested writes a list with two LIST columns from a Parquet
// input, the rows as the Reader gives them.
func BenchmarkWriteNested(b *testing.B) {
	benchmarkWrite(b, mustWriteStructs(b, nestedRows(10_000)))
}

func benchmarkWrite(b *testing.B, data []byte) {
	in := mustOpen(b, data, "bench.parquet")
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
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWriteResults writes per-domain records with two mail hosts of
// two addresses each: the mx column is a list of structs holding a list.
func BenchmarkWriteResults(b *testing.B) {
	const n = 10_000
	res := verify.Result{Domain: "shop.example", Status: verify.Deliverable, TTL: 300, Resolver: "127.0.0.1:53",
		CheckedAt: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC),
		MX: []verify.Exchange{
			{Preference: 10, Host: "mx1.shop.example", Role: verify.RolePrimary,
				Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
			{Preference: 20, Host: "mx2.shop.example", Role: verify.RoleBackup,
				Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::2")}},
		}}
	b.ReportAllocs()
	for b.Loop() {
		w, err := parquetio.NewResultWriter(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			if err := w.WriteResult(res, 1); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
