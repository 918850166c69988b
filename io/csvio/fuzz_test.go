package csvio_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
)

// FuzzRead checks that no input makes the reader panic or return an error
// without a position, and that it yields what encoding/csv does, but for
// CR LF inside quotes, which encoding/csv turns into LF and the reader
// keeps. The header is read as one, as encoding/csv reads it; then the
// default reading must be either that one or every record as a row.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\uFEFFa\n\"x\n\"\n", "a,b\n\"x", "a\n\x00", "a,b\n1\n", "\n\n", `a"b`,
		"a\r\n\"x\r\ny\"\r\n", "a\n\"x\r\r\ny\"\n", "x@y.org\nz@y.org\n", "anna(at)acme.org,1\nb@c.org,2\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, tsv bool) {
		comma := ','
		if tsv {
			comma = '\t'
		}
		r, err := csvio.NewReaderOptions(bytes.NewReader(data), "f.csv", comma, csvio.Options{Header: csvio.HeaderPresent})
		if err != nil {
			checkPosError(t, err)
			return
		}
		ref := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
		ref.Comma = comma
		want, _ := ref.Read() // the header
		if !reflect.DeepEqual(lf(r.Columns()), want) {
			t.Fatalf("columns %q, encoding/csv reads %q", r.Columns(), want)
		}
		checkAuto(t, data, comma, r.Columns())
		for {
			row, err := r.Read()
			want, refErr := ref.Read()
			if err == io.EOF {
				if refErr != io.EOF {
					t.Fatalf("EOF, but encoding/csv reads %q, %v", want, refErr)
				}
				return
			}
			if err != nil {
				checkPosError(t, err)
				// Lines the fast path took must not shift the
				// positions of errors from encoding/csv's.
				var pe *rowio.PosError
				var refPe *csv.ParseError
				if errors.As(refErr, &refPe) && !errors.Is(refErr, csv.ErrFieldCount) &&
					errors.As(err, &pe) && (pe.Line != refPe.Line || pe.Column != refPe.Column) {
					t.Fatalf("error at %d:%d, encoding/csv says %v", pe.Line, pe.Column, refErr)
				}
				return
			}
			if refErr != nil {
				t.Fatalf("read %q, but encoding/csv fails with %v", row, refErr)
			}
			for i, v := range row {
				if s := v.(string); strings.ReplaceAll(s, "\r\n", "\n") != want[i] {
					t.Fatalf("field %d = %q, encoding/csv reads %q", i, v, want[i])
				}
			}
		}
	})
}

// lf is what encoding/csv makes of fields: CR LF turned into LF.
func lf(fields []string) []string {
	out := make([]string, len(fields))
	for i, s := range fields {
		out[i] = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return out
}

// checkAuto reads data with the default options, whose first record is
// either the header that HeaderPresent read or, by FirstRecordIsData, the
// first row under made-up column names.
func checkAuto(t *testing.T, data []byte, comma rune, header []string) {
	t.Helper()
	r, err := csvio.NewReader(bytes.NewReader(data), "f.csv", comma)
	if err != nil {
		t.Fatalf("HeaderPresent reads a header, the default fails: %v", err)
	}
	first := make(rowio.Row, len(header))
	for i, s := range header {
		first[i] = s
	}
	if r.HasHeader() != !csvio.FirstRecordIsData(first) {
		t.Fatalf("HasHeader() = %v for %q", r.HasHeader(), header)
	}
	if r.HasHeader() {
		if !reflect.DeepEqual(r.Columns(), header) {
			t.Fatalf("columns %q, want %q", r.Columns(), header)
		}
		return
	}
	if len(r.Columns()) != len(header) {
		t.Fatalf("%d columns for a first row of %d", len(r.Columns()), len(header))
	}
	row, err := r.Read()
	if err != nil || !reflect.DeepEqual(row, first) {
		t.Fatalf("first row %q, %v; want %q", row, err, first)
	}
}

// FuzzRoundTrip checks that whatever the writer writes, the reader reads
// back unchanged, CR LF inside a field included.
func FuzzRoundTrip(f *testing.F) {
	f.Add("a", "b", "c", false)
	f.Add("", "", "", true)
	f.Add("x,\"y\"\r\n", " z", "\\.", false)
	f.Fuzz(func(t *testing.T, a, b, c string, tsv bool) {
		comma := ','
		if tsv {
			comma = '\t'
		}
		if strings.ContainsRune(a+b+c, 0) {
			t.Skip("NUL marks binary input")
		}
		for _, rec := range [][]string{{a, b, c}, {a}} {
			var buf bytes.Buffer
			w, err := csvio.NewWriter(&buf, rec, comma)
			if err != nil {
				t.Fatal(err)
			}
			row := make(rowio.Row, len(rec))
			for i, s := range rec {
				row[i] = s
			}
			if err := w.Write(row); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := csvio.NewReaderOptions(&buf, "rt.csv", comma, csvio.Options{Header: csvio.HeaderPresent})
			if err != nil {
				// A leading BOM in the first header is the one thing
				// that does not survive: readers strip it by design.
				if strings.HasPrefix(rec[0], "\uFEFF") {
					return
				}
				t.Fatalf("%q: %v", buf.String(), err)
			}
			want := rec
			if strings.HasPrefix(want[0], "\uFEFF") {
				return
			}
			if !reflect.DeepEqual(r.Columns(), want) {
				t.Fatalf("header %q read back as %q", want, r.Columns())
			}
			got, err := r.Read()
			if err != nil {
				t.Fatalf("%q: %v", buf.String(), err)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("field %d: wrote %q, read %q", i, want[i], got[i])
				}
			}
			if _, err := r.Read(); err != io.EOF {
				t.Fatalf("after the row: %v", err)
			}
		}
	})
}

