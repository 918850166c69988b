package csvio_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
)

var (
	_ rowio.Reader = (*csvio.Reader)(nil)
	_ rowio.Writer = (*csvio.Writer)(nil)
)

// TestReadGolden reads every CSV and TSV fixture; the golden file shows
// the rows, or the error with its position, that each produces.
func TestReadGolden(t *testing.T) {
	for _, name := range inputs(t, ".csv", ".tsv") {
		t.Run(name, func(t *testing.T) {
			comma := ','
			if strings.HasSuffix(name, ".tsv") {
				comma = '\t'
			}
			f, err := os.Open(filepath.Join(inputDir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []byte
			r, err := csvio.NewReader(f, name, comma)
			if err != nil {
				got = []byte("error: " + err.Error() + "\n")
			} else {
				got = dump(r)
			}
			checkGolden(t, "csvio/"+name+".txt", got)
		})
	}
}

func readAll(t *testing.T, r *csvio.Reader) ([][]string, error) {
	t.Helper()
	var rows [][]string
	for {
		row, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rec := make([]string, len(row))
		for i, v := range row {
			s, ok := v.(string)
			if !ok {
				t.Fatalf("value %d is %T, want string", i, v)
			}
			rec[i] = s
		}
		rows = append(rows, rec)
	}
}

func TestRead(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		comma rune
		cols  []string
		rows  [][]string
	}{
		{"bom", "\uFEFFemail\na@example.com\n", ',', []string{"email"}, [][]string{{"a@example.com"}}},
		{"bom only in first header", "\uFEFF\uFEFFx,y\n1,2\n", ',', []string{"\uFEFFx", "y"}, [][]string{{"1", "2"}}},
		{"crlf", "a,b\r\n1,2\r\n3,4\r\n", ',', []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"no final newline", "a,b\n1,2", ',', []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"blank lines", "\na,b\n\n1,2\n\r\n\n3,4\n\n", ',', []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"quoted comma", "a,b\n\"x,y\",2\n", ',', []string{"a", "b"}, [][]string{{"x,y", "2"}}},
		{"quoted newline", "a,b\n\"x\ny\",2\n", ',', []string{"a", "b"}, [][]string{{"x\ny", "2"}}},
		{"quoted crlf kept", "a,b\r\n\"x\r\ny\",2\r\n", ',', []string{"a", "b"}, [][]string{{"x\r\ny", "2"}}},
		{"quoted crlf and lf kept", "a,b\n\"x\r\ny\nz\r\n\",\"\r\n\"\r\n", ',', []string{"a", "b"}, [][]string{{"x\r\ny\nz\r\n", "\r\n"}}},
		{"quoted crlf in header", "\"a\r\nb\",c\r\n1,2\r\n", ',', []string{"a\r\nb", "c"}, [][]string{{"1", "2"}}},
		{"quoted cr before crlf", "a\n\"x\r\r\ny\"\n", ',', []string{"a"}, [][]string{{"x\r\r\ny"}}},
		{"crlf after closing quote ends the record", "a,b\r\n1,\"x\"\r\n", ',', []string{"a", "b"}, [][]string{{"1", "x"}}},
		{"lone cr kept", "a,b\n1,x\ry\n\"p\rq\",2\n", ',', []string{"a", "b"}, [][]string{{"1", "x\ry"}, {"p\rq", "2"}}},
		{"cr before eof dropped", "a,b\n1,2\r", ',', []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"doubled quote", "a\n\"say \"\"hi\"\"\"\n", ',', []string{"a"}, [][]string{{`say "hi"`}}},
		{"quoted empty single field", "a\n\"\"\nx\n", ',', []string{"a"}, [][]string{{""}, {"x"}}},
		{"empty fields", "a,b,c\n,,\n", ',', []string{"a", "b", "c"}, [][]string{{"", "", ""}}},
		{"spaces kept", "a,b\n x , y \n", ',', []string{"a", "b"}, [][]string{{" x ", " y "}}},
		{"duplicate and empty header names", "e,,e\n1,2,3\n", ',', []string{"e", "", "e"}, [][]string{{"1", "2", "3"}}},
		{"header only", "a,b\n", ',', []string{"a", "b"}, nil},
		{"tsv", "a\tb\nx,y\tz\n", '\t', []string{"a", "b"}, [][]string{{"x,y", "z"}}},
		{"tsv quoted tab", "a\tb\n\"x\ty\"\tz\n", '\t', []string{"a", "b"}, [][]string{{"x\ty", "z"}}},
		{"semicolon", "a;b\n1;2\n", ';', []string{"a", "b"}, [][]string{{"1", "2"}}},
		{"utf-8", "nom,ville\nJosé,Zürich\n", ',', []string{"nom", "ville"}, [][]string{{"José", "Zürich"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// OneByteReader: parsing must not depend on how reads split.
			r, err := csvio.NewReader(iotest.OneByteReader(strings.NewReader(tt.in)), "t.csv", tt.comma)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Columns(), tt.cols) {
				t.Errorf("Columns() = %q, want %q", r.Columns(), tt.cols)
			}
			rows, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows = %q, want %q", rows, tt.rows)
			}
			if _, err := r.Read(); err != io.EOF {
				t.Errorf("Read after EOF = %v, want io.EOF", err)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	gzipHead := "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
	tests := []struct {
		name      string
		in        string
		comma     rune
		line, col int
		is        error  // want errors.Is(err, is) when set
		msg       string // want the message to contain it
	}{
		{"unclosed quote", "a,b\n1,2\n3,\"x\n4,5\n", ',', 4, 5, csv.ErrQuote, `t.csv:4:5: extraneous or missing " in quoted-field (in the record starting on line 3)`},
		{"unclosed quote on last line", "a,b\n1,\"x", ',', 2, 5, csv.ErrQuote, "t.csv:2:5: "},
		{"text after closing quote", "a,b\n\"x\"y,2\n", ',', 2, 3, csv.ErrQuote, "t.csv:2:3: "},
		{"bare quote", "a,b\n1,x\"y\n", ',', 2, 4, csv.ErrBareQuote, "t.csv:2:4: bare"},
		{"too many fields", "a,b\n1,2\n1,2,3\n", ',', 3, 5, csvio.ErrFieldCount, "t.csv:3:5: wrong number of fields: got 3, the header has 2"},
		{"too few fields", "a,b\n1,2\n1\n", ',', 3, 0, csvio.ErrFieldCount, "t.csv:3: wrong number of fields: got 1, the header has 2"},
		{"ragged after multiline field", "a,b\n\"1\n2\",3,4\n", ',', 3, 6, csvio.ErrFieldCount, "t.csv:3:6:"},
		{"ragged tsv", "a\tb\n1,2\n", '\t', 2, 0, csvio.ErrFieldCount, "t.csv:2:"},
		{"gzip named csv", gzipHead + "rest", ',', 1, 4, csvio.ErrNotText, "looks gzip-compressed"},
		{"parquet named csv", "PAR1\x15\x00\x15", ',', 1, 6, csvio.ErrNotText, "looks like Parquet"},
		{"utf-16", "\xff\xfee\x00m\x00", ',', 1, 4, csvio.ErrNotText, "UTF-16"},
		{"nul in a later line", "a,b\n1,2\n3,\x00\n", ',', 3, 3, csvio.ErrNotText, "t.csv:3:3: content does not look like CSV"},
		{"empty", "", ',', 0, 0, csvio.ErrNoHeader, "t.csv: empty input"},
		{"bom only", "\uFEFF", ',', 0, 0, csvio.ErrNoHeader, "t.csv: empty input"},
		{"blank lines only", "\n\r\n\n", ',', 0, 0, csvio.ErrNoHeader, "t.csv: empty input"},
		{"bad header", "a,\"b\n", ',', 1, 6, csv.ErrQuote, "t.csv:1:6:"},
		{"quote as separator", "a\n", '"', 0, 0, nil, "invalid field separator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := csvio.NewReader(strings.NewReader(tt.in), "t.csv", tt.comma)
			if err == nil {
				_, err = readAll(t, r)
			}
			if err == nil {
				t.Fatal("no error")
			}
			var pe *rowio.PosError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *rowio.PosError", err, err)
			}
			if pe.Path != "t.csv" || pe.Line != tt.line || pe.Column != tt.col {
				t.Errorf("error at %s:%d:%d, want t.csv:%d:%d (%v)", pe.Path, pe.Line, pe.Column, tt.line, tt.col, err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
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
}

// TestReadError checks that a failing source is reported with the file
// name, not swallowed or mistaken for the end of the input.
func TestReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	src := io.MultiReader(strings.NewReader("a\n1\n"), iotest.ErrReader(boom))
	r, err := csvio.NewReader(src, "t.csv", ',')
	if err == nil {
		_, err = readAll(t, r)
	}
	var pe *rowio.PosError
	if !errors.Is(err, boom) || !errors.As(err, &pe) || pe.Path != "t.csv" {
		t.Fatalf("error = %v, want a *rowio.PosError for t.csv wrapping %v", err, boom)
	}
}

// TestRowsStayValid guards the ReuseRecord optimisation: rows handed out
// earlier must not change when later rows are read.
func TestRowsStayValid(t *testing.T) {
	r, err := csvio.NewReader(strings.NewReader("a,b\n1,2\n3,4\n\"5\n\",6\n"), "t.csv", ',')
	if err != nil {
		t.Fatal(err)
	}
	var rows []rowio.Row
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	want := []rowio.Row{{"1", "2"}, {"3", "4"}, {"5\n", "6"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %q, want %q", rows, want)
	}
}

// TestLargeInput reads past the sniffed prefix and the reader's buffer.
func TestLargeInput(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("email,note\n")
	const n = 20000
	for range n {
		b.WriteString("someone@example.com,\"a note, with a comma\"\n")
	}
	r, err := csvio.NewReader(&b, "t.csv", ',')
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || rows[n-1][1] != "a note, with a comma" {
		t.Fatalf("got %d rows, last %q", len(rows), rows[len(rows)-1])
	}
}
