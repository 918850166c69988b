package jsonlio_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/mxverify/mxverify/io/jsonlio"
	"github.com/mxverify/mxverify/io/rowio"
)

// FuzzRead checks that no input makes the reader panic (its fast path
// trusts json.Valid), and that every row it accepts holds what
// encoding/json reads from the same line.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":"x"}` + "\n" + `{"b":"y\"\\","a":[1,{"c":"]}"}]}`,
		`{"a":"\u00e9\ud800","b":{}}` + "\n" + `{"a\u0062":null}`,
		`{"a":1} {"a":2}`, `[1]`, `{"a":`, "\uFEFF{}\n\n{}", `{"a":"\\\""}`, `{"\\"  :  true , "x":-0.5e-3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := jsonlio.NewReader(bytes.NewReader(data), "f.jsonl")
		if err != nil {
			checkPosError(t, err)
			return
		}
		lines := nonBlankLines(data)
		for n := 0; ; n++ {
			row, err := r.Read()
			if err == io.EOF {
				return
			}
			if err != nil {
				checkPosError(t, err)
				return
			}
			var ref map[string]any
			dec := json.NewDecoder(bytes.NewReader(lines[n]))
			dec.UseNumber()
			if err := dec.Decode(&ref); err != nil {
				t.Fatalf("row %d accepted, but encoding/json says %v: %q", n+1, err, lines[n])
			}
			for i, col := range r.Columns() {
				want, ok := ref[col]
				if !ok {
					if row[i] != nil {
						t.Fatalf("row %d: %q = %#v, missing in %q", n+1, col, row[i], lines[n])
					}
					continue
				}
				got := row[i]
				if raw, ok := got.(json.RawMessage); ok {
					d := json.NewDecoder(bytes.NewReader(raw))
					d.UseNumber()
					if err := d.Decode(&got); err != nil {
						t.Fatal(err)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("row %d: %q = %#v, encoding/json reads %#v in %q", n+1, col, got, want, lines[n])
				}
			}
			var out bytes.Buffer
			w := jsonlio.NewWriter(&out, r.Columns())
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if !json.Valid(out.Bytes()) {
				t.Fatalf("rewritten row is not JSON: %q", out.Bytes())
			}
		}
	})
}

func checkPosError(t *testing.T, err error) {
	var pe *rowio.PosError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *rowio.PosError", err, err)
	}
}

func nonBlankLines(data []byte) [][]byte {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		line := bytes.TrimSuffix(sc.Bytes(), []byte{'\r'})
		if len(bytes.TrimLeft(line, " \t\r")) > 0 {
			lines = append(lines, append([]byte(nil), line...))
		}
	}
	return lines
}
