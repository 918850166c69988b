package parquetio

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

var errTooDeep = errors.New("deeper than the walk goes")

// walk reads one value of any shape with s, as encoding/json would decode
// it into an interface with UseNumber, for comparing the two.
func walk(s *jsonScanner, depth int) (any, error) {
	if depth > 1000 {
		return nil, errTooDeep
	}
	tok, err := s.token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		out := []any{}
		for first := true; ; first = false {
			more, err := s.more(']', first)
			if err != nil || !more {
				return out, err
			}
			v, err := walk(s, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	case json.Delim('{'):
		out := map[string]any{}
		for first := true; ; first = false {
			more, err := s.more('}', first)
			if err != nil || !more {
				return out, err
			}
			k, err := s.key()
			if err != nil {
				return nil, err
			}
			if out[k], err = walk(s, depth+1); err != nil {
				return nil, err
			}
		}
	}
	return tok, nil
}

// FuzzJSONScanner checks jsonScanner against encoding/json: it accepts
// exactly the texts json.Valid does, and reads them as json.Decoder does.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{
		`[1,null,3]`, `{"a":7,"b":"x"}`, ` [ [1 , 2] , [ ] ] `, `{"k":{"1":true}}`, `"\u00e9\ud83d\ude00\/\n"`,
		"\"a\xffb\"", `-0.5e+10`, `1E3`, `[01]`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `[-]`, `[1.]`, `[.5]`, `"\u12"`,
		"\"\t\"", `tru`, `nullx`, `[1][2]`, ``, `  `, `{"a":[{"b":null}]}`, `"\"\\"`, `[1e999]`, `"\ud800"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s := &jsonScanner{b: []byte(text)}
		got, err := walk(s, 0)
		if errors.Is(err, errTooDeep) {
			t.Skip()
		}
		if err == nil {
			err = s.end()
		}
		if valid := json.Valid([]byte(text)); (err == nil) != valid {
			t.Fatalf("%q: scanner error %v, json.Valid %v", text, err, valid)
		}
		if err != nil {
			var se *jsonSyntaxError
			if !errors.As(err, &se) || se.off < 0 || se.off > len(text) {
				t.Fatalf("%q: error %v does not locate the text", text, err)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: scanner reads %#v, encoding/json %#v", text, got, want)
		}
	})
}
