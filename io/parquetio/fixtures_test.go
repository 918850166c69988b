package parquetio_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/rowio"
)

// TestDuckDBFixtures reads the files DuckDB wrote (testdata/parquet/
// make-fixtures.mjs): every type a list may carry, in four codecs, and a
// longer list in format version 2 (DELTA encodings, dictionaries, two row
// groups) and version 1.
func TestDuckDBFixtures(t *testing.T) {
	ts := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	want := []rowio.Row{
		{int32(1), "alice@mxverify-fixture.net", int32(-8), int32(300), int32(-70000), int64(9007199254740993),
			int64(200), int64(4000000000), json.Number("18446744073709551615"),
			float32(1.5), -2.25, true, "Zoë", []byte("\x00\xffab"),
			json.Number("12.34"), json.Number("-123456789.123"), json.Number("1234567890123456789012.34567"),
			ts("2024-02-29T00:00:00Z"), ts("1970-01-01T12:34:56.789Z"),
			ts("2024-02-29T23:59:58.123Z"), ts("2024-02-29T23:59:58.123456Z"), ts("2024-02-29T23:59:58.123456789Z"),
			ts("2024-02-29T23:59:58.5Z"), "123e4567-e89b-12d3-a456-426614174000",
			raw(`[1,2,3]`), raw(`{"host":"mx1.mxverify-fixture.net","pref":10}`), raw(`{"a":1,"b":2}`)},
		{int32(2), "bob@mxverify-fixture.org", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
			nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int32(3), "carol@mxverify-fixture.net", int32(127), int32(-32768), int32(2147483647), int64(math.MinInt64),
			int64(0), int64(0), json.Number("0"),
			float32(math.NaN()), 1e300, false, "", []byte{},
			json.Number("-0.01"), json.Number("0.000"), json.Number("-0.00001"),
			ts("1969-12-31T00:00:00Z"), ts("1970-01-01T00:00:00Z"),
			ts("1969-12-31T23:59:59.999Z"), ts("1900-01-01T00:00:00Z"), ts("1970-01-01T00:00:00.000000001Z"),
			ts("2000-01-01T00:00:00Z"), "00000000-0000-0000-0000-000000000000",
			raw(`[]`), raw(`{"host":null,"pref":null}`), raw(`{}`)},
	}
	for _, codec := range []string{"snappy", "zstd", "gzip", "plain"} {
		t.Run(codec, func(t *testing.T) {
			name := "duckdb_types." + codec + ".parquet"
			data, err := os.ReadFile(filepath.Join(fixtures, name))
			if err != nil {
				t.Fatal(err)
			}
			rows := readAll(t, mustOpen(t, data, name))
			if len(rows) != len(want) {
				t.Fatalf("read %d rows, want %d", len(rows), len(want))
			}
			for i := range want {
				got, w := rows[i], append(rowio.Row{}, want[i]...)
				if f, ok := got[9].(float32); ok && math.IsNaN(float64(f)) && i == 2 {
					got[9], w[9] = nil, nil // NaN never equals itself
				}
				assertRow(t, got, w)
			}
		})
	}
	for _, name := range []string{"duckdb_v2.zstd.parquet", "duckdb_v1.snappy.parquet"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(fixtures, name))
			if err != nil {
				t.Fatal(err)
			}
			r := mustOpen(t, data, name)
			rows := readAll(t, r)
			if len(rows) != 5000 || r.NumRows() != 5000 {
				t.Fatalf("read %d rows, footer says %d, want 5000", len(rows), r.NumRows())
			}
			base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, row := range rows {
				var score any
				if i%4 != 0 {
					score = json.Number(formatScore(i))
				}
				want := rowio.Row{int64(i), "user" + itoa(i) + "@domain" + itoa(i%97) + ".example",
					[]string{"gold", "silver", "bronze"}[i%3], score, i%7 == 0, base.Add(time.Duration(i*61) * time.Second)}
				assertRow(t, row, want)
				if t.Failed() {
					t.Fatalf("row %d", i+1)
				}
			}
		})
	}
}

func itoa(i int) string { return json.Number(rowio.Text(int64(i))).String() }

// formatScore is i * 1.5 as DuckDB's DECIMAL(21,1) prints it.
func formatScore(i int) string {
	return itoa(i*3/2) + map[bool]string{true: ".5", false: ".0"}[i%2 == 1]
}
