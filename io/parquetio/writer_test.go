package parquetio_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xitongsys/parquet-go-source/local"
	"github.com/xitongsys/parquet-go/reader"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
)

// typedRow covers every physical type and the logical types a list export
// is likely to carry, with nullable columns. The library's struct writer
// takes times as their integers and byte arrays as strings.
type typedRow struct {
	ID       int32    `parquet:"name=id, type=INT32"`
	Count    int64    `parquet:"name=count, type=INT64"`
	Score    float64  `parquet:"name=score, type=DOUBLE"`
	Ratio    float32  `parquet:"name=ratio, type=FLOAT"`
	Active   bool     `parquet:"name=active, type=BOOLEAN"`
	Email    string   `parquet:"name=email, type=BYTE_ARRAY, convertedtype=UTF8"`
	Name     *string  `parquet:"name=name, type=BYTE_ARRAY, convertedtype=UTF8"`
	Age      *int32   `parquet:"name=age, type=INT32"`
	Balance  *float64 `parquet:"name=balance, type=DOUBLE"`
	Seen     int64    `parquet:"name=seen, type=INT64, logicaltype=TIMESTAMP, logicaltype.isadjustedtoutc=true, logicaltype.unit=MICROS"`
	SignupAt *int64   `parquet:"name=signup_at, type=INT64, logicaltype=TIMESTAMP, logicaltype.isadjustedtoutc=true, logicaltype.unit=MILLIS"`
	Born     *int32   `parquet:"name=born, type=INT32, convertedtype=DATE"`
	Blob     string   `parquet:"name=blob, type=BYTE_ARRAY"`
	Tier     string   `parquet:"name=tier, type=BYTE_ARRAY, convertedtype=ENUM"`
	Price    int64    `parquet:"name=price, type=INT64, convertedtype=DECIMAL, scale=2, precision=18"`
	UID      string   `parquet:"name=uid, type=FIXED_LEN_BYTE_ARRAY, length=16, logicaltype=UUID"`
	Visits   int32    `parquet:"name=visits, type=INT32, convertedtype=UINT_32"`
	Big      int64    `parquet:"name=big, type=INT64, convertedtype=UINT_64"`
	Small    int32    `parquet:"name=small, type=INT32, convertedtype=INT_8"`
}

func typedRows(n int) []typedRow {
	rows := make([]typedRow, n)
	base := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	for i := range rows {
		r := typedRow{
			ID:     int32(i - n/2),
			Count:  int64(i) << 40,
			Score:  float64(i) / 3,
			Ratio:  float32(i) / 7,
			Active: i%3 == 0,
			Email:  fmt.Sprintf("user%d@example.com", i),
			Seen:   base.Add(time.Duration(i) * time.Hour).UnixMicro(),
			Blob:   string([]byte{byte(i), 0, 0xff}),
			Tier:   []string{"gold", "silver", ""}[i%3],
			Price:  int64(i*101 - 500),
			Visits: int32(uint32(1<<31 + i)),
			Big:    int64(1<<63 + uint64(i)),
			Small:  int32(-i),
		}
		uid := make([]byte, 16)
		uid[0], uid[15] = byte(i), 0xab
		r.UID = string(uid)
		if i%2 == 0 {
			r.Name = ptr(fmt.Sprintf("Ünïcode %d", i))
			r.Age = ptr(int32(20 + i))
			r.SignupAt = ptr(base.Add(-time.Duration(i) * 24 * time.Hour).UnixMilli())
			r.Born = ptr(int32(time.Date(1960+i, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400))
		}
		if i%5 == 0 {
			r.Balance = ptr(-float64(i))
		}
		if i == 1 {
			r.Blob = "" // empty, not null
		}
		rows[i] = r
	}
	return rows
}

// TestRoundTripTyped reads a typed file, writes it with three added string
// columns and reads the output: the source columns must come back with the
// same values, the same Go types and the same Parquet types.
func TestRoundTripTyped(t *testing.T) {
	in := mustOpen(t, mustWriteStructs(t, typedRows(50)), "typed.parquet")
	checkRoundTrip(t, in)

	// Spot-check the decoding itself, not just its consistency.
	in = mustOpen(t, mustWriteStructs(t, typedRows(2)), "typed.parquet")
	rows := readAll(t, in)
	assertRow(t, rows[0], rowio.Row{
		int32(-1), int64(0), float64(0), float32(0), true, "user0@example.com",
		"Ünïcode 0", int32(20), float64(0),
		time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 58, 123000000, time.UTC),
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		[]byte{0, 0, 0xff}, "gold", json.Number("-5.00"),
		"00000000-0000-0000-0000-0000000000ab", int64(1 << 31), json.Number("9223372036854775808"), int32(0),
	})
	if got := rows[1][12]; !reflect.DeepEqual(got, []byte{}) {
		t.Errorf("empty blob = %#v, want []byte{}", got)
	}
}

