package jsonlio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mxverify/mxverify/io/jsonlio"
	"github.com/mxverify/mxverify/io/rowio"
)

var (
	_ rowio.Reader = (*jsonlio.Reader)(nil)
	_ rowio.Writer = (*jsonlio.Writer)(nil)
)

// TestReadGolden reads every JSONL fixture; the golden file shows the rows
// with their value types, or the error with its position.
func TestReadGolden(t *testing.T) {
	for _, name := range inputs(t, ".jsonl") {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(inputDir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []byte
			r, err := jsonlio.NewReader(f, name)
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
			} else {
				got = dump(r)
			}
			checkGolden(t, "jsonlio/"+name+".txt", got)
		})
	}
}

func readAll(r rowio.Reader) ([]rowio.Row, error) {
	var rows []rowio.Row
	for {
		row, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols []string
		rows []rowio.Row
	}{
		{"key order kept", `{"z":1,"a":2,"m":3}` + "\n" + `{"m":6,"z":4,"a":5}`,
			[]string{"z", "a", "m"}, []rowio.Row{
				{json.Number("1"), json.Number("2"), json.Number("3")},
				{json.Number("4"), json.Number("5"), json.Number("6")}}},
		{"missing keys are nil", `{"a":"x","b":"y"}` + "\n" + `{"b":"z"}` + "\n{}\n",
			[]string{"a", "b"}, []rowio.Row{{"x", "y"}, {nil, "z"}, {nil, nil}}},
		{"value types", `{"s":"x","n":-1.5e3,"t":true,"f":false,"z":null,"o":{ "k" : [ 1 , 2 ] },"a":[ ]}`,
			[]string{"s", "n", "t", "f", "z", "o", "a"}, []rowio.Row{
				{"x", json.Number("-1.5e3"), true, false, nil, json.RawMessage(`{"k":[1,2]}`), json.RawMessage(`[]`)}}},
		{"string escapes", `{"s":"a\"b\\c\nd\u00e9\ud83d\ude00\/"}`, []string{"s"}, []rowio.Row{{"a\"b\\c\nd\u00e9\U0001F600/"}}},
		{"raw utf-8", `{"nom":"José"}`, []string{"nom"}, []rowio.Row{{"José"}}},
		{"big number kept exact", `{"n":123456789012345678901234567890}`, []string{"n"}, []rowio.Row{{json.Number("123456789012345678901234567890")}}},
		{"bom", "\uFEFF{\"a\":1}\n", []string{"a"}, []rowio.Row{{json.Number("1")}}},
		{"crlf and blank lines", "\r\n\n{\"a\":1}\r\n \t\r\n{\"a\":2}\r\n\r\n", []string{"a"}, []rowio.Row{{json.Number("1")}, {json.Number("2")}}},
		{"no final newline", `{"a":1}` + "\n" + `{"a":2}`, []string{"a"}, []rowio.Row{{json.Number("1")}, {json.Number("2")}}},
		{"whitespace around", "  {\"a\" : 1 }  \n", []string{"a"}, []rowio.Row{{json.Number("1")}}},
		{"empty first object", "{}\n{}\n", nil, []rowio.Row{{}, {}}},
		{"empty key", `{"":1}`, []string{""}, []rowio.Row{{json.Number("1")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := jsonlio.NewReader(iotest.OneByteReader(strings.NewReader(tt.in)), "t.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Columns()) != len(tt.cols) || len(tt.cols) > 0 && !reflect.DeepEqual(r.Columns(), tt.cols) {
				t.Errorf("Columns() = %q, want %q", r.Columns(), tt.cols)
			}
			rows, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows = %#v\nwant %#v", rows, tt.rows)
			}
			if _, err := r.Read(); err != io.EOF {
				t.Errorf("Read after EOF = %v, want io.EOF", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		line, col int
		msg       string
	}{
		{"extra key", `{"a":1}` + "\n" + `{"a":2, "b":3}`, 2, 9, `t.jsonl:2:9: key "b" not in the first row's keys`},
		{"extra key after blank line", `{"a":1}` + "\n\n" + `{"c":3}`, 3, 2, `key "c" not in the first row's keys`},
		{"duplicate key", `{"a":1,"a":2}`, 1, 8, `duplicate key "a"`},
		{"duplicate key later", `{"a":1,"b":2}` + "\n" + `{"b":1,"b":2}`, 2, 8, `duplicate key "b"`},
		{"array", `{"a":1}` + "\n" + `[1,2]`, 2, 1, "t.jsonl:2:1: not a JSON object but an array"},
		{"indented array", `  [1]`, 1, 3, "not a JSON object but an array"},
		{"string", `"a@example.com"`, 1, 1, "not a JSON object but a string"},
		{"number", `{"a":1}` + "\n" + `42`, 2, 1, "not a JSON object but a number"},
		{"null", `null`, 1, 1, "not a JSON object but null"},
		{"csv text", "email,name\na@example.com,Ann\n", 1, 1, "t.jsonl:1:1: not a JSON object: invalid character 'e'"},
		{"gzip bytes", "\x1f\x8b\x08\x00\x00\x00", 1, 1, "not a JSON object"},
		{"bad value", `{"a":x}`, 1, 6, "t.jsonl:1:6: invalid character 'x'"},
		{"trailing comma", `{"a":1,}`, 1, 8, "invalid character '}'"},
		{"missing colon", `{"a" 1}`, 1, 6, "after object key"},
		{"unquoted key", `{a:1}`, 1, 2, "invalid character 'a'"},
		{"unclosed", `{"a":1`, 1, 7, "the object is not closed at the end of the line"},
		{"unclosed string", `{"a":"x`, 1, 8, "not closed"},
		{"object split over lines", "{\"a\":\n1}", 1, 6, "not closed"},
		{"two objects on a line", `{"a":1} {"a":2}`, 1, 9, "t.jsonl:1:9: more data after the object"},
		{"garbage after object", `{"a":1}x`, 1, 8, "more data after the object"},
		{"bad escape", `{"a":"\x"}`, 1, 8, "invalid character 'x' in string escape code"},
		{"empty", "", 0, 0, "t.jsonl: empty input: no JSON object"},
		{"blank only", "\n \r\n\n", 0, 0, "t.jsonl: empty input: no JSON object"},
		{"bom only", "\uFEFF", 0, 0, "empty input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := jsonlio.NewReader(strings.NewReader(tt.in), "t.jsonl")
			if err == nil {
				_, err = readAll(r)
			}
			if err == nil {
				t.Fatal("no error")
			}
			var pe *rowio.PosError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *rowio.PosError", err, err)
			}
			if pe.Path != "t.jsonl" || pe.Line != tt.line || pe.Column != tt.col {
				t.Errorf("error at %s:%d:%d, want t.jsonl:%d:%d (%v)", pe.Path, pe.Line, pe.Column, tt.line, tt.col, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if r != nil {
				if _, again := r.Read(); again != err {
					t.Errorf("Read after error = %v, want the same error", again)
				}
			}
		})
	}
	if _, err := jsonlio.NewReader(strings.NewReader(""), "t.jsonl"); !errors.Is(err, jsonlio.ErrNoObject) {
		t.Errorf("empty input: %v, want ErrNoObject", err)
	}
}

// TestLongLines reads lines far beyond the reader's buffer, where a
// bufio.Scanner with its default limit would fail.
func TestLongLines(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	nested := "[" + strings.Repeat(`"abc",`, 100000) + `"end"]`
	in := `{"email":"a@example.com","blob":"` + big + `"}` + "\n" +
		`{"email":"b@example.com","blob":` + nested + "}\n" +
		`{"email":"c@example.com","blob":"short"}` + "\n"
	r, err := jsonlio.NewReader(strings.NewReader(in), "t.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	if rows[0][1] != big || string(rows[1][1].(json.RawMessage)) != nested || rows[2][1] != "short" {
		t.Error("long values not read back intact")
	}
	if rows[0][0] != "a@example.com" || rows[2][0] != "c@example.com" {
		t.Errorf("emails = %v, %v", rows[0][0], rows[2][0])
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	src := io.MultiReader(strings.NewReader("{\"a\":1}\n{\"a\":2}\n"), iotest.ErrReader(boom))
	r, err := jsonlio.NewReader(src, "t.jsonl")
	if err == nil {
		_, err = readAll(r)
	}
	var pe *rowio.PosError
	if !errors.Is(err, boom) || !errors.As(err, &pe) || pe.Path != "t.jsonl" {
		t.Fatalf("error = %v, want a *rowio.PosError for t.jsonl wrapping %v", err, boom)
	}
}

// TestNestedRoundTrip reads nested values and writes them back: the output
// is the input with insignificant whitespace removed.
func TestNestedRoundTrip(t *testing.T) {
	in, err := os.ReadFile(filepath.Join(inputDir, "nested.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := jsonlio.NewReader(bytes.NewReader(in), "nested.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := jsonlio.NewWriter(&out, r.Columns())
	rows, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "jsonlio/nested.roundtrip.jsonl", out.Bytes())

	// Same values, once more through the reader.
	r2, err := jsonlio.NewReader(&out, "out.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rows2, err := readAll(r2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows2, rows) {
		t.Errorf("second read = %#v\nwant %#v", rows2, rows)
	}
}
