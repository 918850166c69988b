package parquetio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
)

var update = flag.Bool("update", false, "rewrite testdata/parquet/list.parquet")

const fixtures = "../../testdata/parquet"

// Compile-time checks that the types satisfy the row contracts.
var (
	_ rowio.Reader = (*parquetio.Reader)(nil)
	_ rowio.Writer = (*parquetio.Writer)(nil)
)

// TestReadFixtures reads files from apache/parquet-testing (see
// testdata/parquet/README.md): other writers, legacy INT96 timestamps,
// decimals of every physical type, data page v2 and deeply nested fields.
func TestReadFixtures(t *testing.T) {
	tests := []struct {
		file    string
		columns []string
		rows    int
		first   rowio.Row
	}{
		{
			file: "alltypes_plain.parquet",
			columns: []string{"id", "bool_col", "tinyint_col", "smallint_col", "int_col", "bigint_col",
				"float_col", "double_col", "date_string_col", "string_col", "timestamp_col"},
			rows: 8,
			// Binary columns without a STRING annotation stay []byte.
			first: rowio.Row{int32(4), true, int32(0), int32(0), int32(0), int64(0), float32(0), float64(0),
				[]byte("03/01/09"), []byte("0"), time.Date(2009, 3, 1, 0, 0, 0, 0, time.UTC)},
		},
		{file: "int32_decimal.parquet", columns: []string{"value"}, rows: 24, first: rowio.Row{json.Number("1.00")}},
		{file: "int64_decimal.parquet", columns: []string{"value"}, rows: 24, first: rowio.Row{json.Number("1.00")}},
		{file: "byte_array_decimal.parquet", columns: []string{"value"}, rows: 24, first: rowio.Row{json.Number("1.00")}},
		{file: "fixed_length_decimal.parquet", columns: []string{"value"}, rows: 24, first: rowio.Row{json.Number("1.00")}},
		{
			file:    "datapage_v2.snappy.parquet",
			columns: []string{"a", "b", "c", "d", "e"},
			rows:    5,
			first:   rowio.Row{"abc", int32(1), float64(2), true, json.RawMessage(`[1,2,3]`)},
		},
		{
			file:    "nested_lists.snappy.parquet",
			columns: []string{"a", "b"},
			rows:    3,
			first:   rowio.Row{json.RawMessage(`[[["a","b"],["c"]],[null,["d"]]]`), int32(1)},
		},
		{
			file:    "nested_maps.snappy.parquet",
			columns: []string{"a", "b", "c"},
			rows:    6,
		},
		{file: "null_list.parquet", columns: []string{"emptylist"}, rows: 1, first: rowio.Row{json.RawMessage(`[]`)}},
		{
			file:    "nullable.impala.parquet",
			columns: []string{"id", "int_array", "int_array_Array", "int_map", "int_Map_Array", "nested_struct"},
			rows:    7,
		},
		{
			file:    "repeated_no_annotation.parquet",
			columns: []string{"id", "phoneNumbers"},
			rows:    6,
			first:   rowio.Row{int32(1), nil},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(fixtures, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := mustOpen(t, data, tt.file)
			if got := r.Columns(); !reflect.DeepEqual(got, tt.columns) {
				t.Errorf("Columns() = %q, want %q", got, tt.columns)
			}
			rows := readAll(t, r)
			if len(rows) != tt.rows || r.NumRows() != int64(tt.rows) {
				t.Fatalf("read %d rows, footer says %d, want %d", len(rows), r.NumRows(), tt.rows)
			}
			for _, row := range rows {
				if len(row) != len(tt.columns) {
					t.Fatalf("row has %d values for %d columns", len(row), len(tt.columns))
				}
			}
			if tt.first != nil {
				assertRow(t, rows[0], tt.first)
			}
		})
	}
}

// assertRow compares values and their dynamic types, since the writers
// format an int32 and an int64 alike but a time.Time and a string not.
func assertRow(t *testing.T, got, want rowio.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("row has %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) && !(isNaN(got[i]) && isNaN(want[i]) && reflect.TypeOf(got[i]) == reflect.TypeOf(want[i])) {
			t.Errorf("value %d = %T(%v), want %T(%v)", i, got[i], show(got[i]), want[i], show(want[i]))
		}
	}
}