// TestRoundTripFixtures does the same for files from other writers.
func TestRoundTripFixtures(t *testing.T) {
	for _, name := range []string{
		"alltypes_plain.parquet", // INT96 timestamps, un-annotated binary
		"int32_decimal.parquet",
		"int64_decimal.parquet",
		"byte_array_decimal.parquet",
		"fixed_length_decimal.parquet",
		"list.parquet",
		// Nested fields of every layout: LIST (three-level, of lists, of
		// structs, of maps), MAP (of maps, MAP_KEY_VALUE), structs holding
		// all of them, a repeated group without annotation, a LIST of
		// the NULL type.
		"datapage_v2.snappy.parquet",
		"nested_lists.snappy.parquet",
		"nested_maps.snappy.parquet",
		"nullable.impala.parquet",
		"repeated_no_annotation.parquet",
		"null_list.parquet",
		"duckdb_types.plain.parquet",
		"duckdb_nested.zstd.parquet",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(fixtures, name))
			if err != nil {
				t.Fatal(err)
			}
			checkRoundTrip(t, mustOpen(t, data, name))
		})
	}
}

func checkRoundTrip(t *testing.T, in *parquetio.Reader) {
	t.Helper()
	src := in.Schema()
	want := readAll(t, in)
	extra := []string{"domain", "status", "reason"}
	columns := append(append([]string{}, in.Columns()...), extra...)

	rows := make([]rowio.Row, len(want))
	for i, row := range want {
		status := any("deliverable")
		if i%4 == 1 {
			status = nil
		}
		rows[i] = append(append(rowio.Row{}, row...), fmt.Sprintf("d%d.example", i), status, "")
	}
	out := mustOpen(t, writeRows(t, columns, src, rows), "out.parquet")

	if got := out.Columns(); !reflect.DeepEqual(got, columns) {
		t.Fatalf("output columns = %q, want %q", got, columns)
	}
	// The source's fields, nested ones whole, then the added strings.
	wantSchema := strings.TrimSuffix(src.String(), "}")
	for _, name := range extra {
		wantSchema += "\toptional binary " + name + " (STRING);\n"
	}
	wantSchema += "}"
	if got := out.Schema().String(); got != wantSchema {
		t.Errorf("output schema:\n%s\nwant:\n%s", got, wantSchema)
	}
	got := readAll(t, out)
	if len(got) != len(rows) {
		t.Fatalf("read back %d rows, want %d", len(got), len(rows))
	}
	for i := range rows {
		assertRow(t, got[i], rows[i])
	}
}

