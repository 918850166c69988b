package xlsxio

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/io/rowio"
)

const sheetjs = "../../testdata/xlsx/sheetjs.xlsx"

func readAll(t *testing.T, r *Reader) [][]string {
	t.Helper()
	defer r.Close()
	out := [][]string{r.Columns()}
	for {
		row, err := r.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = v.(string)
		}
		out = append(out, rec)
	}
}

// A workbook SheetJS wrote: text as it is, numbers as Excel shows them,
// dates in ISO 8601 whatever their format, an empty row skipped.
func TestReadSheetJS(t *testing.T) {
	r, err := Open(sheetjs, "sheetjs.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	want := [][]string{
		{"Email", " Name ", "Signed up", "Score", "Last seen", "Opt-in"},
		{"ana@shop.mxdemo.net", "Ana Peña", "2024-03-14", "87.5%", "2024-03-15T12:00:00", "TRUE"},
		{"mailto:bo@nullmx.mxdemo.net", "Bo", "2023-12-31", "1,234.50", "", "FALSE"},
		{"<cy@missing.mxdemo.net>", "Cy Zoë", "2024-02-29", "42", "", ""},
		{`"di@shop.mxdemo.net"`, "", "2024-01-02", "3.25", "", "TRUE"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("read\n%q\nwant\n%q", got, want)
	}
	r, err = Open(sheetjs, "sheetjs.xlsx", Options{Sheet: "april"})
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, r); len(got) != 2 || got[1][0] != "ed@shop.mxdemo.net" {
		t.Errorf("sheet April: %q", got)
	}
}

func TestCodeKind(t *testing.T) {
	for code, want := range map[string]dateKind{
		"m/d/yy": dateOnly, "dd.mm.yyyy hh:mm": dateTime, "[$-409]mmmm d, yyyy": dateOnly,
		"hh:mm:ss": timeOnly, "[h]:mm": notDate, "0.00": notDate, `"day "0`: notDate,
		"#,##0.00;[Red]-#,##0.00": notDate, "General": notDate, `yyyy-mm-dd"T"hh:mm:ss`: dateTime,
	} {
		if got := codeKind(code); got != want {
			t.Errorf("codeKind(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	damaged := filepath.Join(dir, "d.xlsx")
	os.WriteFile(damaged, []byte("PK\x03\x04 not a zip at all"), 0o644)
	tests := []struct {
		name, path string
		opts       Options
		is         error
		msg        string
	}{
		{"no sheet", sheetjs, Options{Sheet: "May"}, ErrNoSheet, `no such sheet "May"; the sheets are "March", "April"`},
		{"damaged", damaged, Options{}, ErrDamaged, "d.xlsx: not a readable .xlsx workbook"},
		{"expands past the limit", sheetjs, Options{MaxUnzip: 1000}, ErrTooBig, "expands past the limit of 1000 bytes"},
	}
	for _, tt := range tests {
		_, err := Open(tt.path, filepath.Base(tt.path), tt.opts)
		if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %v, want %v saying %q", tt.name, err, tt.is, tt.msg)
		}
	}
}

// What the writer writes, the reader reads back, numbers as numbers.
func TestWriteRead(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, []string{"email", "n", "ok", "none"})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []rowio.Row{{"a@x.net", int64(3), true, nil}, {"b@x.net", 2.5, false, nil}} {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(&b, "out.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"email", "n", "ok", "none"}, {"a@x.net", "3", "TRUE", ""}, {"b@x.net", "2.5", "FALSE", ""}}
	if got := readAll(t, r); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("read back %q, want %q", got, want)
	}
}

// A sheet holds MaxRows rows with the header; one more fails, saying so.
// The count starts near the end: writing a million rows adds nothing.
func TestTooManyRows(t *testing.T) {
	w, err := NewWriter(io.Discard, []string{"email"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	w.row = MaxRows - 1
	if err := w.Write(rowio.Row{"last@x.net"}); err != nil {
		t.Fatalf("row %d: %v", MaxRows, err)
	}
	if err := w.Write(rowio.Row{"over@x.net"}); !errors.Is(err, ErrTooManyRows) || !strings.Contains(err.Error(), "1048576") {
		t.Fatalf("row %d: %v, want ErrTooManyRows", MaxRows+1, err)
	}
}