// isNaN is for assertRow: a NaN read back is the NaN written, though it
// never equals itself.
func isNaN(v any) bool {
	switch f := v.(type) {
	case float32:
		return math.IsNaN(float64(f))
	case float64:
		return math.IsNaN(f)
	}
	return false
}

func show(v any) any {
	switch v := v.(type) {
	case []byte:
		return fmt.Sprintf("%q", v)
	case json.RawMessage:
		return string(v)
	}
	return v
}

// TestNotParquet checks that inputs which are not Parquet get an error that
// names the file, and never a panic.
func TestNotParquet(t *testing.T) {
	valid := writeRows(t, []string{"email"}, nil, []rowio.Row{{"a@example.com"}, {"b@example.com"}})
	tests := []struct {
		name string
		data []byte
	}{
		{"csv.parquet", []byte("email,name\nalice@example.com,Alice\nbob@example.com,Bob\n")},
		{"empty.parquet", nil},
		{"magic-only.parquet", []byte("PAR1")},
		{"two-magics.parquet", []byte("PAR1PAR1")},
		{"header-only.parquet", valid[:len(valid)/2]},
		{"no-footer-magic.parquet", valid[:len(valid)-1]},
		{"footer-too-long.parquet", append([]byte("PAR1garbage"), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1')},
		{"garbage-footer.parquet", append([]byte("PAR1\x01\x02\x03\x04\x05\x06\x07\x08"), 8, 0, 0, 0, 'P', 'A', 'R', '1')},
		{"json.parquet", []byte(`{"email":"a@example.com"}` + "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := parquetio.NewReader(bytes.NewReader(tt.data), int64(len(tt.data)), tt.name)
			if err == nil {
				r.Close()
				t.Fatal("NewReader succeeded")
			}
			var pe *rowio.PosError
			if !errors.As(err, &pe) || pe.Path != tt.name {
				t.Fatalf("error %v (%T) is not a *rowio.PosError for %s", err, err, tt.name)
			}
			if !errors.Is(err, parquetio.ErrNotParquet) {
				t.Errorf("error %v does not wrap ErrNotParquet", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.name+": not a Parquet file") {
				t.Errorf("error = %q, want it to start with %q", msg, tt.name+": not a Parquet file")
			}
		})
	}
}

// TestEncrypted checks that an encrypted file is named as such rather than
// called "not a Parquet file".
func TestEncrypted(t *testing.T) {
	data := []byte("PARE\x00\x00\x00\x00\x04\x00\x00\x00PARE")
	_, err := parquetio.NewReader(bytes.NewReader(data), int64(len(data)), "secret.parquet")
	var pe *rowio.PosError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "encrypted Parquet files are not supported") {
		t.Fatalf("error = %v, want a *rowio.PosError about encryption", err)
	}
}

// TestHugeFooterLength checks that a damaged footer length is rejected
// before anything allocates it.
func TestHugeFooterLength(t *testing.T) {
	data := append([]byte("PAR1garbage"), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1')
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := parquetio.NewReader(bytes.NewReader(data), int64(len(data)), "x.parquet"); !errors.Is(err, parquetio.ErrNotParquet) {
		t.Fatalf("error = %v, want ErrNotParquet", err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("opening allocated %d MiB", n>>20)
	}
}

// TestCorruptPages damages page data behind a valid footer. Rows may come
// out garbled or fail, but every failure must be a *rowio.PosError, never a
// panic.
func TestCorruptPages(t *testing.T) {
	var rows []rowio.Row
	for i := range 2000 {
		rows = append(rows, rowio.Row{fmt.Sprintf("user%d@example.com", i), int64(i)})
	}
	valid := writeRows(t, []string{"email", "n"}, nil, rows)
	var opened, failed int
	for off := 4; off < len(valid)-64; off += max(1, len(valid)/97) {
		data := bytes.Clone(valid)
		for i := off; i < min(off+8, len(data)-64); i++ {
			data[i] ^= 0xa5
		}
		r, err := parquetio.NewReader(bytes.NewReader(data), int64(len(data)), "bad.parquet")
		if err != nil {
			continue
		}
		opened++
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var pe *rowio.PosError
				if !errors.As(err, &pe) || pe.Path != "bad.parquet" {
					t.Errorf("offset %d: error %v (%T) is not a *rowio.PosError", off, err, err)
				}
				failed++
				break
			}
		}
		r.Close()
	}
	t.Logf("%d damaged files opened, %d of them failed to read", opened, failed)
}

type listRow struct {
	Email    string  `parquet:"name=email, type=BYTE_ARRAY, convertedtype=UTF8"`
	Name     *string `parquet:"name=name, type=BYTE_ARRAY, convertedtype=UTF8"`
	SignupAt *int64  `parquet:"name=signup_at, type=INT64, logicaltype=TIMESTAMP, logicaltype.isadjustedtoutc=true, logicaltype.unit=MILLIS"`
	Score    float64 `parquet:"name=score, type=DOUBLE"`
	VIP      bool    `parquet:"name=vip, type=BOOLEAN"`
}

var listRows = []listRow{
	{Email: "alice@mxverify-fixture.net", Name: ptr("Alice"), SignupAt: ptr(time.Date(2023, 5, 1, 12, 0, 0, 0, time.UTC).UnixMilli()), Score: 0.9, VIP: true},
	{Email: "bob@mxverify-fixture.org", Score: 0.25},
	{Email: "Carol <carol@mxverify-fixture.net>", Name: ptr("Carol"), Score: 1},
}

// TestListFixture keeps testdata/parquet/list.parquet, a typed input for
// end-to-end tests of the command, readable and up to date. Regenerate it
// with go test ./io/parquetio -run TestListFixture -update.
func TestListFixture(t *testing.T) {
	path := filepath.Join(fixtures, "list.parquet")
	if *update {
		if err := os.WriteFile(path, mustWriteStructs(t, listRows), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	r := mustOpen(t, data, path)
	if got, want := r.Columns(), []string{"email", "name", "signup_at", "score", "vip"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Columns() = %q, want %q", got, want)
	}
	got := readAll(t, r)
	want := []rowio.Row{
		{"alice@mxverify-fixture.net", "Alice", time.Date(2023, 5, 1, 12, 0, 0, 0, time.UTC), 0.9, true},
		{"bob@mxverify-fixture.org", nil, nil, 0.25, false},
		{"Carol <carol@mxverify-fixture.net>", "Carol", nil, 1.0, false},
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		assertRow(t, got[i], want[i])
	}
}

// TestReadAfterClose checks that a closed reader reports an error instead
// of reading freed state.
func TestReadAfterClose(t *testing.T) {
	data := writeRows(t, []string{"email"}, nil, []rowio.Row{{"a@example.com"}})
	r := mustOpen(t, data, "closed.parquet")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err == nil || err == io.EOF {
		t.Fatalf("Read after Close = %v, want an error", err)
	}
}

// TestNestedKeysAreJSON checks that map keys, which may hold any bytes, are
// quoted as JSON strings: a control character escaped Go's way (\x01, \a)
// would make text that JSONL outputs reject and JSON readers cannot parse.
func TestNestedKeysAreJSON(t *testing.T) {
	type mapped struct {
		M map[string]int32 `parquet:"name=m, type=MAP, convertedtype=MAP, keytype=BYTE_ARRAY, keyconvertedtype=UTF8, valuetype=INT32"`
	}
	keys := []string{"bell\a", "nul\x00", "quote\"", "tab\t", "Zoë", "bad\xff"}
	m := map[string]int32{}
	for i, k := range keys {
		m[k] = int32(i)
	}
	rows := readAll(t, mustOpen(t, mustWriteStructs(t, []mapped{{M: m}}), "keys.parquet"))
	raw, ok := rows[0][0].(json.RawMessage)
	if !ok {
		t.Fatalf("map read as %T, want json.RawMessage", rows[0][0])
	}
	var got map[string]int32
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("map read as invalid JSON %s: %v", raw, err)
	}
	want := map[string]int32{}
	for i, k := range keys {
		want[strings.ToValidUTF8(k, "\uFFFD")] = int32(i)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("map read as %s, want the keys %q", raw, keys)
	}
}
