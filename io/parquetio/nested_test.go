package parquetio_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
)

// TestWriterNested checks that nested source fields keep their type: the
// output's schema is the input's, group for group, and every value reads
// back the same, with nulls at each level (a null list, an empty list, a
// null element, a null struct, a struct of null fields, a null map value).
func TestWriterNested(t *testing.T) {
	in := mustOpen(t, mustReadFixture(t, "duckdb_nested.zstd.parquet"), "nested.parquet")
	rows := readAll(t, in)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	// What the reader gives, and so what the writer must take back: the
	// first columns of each row (DuckDB wrote them; see make-fixtures.mjs).
	want := []rowio.Row{
		{int32(1), "alice@mxverify-fixture.net", raw(`[1,null,3]`), raw(`{"a":7,"b":"x"}`), raw(`{"k1":1,"k2":null}`),
			raw(`[[1,2],[],null,[null]]`), raw(`[{"host":"mx1.mxverify-fixture.net","pref":10},null,{"host":null,"pref":20}]`),
			raw(`{"name":"Zoë","tags":["t1",null],"inner":{"score":1.5,"seen":"2024-02-29T00:00:00Z"}}`)},
		{int32(2), "bob@mxverify-fixture.org", nil, nil, nil, nil, nil, nil},
		{int32(3), "carol@mxverify-fixture.net", raw(`[]`), raw(`{"a":null,"b":null}`), raw(`{}`),
			raw(`[[]]`), raw(`[]`), raw(`{"name":null,"tags":[],"inner":null}`)},
	}
	if len(rows) != len(want) {
		t.Fatalf("read %d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		assertRow(t, rows[i][:len(want[i])], want[i])
	}

	out := mustOpen(t, writeRows(t, in.Columns(), in.Schema(), rows), "out.parquet")
	if got, want := out.Schema().String(), in.Schema().String(); got != want {
		t.Errorf("output schema:\n%s\nwant the input's:\n%s", got, want)
	}
	got := readAll(t, out)
	if len(got) != len(rows) {
		t.Fatalf("read back %d rows, want %d", len(got), len(rows))
	}
	for i := range rows {
		assertRow(t, got[i], rows[i])
	}
}

// TestWriterNestedText checks the values a nested column takes besides the
// reader's: JSON as a string or bytes, spaces, members in another order,
// missing optional members, and numbers as text.
func TestWriterNestedText(t *testing.T) {
	in := mustOpen(t, mustReadFixture(t, "duckdb_nested.zstd.parquet"), "nested.parquet")
	cols := in.Columns()
	row := make(rowio.Row, len(cols))
	row[0], row[1] = int32(1), "a@example.com"
	set := func(col string, v any) { row[slices.Index(cols, col)] = v }
	set("ints", ` [1, 2 ,3] `)
	set("pair", []byte(`{"b":"y"}`))
	set("mxs", json.RawMessage(`[{"pref":"20","host":"mx.example"}]`))
	set("kv", json.RawMessage(`{"z":1,"a":2}`))
	set("profile", json.RawMessage(`{"tags":null}`))
	set("floats", json.RawMessage(`[0.1,"-Inf"]`))
	set("grid", json.RawMessage(`null`))
	out := mustOpen(t, writeRows(t, cols, in.Schema(), []rowio.Row{row}), "out.parquet")
	got := readAll(t, out)[0]
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	for col, want := range map[string]any{
		"ints":    raw(`[1,2,3]`),
		"pair":    raw(`{"a":null,"b":"y"}`),
		"mxs":     raw(`[{"host":"mx.example","pref":20}]`),
		"kv":      raw(`{"z":1,"a":2}`), // a map keeps its order
		"profile": raw(`{"name":null,"tags":null,"inner":null}`),
		"floats":  raw(`[0.1,"-Inf"]`), // 0.1 parsed as a float32, not rounded twice
		"grid":    nil,
	} {
		if v := got[slices.Index(cols, col)]; !reflect.DeepEqual(v, want) {
			t.Errorf("%s read back as %s, want %s", col, show(v), show(want))
		}
	}

	// A repeated field's null is its empty list, as the Reader gives it.
	in = mustOpen(t, mustReadFixture(t, "repeated_no_annotation.parquet"), "repeated.parquet")
	rows := []rowio.Row{{int32(1), `{"phone":null}`}, {int32(2), `{}`}, {int32(3), `{"phone":[{"number":"5"}]}`}}
	back := readAll(t, mustOpen(t, writeRows(t, in.Columns(), in.Schema(), rows), "out.parquet"))
	for i, want := range []string{`{"phone":[]}`, `{"phone":[]}`, `{"phone":[{"number":5,"kind":null}]}`} {
		if got := back[i][1]; !reflect.DeepEqual(got, raw(want)) {
			t.Errorf("%s read back as %s, want %s", rows[i][1], show(got), want)
		}
	}
}

// TestWriterNestedErrors gives nested columns values that do not fit their
// schema. Each must be refused with the row, the column and the place in
// the value, never a panic, and leave the writer usable.
func TestWriterNestedErrors(t *testing.T) {
	const (
		nested = "duckdb_nested.zstd.parquet"
		impala = "nullable.impala.parquet"
		maps   = "nested_maps.snappy.parquet"
		v2     = "datapage_v2.snappy.parquet"
	)
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	tests := []struct {
		name string
		file string
		col  string
		v    any
		want string
	}{
		{"not JSON", nested, "ints", `[1,`, `column "ints": value does not fit the column's nested type: at $[1]: invalid JSON at byte 3: unexpected end, want a value`},
		{"bad token", nested, "ints", `[1,x]`, `at $[1]: invalid JSON at byte 3: unexpected 'x', want a value`},
		{"text after", nested, "ints", `[1][2]`, `at $: invalid JSON at byte 3: unexpected '[', want the end after the value`},
		{"empty", nested, "ints", ``, `at $: invalid JSON at byte 0: unexpected end, want a value`},
		{"trailing comma", nested, "ints", `[1,]`, `at $[1]: invalid JSON at byte 3: unexpected ']', want a value`},
		{"no comma", nested, "ints", `[1 2]`, `at $[0]: invalid JSON at byte 3: unexpected '2', want ',' or ']'`},
		{"leading zero", nested, "ints", `[01]`, `at $[0]: invalid JSON at byte 2: unexpected '1', want ',' or ']'`},
		{"bare minus", nested, "ints", `[-]`, `at $[0]: invalid JSON at byte 2: unexpected ']', want a digit`},
		{"no colon", nested, "pair", `{"a" 1}`, `at $: invalid JSON at byte 5: unexpected '1', want ':'`},
		{"key not a string", nested, "pair", `{a:1}`, `at $: invalid JSON at byte 1: unexpected 'a', want a member name`},
		{"open string", nested, "words", `["abc`, `at $[0]: invalid JSON at byte 5: unexpected end in a string`},
		{"bad escape", nested, "words", `["a\x"]`, `at $[0]: invalid JSON at byte 1: invalid string`},
		{"control character", nested, "words", "[\"a\tb\"]", `at $[0]: invalid JSON at byte 3: control character 0x9 in a string`},
		{"object for list", nested, "ints", `{"a":1}`, `at $: want a list for "ints", got an object`},
		{"list for leaf", nested, "ints", `[1,[2]]`, `at $[1]: want int32 (INT(32,true)) for "element", got an array`},
		{"text for int", nested, "ints", `[1,"two"]`, `at $[1]: unsupported value type string for Parquet type int32`},
		{"int32 overflow", nested, "ints", `[4294967296]`, `at $[0]: value out of range`},
		{"int8 overflow", nested, "tiny", `[128]`, `at $[0]: value out of range: 128 not in [-128, 127]`},
		{"int64 overflow", nested, "big", `[9223372036854775808]`, `at $[0]: unsupported value type json.Number for Parquet type int64`},
		{"uint64 overflow", nested, "ubig", `[18446744073709551616]`, `at $[0]: value out of range`},
		{"fraction for int", nested, "ints", `[1.5]`, `at $[0]: unsupported value type json.Number`},
		{"decimal scale", nested, "prices", `[1.234]`, `at $[0]: invalid decimal "1.234" for scale 2`},
		{"decimal width", nested, "bigdec", `[1e40]`, `at $[0]: invalid decimal "1e40"`},
		{"float range", nested, "floats", `[1e39]`, `at $[0]: value out of range: 1e39 for a float`},
		{"bad base64", nested, "blobs", `["!!"]`, `at $[0]: binary "element" is not base64`},
		{"bad uuid", nested, "uids", `["xyz"]`, `at $[0]: invalid UUID "xyz"`},
		{"bad date", nested, "days", `["yesterday"]`, `at $[0]: unsupported value type string for Parquet type int32`},
		{"struct of a list", nested, "pair", `[1]`, `at $: want a struct for "pair", got an array`},
		{"unknown field", nested, "pair", `{"a":1,"zz":2}`, `at $.zz: struct "pair" has no field "zz"`},
		{"field twice", nested, "pair", `{"a":1,"a":null}`, `at $.a: field "a" given twice`},
		{"deep path", nested, "profile", `{"inner":{"seen":true}}`, `at $.inner.seen: unsupported value type bool for Parquet type int32`},
		{"list of structs", nested, "mxs", `[{"host":"a"},{"pref":{}}]`, `at $[1].pref: want int32 (INT(32,true)) for "pref", got an object`},
		{"map of a list", nested, "kv", `[]`, `at $: want a map for "kv", got an array`},
		{"map value", nested, "kv", `{"k":"v"}`, `at $["k"]: unsupported value type string for Parquet type int32`},
		{"map key", nested, "imap", `{"one":[]}`, `at $["one"]: unsupported value type string for Parquet type int32 (the key)`},
		{"map of maps", maps, "a", `{"x":{"1":"yes"}}`, `at $["x"]["1"]: unsupported value type string for Parquet type boolean`},
		{"null required value", maps, "a", `{"x":{"1":null}}`, `at $["x"]["1"]: "value" is required, got null`},
		{"null required element", v2, "e", `[1,null]`, `at $[1]: "element" is required, got null`},
		{"list of lists", impala, "int_array_Array", `[[1],[null,"x"]]`, `at $[1][1]: unsupported value type string`},
		{"deeper than the schema", nested, "grid", deep, `at $[0][0]: want int32 (INT(32,true)) for "element", got an array`},
		{"not JSON text", nested, "ints", int64(3), `column "ints": unsupported value type int64 for the nested type group (LIST)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustOpen(t, mustReadFixture(t, tt.file), tt.file)
			cols := in.Columns()
			first := readAll(t, in)[0]
			var buf bytes.Buffer
			w, err := parquetio.NewWriter(&buf, cols, in.Schema())
			if err != nil {
				t.Fatal(err)
			}
			row := append(rowio.Row{}, first...)
			row[slices.Index(cols, tt.col)] = tt.v
			err = w.Write(row)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "row 1: column ") {
				t.Fatalf("Write error = %v, want one with %q", err, tt.want)
			}
			// The rejected row leaves nothing behind: the next one is the
			// file's only row.
			if err := w.Write(first); err != nil {
				t.Fatalf("Write after a rejected row: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := readAll(t, mustOpen(t, buf.Bytes(), "out.parquet"))
			if len(got) != 1 {
				t.Fatalf("read back %d rows, want 1", len(got))
			}
			assertRow(t, got[0], first)
		})
	}
}

// FuzzWriterNested writes arbitrary text to the nested columns of the
// DuckDB fixture. Whatever the text, Write must take it or refuse it with
// an error; what it takes must read back as a value that writes back the
// same.
func FuzzWriterNested(f *testing.F) {
	in := mustOpen(f, mustReadFixture(f, "duckdb_nested.zstd.parquet"), "nested.parquet")
	cols, src := in.Columns(), in.Schema()
	rows := readAll(f, in)
	for _, row := range rows {
		for i, v := range row[2:] {
			if raw, ok := v.(json.RawMessage); ok {
				f.Add(uint8(i), string(raw))
			}
		}
	}
	for _, s := range []string{`[1,null`, `{"a":{"b":1}}`, `[[[[]]]]`, `{"1":null,"1":[]}`, `"\ud800"`, `[1e999]`, `null`, ``} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, col uint8, text string) {
		i := 2 + int(col)%(len(cols)-2)
		row := append(rowio.Row{}, rows[0]...)
		row[i] = json.RawMessage(text)
		var buf bytes.Buffer
		w, err := parquetio.NewWriter(&buf, cols, src)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(row); err != nil {
			return
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close after %q was taken: %v", text, err)
		}
		back := readAll(t, mustOpen(t, buf.Bytes(), "out.parquet"))[0]
		again := readAll(t, mustOpen(t, writeRows(t, cols, src, []rowio.Row{back}), "again.parquet"))[0]
		assertRow(t, again, back)
	})
}

func mustReadFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestWriterRepeatedColumn checks a repeated top-level field, a list
// without a LIST group, which the library's struct writer makes of a
// slice: its value is a JSON array, and null is an empty one.
func TestWriterRepeatedColumn(t *testing.T) {
	type repeated struct {
		Email string   `parquet:"name=email, type=BYTE_ARRAY, convertedtype=UTF8"`
		IDs   []int64  `parquet:"name=ids, type=INT64, repetitiontype=REPEATED"`
		Names []string `parquet:"name=names, type=BYTE_ARRAY, convertedtype=UTF8, repetitiontype=REPEATED"`
	}
	in := mustOpen(t, mustWriteStructs(t, []repeated{
		{"a@example.com", []int64{1, -2}, []string{"x"}},
		{"b@example.com", nil, nil},
	}), "repeated.parquet")
	rows := readAll(t, in)
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	assertRow(t, rows[0], rowio.Row{"a@example.com", raw(`[1,-2]`), raw(`["x"]`)})
	assertRow(t, rows[1], rowio.Row{"b@example.com", raw(`[]`), raw(`[]`)})
	rows = append(rows, rowio.Row{"c@example.com", nil, `["y","z"]`})

	out := mustOpen(t, writeRows(t, in.Columns(), in.Schema(), rows), "out.parquet")
	if got, want := out.Schema().String(), in.Schema().String(); got != want {
		t.Errorf("output schema:\n%s\nwant the input's:\n%s", got, want)
	}
	got := readAll(t, out)
	assertRow(t, got[0], rows[0])
	assertRow(t, got[1], rows[1])
	assertRow(t, got[2], rowio.Row{"c@example.com", raw(`[]`), raw(`["y","z"]`)})
}