// TestWriterStrings writes without a source schema: every value becomes
// text in an optional string column and nil stays null.
func TestWriterStrings(t *testing.T) {
	ts := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	tests := []struct {
		in   any
		want any
	}{
		{"alice@example.com", "alice@example.com"},
		{"", ""},
		{nil, nil},
		{int32(-7), "-7"},
		{int64(1) << 40, "1099511627776"},
		{float32(0.5), "0.5"},
		{1.25, "1.25"},
		{true, "true"},
		{[]byte("raw"), "raw"},
		{ts, "2025-01-02T02:04:05.000000006Z"},
		{json.Number("12.50"), "12.50"},
		{json.RawMessage(`{"a":[1]}`), `{"a":[1]}`},
	}
	columns := []string{"value", "email"}
	var in []rowio.Row
	for _, tt := range tests {
		in = append(in, rowio.Row{tt.in, "x@example.com"})
	}
	r := mustOpen(t, writeRows(t, columns, nil, in), "strings.parquet")
	if got := r.Columns(); !reflect.DeepEqual(got, columns) {
		t.Errorf("Columns() = %q, want %q", got, columns)
	}
	for _, f := range r.Schema().Fields() {
		if !f.Optional() || f.LogicalType() != "STRING" {
			t.Errorf("column %q is %v optional=%v, want an optional STRING", f.Name(), f.Type(), f.Optional())
		}
	}
	got := readAll(t, r)
	for i, tt := range tests {
		if !reflect.DeepEqual(got[i][0], tt.want) {
			t.Errorf("%T(%v) came back as %T(%v), want %T(%v)", tt.in, tt.in, got[i][0], got[i][0], tt.want, tt.want)
		}
	}
}

// TestWriterErrors checks misuse and values that do not fit their column.
func TestWriterErrors(t *testing.T) {
	src := mustOpen(t, mustWriteStructs(t, typedRows(1)), "typed.parquet")
	srcRow := readAll(t, src)[0]
	srcCols := src.Columns()
	with := func(i int, v any) rowio.Row {
		row := append(rowio.Row{}, srcRow...)
		row[i] = v
		return row
	}
	tests := []struct {
		name    string
		columns []string
		src     *parquetio.Schema
		row     rowio.Row
		wantNew string // substring of the NewWriter error, or "" for none
		wantErr string // substring of the Write error
	}{
		{name: "no columns", wantNew: "at least one column"},
		{name: "duplicate", columns: []string{"a", "a"}, wantNew: `duplicate column "a"`},
		{name: "empty name", columns: []string{"a", ""}, wantNew: "column 2 has no name"},
		{name: "too few for source", columns: srcCols[:2], src: src.Schema(), wantNew: "2 columns given"},
		{name: "renamed source column", columns: append([]string{"ID"}, srcCols[1:]...), src: src.Schema(), wantNew: `column 1 is "ID"`},
		{name: "short row", columns: []string{"a", "b"}, row: rowio.Row{"x"}, wantErr: "1 values for 2 columns"},
		{name: "null in required", columns: srcCols, src: src.Schema(), row: with(0, nil), wantErr: `column "id": null in a required column`},
		{name: "text in int32", columns: srcCols, src: src.Schema(), row: with(0, "seven"), wantErr: `column "id": unsupported value type string`},
		{name: "int32 overflow", columns: srcCols, src: src.Schema(), row: with(0, int64(1)<<40), wantErr: `column "id": value out of range`},
		{name: "uuid length", columns: srcCols, src: src.Schema(), row: with(15, []byte{1}), wantErr: `column "uid": value out of range: 1 bytes`},
		{name: "bad uuid", columns: srcCols, src: src.Schema(), row: with(15, "not-a-uuid"), wantErr: `invalid UUID`},
		{name: "decimal precision", columns: srcCols, src: src.Schema(), row: with(14, json.Number("1.234")), wantErr: `invalid decimal "1.234"`},
		{name: "negative uint32", columns: srcCols, src: src.Schema(), row: with(16, int64(-1)), wantErr: "value out of range: -1 not in [0, 4294967295]"},
		{name: "int8 overflow", columns: srcCols, src: src.Schema(), row: with(18, int32(128)), wantErr: "value out of range: 128 not in [-128, 127]"},
		{name: "bool from time", columns: srcCols, src: src.Schema(), row: with(4, time.Now()), wantErr: "unsupported value type time.Time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := parquetio.NewWriter(io.Discard, tt.columns, tt.src)
			if tt.wantNew != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantNew) {
					t.Fatalf("NewWriter error = %v, want %q", err, tt.wantNew)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			err = w.Write(tt.row)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write error = %v, want %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "row 1: ") {
				t.Errorf("Write error %q does not give the row", err)
			}
			// A rejected row is not written; the writer stays usable.
			if err := w.Close(); err != nil {
				t.Errorf("Close after a rejected row: %v", err)
			}
		})
	}
}