func checkPosError(t *testing.T, err error) {
	var pe *rowio.PosError
	if !errors.As(err, &pe) || pe.Path == "" {
		t.Fatalf("error %v (%T) is not a *rowio.PosError with a path", err, err)
	}
}

// FuzzReadRaw checks that copying a row with ReadRaw and WriteRaw writes
// the very bytes that decoding it with Read and writing it with Write does,
// so that the join's shortcut can never change an output; and that
// ReadField reads what Read does.
func FuzzReadRaw(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "a,b\n 1,2\n", "a,b\n\\.,x\n", "a,b\n\"q\",1\n1,\xc2\xa0x\n", "a\n\n\nx\r\ny", "a,b\n1,2,3\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, tsv bool) {
		comma := ','
		if tsv {
			comma = '\t'
		}
		plain, err := csvio.NewReader(bytes.NewReader(data), "f.csv", comma)
		if err != nil {
			return
		}
		raw, _ := csvio.NewReader(bytes.NewReader(data), "f.csv", comma)
		field, _ := csvio.NewReader(bytes.NewReader(data), "f.csv", comma)
		last := len(plain.Columns()) - 1
		cols := append(slices.Clip(plain.Columns()), "x", "y")
		var want, got bytes.Buffer
		ww, err := csvio.NewWriter(&want, cols, comma)
		if err != nil {
			t.Fatal(err)
		}
		gw, _ := csvio.NewWriter(&got, cols, comma)
		for {
			row, err := plain.Read()
			b, rawRow, rawErr := raw.ReadRaw()
			if (err == nil) != (rawErr == nil) || (err != nil && err.Error() != rawErr.Error()) {
				t.Fatalf("Read error %v, ReadRaw error %v", err, rawErr)
			}
			v, fieldErr := field.ReadField(last)
			if (err == nil) != (fieldErr == nil) || (err != nil && err.Error() != fieldErr.Error()) {
				t.Fatalf("Read error %v, ReadField error %v", err, fieldErr)
			}
			if err != nil {
				break
			}
			if v != row[last] {
				t.Fatalf("ReadField(%d) = %q, Read has %q", last, v, row[last])
			}
			ww.Write(append(row, "1", " 2"))
			if b != nil {
				if err := gw.WriteRaw(b, "1", " 2"); err != nil {
					t.Fatal(err)
				}
			} else {
				gw.Write(append(rawRow, "1", " 2"))
			}
		}
		ww.Close()
		gw.Close()
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Fatalf("raw copy wrote\n%q\nrow by row\n%q", got.Bytes(), want.Bytes())
		}
	})
}
