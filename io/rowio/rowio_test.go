package rowio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
)

// rows is a Reader of rows held in memory, with none of the fast paths.
type rows struct {
	cols []string
	rows []rowio.Row
}

func (r *rows) Columns() []string { return r.cols }
func (r *rows) Close() error      { return nil }
func (r *rows) Read() (rowio.Row, error) {
	if len(r.rows) == 0 {
		return nil, io.EOF
	}
	row := r.rows[0]
	r.rows = r.rows[1:]
	return row, nil
}

// written is a Writer that keeps what it is given.
type written struct{ rows []rowio.Row }

func (w *written) Write(row rowio.Row) error { w.rows = append(w.rows, row); return nil }
func (w *written) Close() error              { return nil }

func TestText(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 11, 26, 8, 13, 0, 5, time.FixedZone("CET", 3600))
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"a@b.example", "a@b.example"},
		{true, "true"},
		{int32(-7), "-7"},
		{int64(1) << 40, "1099511627776"},
		{float32(0.1), "0.1"},
		{1.5e300, "1.5e+300"},
		{[]byte("raw"), "raw"},
		{when, "2026-11-26T07:13:00.000000005Z"},
		{json.Number("12.50"), "12.50"},
		{json.RawMessage(`{"a":[1,2]}`), `{"a":[1,2]}`},
		{struct{ X int }{3}, "{3}"},
	}
	for _, tt := range tests {
		if got := rowio.Text(tt.v); got != tt.want {
			t.Errorf("Text(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestPosError(t *testing.T) {
	t.Parallel()
	cause := errors.New("bare quote")
	tests := []struct {
		err  *rowio.PosError
		want string
	}{
		{&rowio.PosError{Path: "a.csv", Line: 3, Column: 7, Err: cause}, "a.csv:3:7: bare quote"},
		{&rowio.PosError{Path: "a.csv", Line: 3, Err: cause}, "a.csv:3: bare quote"},
		{&rowio.PosError{Path: "a.parquet", Row: 12, Err: cause}, "a.parquet: row 12: bare quote"},
		{&rowio.PosError{Path: "-", Err: cause}, "-: bare quote"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, cause) {
			t.Errorf("%q does not unwrap to its cause", tt.err)
		}
	}
}

// ReadValue takes value i of each row, from any Reader: nil where a row
// is too short, and the Reader's end and errors as they are.
func TestReadValue(t *testing.T) {
	t.Parallel()
	r := &rows{cols: []string{"id", "email"}, rows: []rowio.Row{{"1", "a@x.example"}, {int64(2)}, {"3", nil}}}
	var got []any
	for {
		v, err := rowio.ReadValue(r, 1)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if want := []any{"a@x.example", nil, nil}; !slices.Equal(got, want) {
		t.Errorf("values %q, want %q", got, want)
	}
}

// Through a CSV reader, ReadValue reads the same values as Read does.
func TestReadValueCSV(t *testing.T) {
	t.Parallel()
	const list = "name,email\nAda,a@x.example\n\"Lovelace, A.\",\"b@y.example\"\n"
	open := func() *csvio.Reader {
		r, err := csvio.NewReader(strings.NewReader(list), "l.csv", ',')
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want, fast := open(), open()
	for {
		row, err := want.Read()
		v, ferr := rowio.ReadValue(fast, 1)
		if err != ferr {
			t.Fatalf("Read error %v, ReadValue error %v", err, ferr)
		}
		if err == io.EOF {
			break
		}
		if v != row[1] {
			t.Errorf("ReadValue = %q, Read has %q", v, row[1])
		}
	}
}

// A Copier between Readers and Writers without the fast paths decodes
// every row and writes it with the extra values after its own.
func TestCopier(t *testing.T) {
	t.Parallel()
	r := &rows{cols: []string{"email"}, rows: []rowio.Row{{"a@x.example"}, {"b@y.example"}}}
	w := &written{}
	c := rowio.NewCopier(w, r)
	for i := 0; ; i++ {
		row, err := c.Read(i == 1)
		if err == io.EOF {
			break
		}
		if err != nil || row == nil {
			t.Fatalf("Read = %q, %v; want the decoded row", row, err)
		}
		if err := c.Write("x.example", "deliverable", ""); err != nil {
			t.Fatal(err)
		}
	}
	want := []rowio.Row{{"a@x.example", "x.example", "deliverable", ""}, {"b@y.example", "x.example", "deliverable", ""}}
	if !slices.EqualFunc(w.rows, want, slices.Equal) {
		t.Errorf("wrote %q, want %q", w.rows, want)
	}
}

// From CSV to CSV of the same separator, a Copier writes what decoding and
// encoding each row would, quoted fields and a header-less first row
// included, and returns a decoded row only where one was asked for or the
// line could not be copied as it is.
func TestCopierCSV(t *testing.T) {
	t.Parallel()
	const list = "a@x.example,1\n\"b@y.example\",\"2\"\n c@z.example,3\nd@x.example,4\n"
	extra := []string{"x.example", "deliverable", "a, b"}
	cols := []string{"email", "n", "d", "s", "r"}
	copyAll := func(comma rune, decode func(i int) bool) (string, []int) {
		r, err := csvio.NewReaderOptions(strings.NewReader(list), "l.csv", ',', csvio.Options{Header: csvio.HeaderAbsent})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		w, err := csvio.NewWriter(&out, cols, comma)
		if err != nil {
			t.Fatal(err)
		}
		c := rowio.NewCopier(w, r)
		var decoded []int
		for i := 0; ; i++ {
			row, err := c.Read(decode(i))
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if row != nil {
				decoded = append(decoded, i)
			}
			// Raw or decoded, the email cell reads the same.
			if got, want := c.Text(0), []string{"a@x.example", "b@y.example", " c@z.example", "d@x.example"}[i]; got != want {
				t.Errorf("row %d: Text(0) = %q, want %q", i, got, want)
			}
			if err := c.Write(extra...); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return out.String(), decoded
	}
	want := "email,n,d,s,r\r\n" +
		"a@x.example,1,x.example,deliverable,\"a, b\"\r\n" +
		"b@y.example,2,x.example,deliverable,\"a, b\"\r\n" +
		"\" c@z.example\",3,x.example,deliverable,\"a, b\"\r\n" +
		"d@x.example,4,x.example,deliverable,\"a, b\"\r\n"
	got, decoded := copyAll(',', func(i int) bool { return i == 3 })
	if got != want {
		t.Errorf("copied\n%q\nwant\n%q", got, want)
	}
	// Row 0 is the first record, held back as a row; 1 is quoted; 2 starts
	// with a space, which the writer quotes; 3 was asked for decoded.
	if !slices.Equal(decoded, []int{0, 1, 2, 3}) {
		t.Errorf("decoded rows %v, want 0 to 3", decoded)
	}
	if _, decoded := copyAll(',', func(int) bool { return false }); !slices.Equal(decoded, []int{0, 1, 2}) {
		t.Errorf("decoded rows %v, want 0, 1 and 2: the last line is copied as it is", decoded)
	}
	// To TSV, every row is decoded and written with tabs.
	got, decoded = copyAll('\t', func(int) bool { return false })
	if len(decoded) != 4 || !strings.HasPrefix(got, "email\tn\td\ts\tr\r\na@x.example\t1\tx.example\tdeliverable\ta, b\r\n") {
		t.Errorf("to TSV: decoded %v, wrote\n%q", decoded, got)
	}
}