// TestWriterAccepts checks the text forms a typed column accepts, so that a
// CSV list can be written with a Parquet schema.
func TestWriterAccepts(t *testing.T) {
	type row struct {
		N    int32   `parquet:"name=n, type=INT32"`
		B    bool    `parquet:"name=b, type=BOOLEAN"`
		F    float32 `parquet:"name=f, type=FLOAT"`
		D    float64 `parquet:"name=d, type=DOUBLE"`
		T    int64   `parquet:"name=t, type=INT64, logicaltype=TIMESTAMP, logicaltype.isadjustedtoutc=true, logicaltype.unit=MILLIS"`
		Day  int32   `parquet:"name=day, type=INT32, convertedtype=DATE"`
		Cost int64   `parquet:"name=cost, type=INT64, convertedtype=DECIMAL, scale=2, precision=18"`
	}
	src := mustOpen(t, mustWriteStructs(t, []row{{}}), "src.parquet")
	in := rowio.Row{" 42 ", "true", "0.5", json.Number("2.5"), "2024-01-02T03:04:05.678Z", "2024-01-02T00:00:00Z", "-3.1"}
	out := mustOpen(t, writeRows(t, src.Columns(), src.Schema(), []rowio.Row{in}), "out.parquet")
	assertRow(t, readAll(t, out)[0], rowio.Row{
		int32(42), true, float32(0.5), 2.5,
		time.Date(2024, 1, 2, 3, 4, 5, 678000000, time.UTC),
		time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		json.Number("-3.10"),
	})
}

// TestWriterClose checks that an empty list still makes a valid file, that
// Close is idempotent and that Write after Close fails.
func TestWriterClose(t *testing.T) {
	var buf bytes.Buffer
	w, err := parquetio.NewWriter(&buf, []string{"email", "status"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Write(rowio.Row{"a", "b"}); err == nil {
		t.Error("Write after Close succeeded")
	}
	r := mustOpen(t, buf.Bytes(), "empty.parquet")
	if got := r.Columns(); !reflect.DeepEqual(got, []string{"email", "status"}) {
		t.Errorf("Columns() = %q", got)
	}
	if rows := readAll(t, r); len(rows) != 0 {
		t.Errorf("read %d rows from an empty file", len(rows))
	}
}

// TestStreaming writes and reads 100k rows through a real file. The output
// must be split in row groups (the writer's memory bound) and the reader
// must stream them in order. Heap use is logged, not asserted, because the
// garbage collector makes any threshold flaky.
func TestStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100k rows")
	}
	const n = 100_000
	path := filepath.Join(t.TempDir(), "big.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	columns := []string{"email", "n", "status"}
	w, err := parquetio.NewWriter(f, columns, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := w.Write(rowio.Row{fmt.Sprintf("user%d@domain%d.example", i, i%977), int64(i), nil}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	groups := rowGroups(t, path)
	if groups < 2 {
		t.Errorf("%d rows written in %d row group(s); the writer should bound them", n, groups)
	}
	r, err := parquetio.NewReader(f, st.Size(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.NumRows() != n {
		t.Errorf("NumRows() = %d, want %d", r.NumRows(), n)
	}
	var peak uint64
	var ms runtime.MemStats
	for i := 0; ; i++ {
		row, err := r.Read()
		if err == io.EOF {
			if i != n {
				t.Fatalf("read %d rows, want %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("user%d@domain%d.example", i, i%977); row[0] != want || row[1] != fmt.Sprint(i) || row[2] != nil {
			t.Fatalf("row %d = %v, want [%s %d <nil>]", i+1, row, want, i)
		}
		if i%10_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	t.Logf("file %d bytes, %d row groups, peak heap in use while reading %d KiB",
		st.Size(), groups, peak>>10)
}

// rowGroups counts a file's row groups with the library's own reader.
func rowGroups(t *testing.T, path string) int {
	t.Helper()
	pf, err := local.NewLocalFileReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	pr, err := reader.NewParquetColumnReader(pf, 1)
	if err != nil {
		t.Fatal(err)
	}
	return len(pr.Footer.RowGroups)
}
