package jsonlio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/jsonlio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/verify"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		cols []string
		rows []rowio.Row
		want string
	}{
		{"key order is column order", []string{"z", "a", "m"}, []rowio.Row{{"1", "2", "3"}},
			`{"z":"1","a":"2","m":"3"}` + "\n"},
		{"no rows writes nothing", []string{"a"}, nil, ""},
		{"no columns", nil, []rowio.Row{{}}, "{}\n"},
		{"scalars", []string{"s", "t", "f", "n", "i32", "i64"},
			[]rowio.Row{{"x", true, false, nil, int32(-7), int64(math.MaxInt64)}},
			`{"s":"x","t":true,"f":false,"n":null,"i32":-7,"i64":9223372036854775807}` + "\n"},
		{"floats as json.Marshal", []string{"a", "b", "c", "d", "e", "f"},
			[]rowio.Row{{1.5, 1e21, 1e-7, float32(0.1), 0.0, -2.0}},
			`{"a":1.5,"b":1e+21,"c":1e-7,"d":0.1,"e":0,"f":-2}` + "\n"},
		{"non-finite floats as strings", []string{"a", "b", "c"},
			[]rowio.Row{{math.NaN(), math.Inf(1), float32(math.Inf(-1))}},
			`{"a":"NaN","b":"+Inf","c":"-Inf"}` + "\n"},
		{"verbatim number and raw", []string{"n", "r", "e"},
			[]rowio.Row{{json.Number("1.50e+02"), json.RawMessage("{ \"k\" :\n [1, 2] }"), json.RawMessage(nil)}},
			`{"n":1.50e+02,"r":{"k":[1,2]},"e":null}` + "\n"},
		{"empty number", []string{"n"}, []rowio.Row{{json.Number("")}}, `{"n":0}` + "\n"},
		{"bytes and time", []string{"b", "t"},
			[]rowio.Row{{[]byte("by\"te"), time.Date(2024, 5, 6, 7, 8, 9, 5e8, time.FixedZone("x", -3600))}},
			`{"b":"by\"te","t":"2024-05-06T08:08:09.5Z"}` + "\n"},
		{"string escapes", []string{"s"},
			[]rowio.Row{{"q\"b\\ n\n r\r t\t \x01\x1f <&> é \u2028\u2029 \xff end"}},
			`{"s":"q\"b\\ n\n r\r t\t \u0001\u001f <&> é \u2028\u2029 \ufffd end"}` + "\n"},
		{"escaped keys", []string{"a\"b", "é\n"}, []rowio.Row{{"1", "2"}}, `{"a\"b":"1","é\n":"2"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w := jsonlio.NewWriter(&b, tt.cols)
			for _, row := range tt.rows {
				if err := w.Write(row); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("wrote\n%s\nwant\n%s", b.String(), tt.want)
			}
			for line := range strings.Lines(b.String()) {
				if !json.Valid([]byte(line)) {
					t.Errorf("invalid JSON line %q", line)
				}
			}
		})
	}
}

// TestWriteStringsLikeMarshal compares the hand-written string escaping
// with encoding/json (minus its HTML escaping) on awkward input.
func TestWriteStringsLikeMarshal(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	inputs := []string{"", all.String(), "\u2028x\u2029", "bad \xc3\x28 utf8", "\xed\xa0\x80 surrogate", "emoji 😀", "tail\xe2\x82"}
	for _, s := range inputs {
		var b bytes.Buffer
		w := jsonlio.NewWriter(&b, []string{"s"})
		if err := w.Write(rowio.Row{s}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(map[string]string{"s": s})
		if b.String() != want.String() {
			t.Errorf("%q:\n got %s\nwant %s", s, b.String(), want.String())
		}
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		row  rowio.Row
		msg  string
	}{
		{"short row", rowio.Row{}, "row has 0 values for 1 columns"},
		{"unsupported type", rowio.Row{struct{}{}}, "unsupported value type struct {}"},
		{"int", rowio.Row{42}, "unsupported value type int"},
		{"bad number", rowio.Row{json.Number("12abc")}, `invalid json.Number "12abc"`},
		{"bad raw", rowio.Row{json.RawMessage(`{"a":`)}, "invalid json.RawMessage"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		w := jsonlio.NewWriter(&b, []string{"a"})
		err := w.Write(tt.row)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.msg)
		}
		w.Close()
		if b.Len() != 0 {
			t.Errorf("%s: a failed row wrote %q", tt.name, b.String())
		}
	}

	boom := errors.New("disk full")
	w := jsonlio.NewWriter(failWriter{boom}, []string{"a"})
	var err error
	for range 10000 {
		if err = w.Write(rowio.Row{"some value"}); err != nil {
			break
		}
	}
	if err == nil {
		err = w.Close()
	}
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestValidNumbers(t *testing.T) {
	good := []string{"0", "-0", "1", "-12", "1.5", "0.25", "1e5", "1E+5", "1.5e-05", "123456789012345678901234567890"}
	bad := []string{"-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "1 ", " 1", "1_000"}
	for _, s := range good {
		if err := jsonlio.NewWriter(io.Discard, []string{"n"}).Write(rowio.Row{json.Number(s)}); err != nil {
			t.Errorf("json.Number(%q): %v", s, err)
		}
	}
	for _, s := range bad {
		if err := jsonlio.NewWriter(io.Discard, []string{"n"}).Write(rowio.Row{json.Number(s)}); err == nil {
			t.Errorf("json.Number(%q) accepted", s)
		}
	}
}

func testResults() []verify.Result {
	at := time.Date(2025, 3, 4, 5, 6, 7, 890, time.FixedZone("CET", 3600))
	return []verify.Result{
		{
			Domain: "a.com", Status: verify.Deliverable, Reason: "2 exchanges <one with addresses> & one alias",
			MX: []verify.Exchange{
				{Preference: 10, Host: "mx1.a.com", Role: verify.RolePrimary,
					Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
				{Preference: 20, Host: "mx2.a.com", Role: verify.RoleBackup, CNAME: "real.b.net"},
			},
			TTL: 300, CheckedAt: at, Resolver: "192.0.2.53:53",
		},
		{Domain: "null.example.net", Status: verify.NullMX, Reason: `publishes "MX 0 ."`,
			MX: []verify.Exchange{{Preference: 0, Host: "", Role: verify.RolePrimary}}, TTL: 3600, CheckedAt: at},
		{Domain: "implicit.org", Status: verify.NoMX, ImplicitMX: true, TTL: 60, CheckedAt: at},
		{Domain: "slow.org", Status: verify.TempError, Reason: "timeout", MX: []verify.Exchange{}},
	}
}

func TestResultWriterGolden(t *testing.T) {
	results := testResults()
	var b bytes.Buffer
	w := jsonlio.NewResultWriter(&b)
	for _, res := range results {
		if err := w.WriteResult(res, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "jsonlio/results.jsonl", b.Bytes())

	if !reflect.DeepEqual(results, testResults()) {
		t.Error("WriteResult changed the caller's results")
	}
	// The lines read back into the same results (times compared as
	// instants, empty lists as empty).
	dec := json.NewDecoder(&b)
	for i, want := range results {
		var got verify.Result
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if got.MX == nil {
			t.Errorf("line %d: mx is null", i+1)
		}
		for _, x := range got.MX {
			if x.Addresses == nil {
				t.Errorf("line %d: addresses is null", i+1)
			}
		}
		if !got.CheckedAt.Equal(want.CheckedAt) || got.Domain != want.Domain || got.Status != want.Status || len(got.MX) != len(want.MX) {
			t.Errorf("line %d: read back %+v, want %+v", i+1, got, want)
		}
	}
}

// TestCSVToJSONL renders CSV input, whose values are all strings, as JSON
// Lines.
func TestCSVToJSONL(t *testing.T) {
	for _, name := range []string{"quoted.csv", "basic.tsv"} {
		t.Run(name, func(t *testing.T) {
			comma := ','
			if strings.HasSuffix(name, ".tsv") {
				comma = '\t'
			}
			in := openInput(t, name)
			r, err := csvio.NewReader(in, name, comma)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := copyRows(jsonlio.NewWriter(&out, r.Columns()), r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "convert/"+name+".jsonl", out.Bytes())
		})
	}
}

// TestJSONLToCSV renders typed JSON values (numbers, booleans, null,
// nested) as CSV cells.
func TestJSONLToCSV(t *testing.T) {
	for _, name := range []string{"basic.jsonl", "nested.jsonl", "missing_keys.jsonl"} {
		t.Run(name, func(t *testing.T) {
			r, err := jsonlio.NewReader(openInput(t, name), name)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			w, err := csvio.NewWriter(&out, r.Columns(), ',')
			if err != nil {
				t.Fatal(err)
			}
			if err := copyRows(w, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "convert/"+name+".csv", out.Bytes())
		})
	}
}

func copyRows(w rowio.Writer, r rowio.Reader) error {
	for {
		row, err := r.Read()
		if err == io.EOF {
			return w.Close()
		}
		if err != nil {
			return err
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
}
