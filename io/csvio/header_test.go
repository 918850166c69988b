package csvio_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
)

// TestHeaderModes reads lists with and without a header row, by the rule
// and forced either way: a pasted column of addresses must not lose its
// first address to the header.
func TestHeaderModes(t *testing.T) {
	auto, present, absent := csvio.HeaderAuto, csvio.HeaderPresent, csvio.HeaderAbsent
	tests := []struct {
		name   string
		in     string
		comma  rune
		mode   csvio.HeaderMode
		header bool
		cols   []string
		rows   [][]string
	}{
		{"pasted column", "first@a.example.org\nsecond@b.example.org\n", ',', auto, false,
			[]string{"email"}, [][]string{{"first@a.example.org"}, {"second@b.example.org"}}},
		{"one line without line end", "only@a.example.org", ',', auto, false,
			[]string{"email"}, [][]string{{"only@a.example.org"}}},
		{"crlf and blank lines first", "\r\n\r\na@x.org\r\nb@x.org\r\n", ',', auto, false,
			[]string{"email"}, [][]string{{"a@x.org"}, {"b@x.org"}}},
		{"bom", "\uFEFFa@x.org\n", ',', auto, false, []string{"email"}, [][]string{{"a@x.org"}}},
		{"several columns", "Anna,anna@acme.org,1\nBob,bob@acme.org,2\n", ',', auto, false,
			[]string{"column_1", "column_2", "column_3"}, [][]string{{"Anna", "anna@acme.org", "1"}, {"Bob", "bob@acme.org", "2"}}},
		{"tsv", "a@x.org\tAnn\nb@x.org\tBob\n", '\t', auto, false,
			[]string{"column_1", "column_2"}, [][]string{{"a@x.org", "Ann"}, {"b@x.org", "Bob"}}},
		{"quoted display name", "\"\"\"Doe, Ann\"\" <ann@x.org>\"\n", ',', auto, false,
			[]string{"email"}, [][]string{{`"Doe, Ann" <ann@x.org>`}}},
		{"broken first address (at)", "anna(at)acme.org\nbob@acme.org\n", ',', auto, false,
			[]string{"email"}, [][]string{{"anna(at)acme.org"}, {"bob@acme.org"}}},
		{"broken first address [AT]", "anna [AT] acme.org\n", ',', auto, false,
			[]string{"email"}, [][]string{{"anna [AT] acme.org"}}},
		{"special-use domain is still an address", "user@localhost\n", ',', auto, false,
			[]string{"email"}, [][]string{{"user@localhost"}}},
		{"Contact header over addresses", "Contact\nanna@acme.org\nbob@acme.org\n", ',', auto, true,
			[]string{"Contact"}, [][]string{{"anna@acme.org"}, {"bob@acme.org"}}},
		{"known header name", "Email,name\na@x.org,Ann\n", ',', auto, true,
			[]string{"Email", "name"}, [][]string{{"a@x.org", "Ann"}}},
		{"known header name beats an @", "mail,owner@corp.org\na@x.org,b\n", ',', auto, true,
			[]string{"mail", "owner@corp.org"}, [][]string{{"a@x.org", "b"}}},
		{"header only", "name,city\n", ',', auto, true, []string{"name", "city"}, nil},
		{"at without brackets is a word", "name,at\nAnn,home\n", ',', auto, true,
			[]string{"name", "at"}, [][]string{{"Ann", "home"}}},
		{"--header", "first@a.example.org\nsecond@b.example.org\n", ',', present, true,
			[]string{"first@a.example.org"}, [][]string{{"second@b.example.org"}}},
		{"--no-header over a header", "email,name\na@x.org,Ann\n", ',', absent, false,
			[]string{"column_1", "column_2"}, [][]string{{"email", "name"}, {"a@x.org", "Ann"}}},
		{"--no-header one column", "Contact\na@x.org\n", ',', absent, false,
			[]string{"email"}, [][]string{{"Contact"}, {"a@x.org"}}},
		{"--no-header keeps crlf in quotes", "\"a\r\nb\",1\n", ',', absent, false,
			[]string{"column_1", "column_2"}, [][]string{{"a\r\nb", "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := csvio.NewReaderOptions(iotest.OneByteReader(strings.NewReader(tt.in)), "t.csv", tt.comma, csvio.Options{Header: tt.mode})
			if err != nil {
				t.Fatal(err)
			}
			if r.HasHeader() != tt.header {
				t.Errorf("HasHeader() = %v, want %v", r.HasHeader(), tt.header)
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
		})
	}
}

// TestHeaderlessFirstRow reads the first row of a headerless list in each
// of the three ways the pipeline reads rows: the row, one field, and raw.
func TestHeaderlessFirstRow(t *testing.T) {
	const in = "a@x.org,1\nb@x.org,2\n"
	open := func() *csvio.Reader {
		r, err := csvio.NewReader(strings.NewReader(in), "t.csv", ',')
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := open()
	if v, err := r.ReadField(0); v != "a@x.org" || err != nil {
		t.Errorf("ReadField(0) = %q, %v; want the first address", v, err)
	}
	if v, err := r.ReadField(1); v != "2" || err != nil {
		t.Errorf("then ReadField(1) = %q, %v; want the second row's", v, err)
	}
	r = open()
	raw, row, err := r.ReadRaw()
	if err != nil || raw != nil || !reflect.DeepEqual(row, rowio.Row{"a@x.org", "1"}) {
		t.Errorf("ReadRaw() = %q, %q, %v; want the first row decoded", raw, row, err)
	}
	if raw, _, err := r.ReadRaw(); string(raw) != "b@x.org,2" || err != nil {
		t.Errorf("then ReadRaw() = %q, %v; want the second row raw", raw, err)
	}
	if _, _, err := r.ReadRaw(); err != io.EOF {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
}

// TestHeaderlessErrors: positions stay those of the file, and a ragged row
// is measured against the first row, there being no header.
func TestHeaderlessErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		mode csvio.HeaderMode
		is   error
		msg  string
	}{
		{"too few fields", "a@x.org,1\nb@x.org\n", csvio.HeaderAuto, csvio.ErrFieldCount,
			"t.csv:2: wrong number of fields: got 1, the first row has 2"},
		{"too many fields", "\na@x.org,1\nb@x.org,2,3\n", csvio.HeaderAuto, csvio.ErrFieldCount,
			"t.csv:3:11: wrong number of fields: got 3, the first row has 2"},
		{"bare quote in the first row", "a@x.org,x\"y\n", csvio.HeaderAbsent, nil, "t.csv:1:10: bare \""},
		{"empty", "\n\n", csvio.HeaderAbsent, csvio.ErrNoHeader, "t.csv: empty input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := csvio.NewReaderOptions(strings.NewReader(tt.in), "t.csv", ',', csvio.Options{Header: tt.mode})
			if err == nil {
				_, err = readAll(t, r)
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want one containing %q", err, tt.msg)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestFirstRecordIsData(t *testing.T) {
	tests := []struct {
		rec  []string
		data bool
	}{
		{[]string{"a@x.org"}, true},
		{[]string{"Ann", "a@x.org"}, true},
		{[]string{"not@valid@"}, true}, // broken, but an address that was meant
		{[]string{"anna(at)acme.org"}, true},
		{[]string{"anna (AT) acme.org"}, true},
		{[]string{"anna[at]acme.org"}, true},
		{[]string{"Contact"}, false},
		{[]string{"E-Mail"}, false},
		{[]string{" email_address ", "x@y.org"}, false},
		{[]string{"MAIL"}, false},
		{[]string{"name", "at", "(a)", "[at", "at]"}, false},
		{[]string{""}, false},
	}
	for _, tt := range tests {
		rec := make(rowio.Row, len(tt.rec))
		for i, s := range tt.rec {
			rec[i] = s
		}
		if got := csvio.FirstRecordIsData(rec); got != tt.data {
			t.Errorf("FirstRecordIsData(%q) = %v, want %v", tt.rec, got, tt.data)
		}
	}
}
