package csvio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/netip"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/verify"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name  string
		cols  []string
		rows  []rowio.Row
		comma rune
		want  string
	}{
		{"plain", []string{"a", "b"}, []rowio.Row{{"x", "y"}}, ',', "a,b\r\nx,y\r\n"},
		{"no rows", []string{"email"}, nil, ',', "email\r\n"},
		{"quotes only where needed", []string{"a", "b", "c", "d"},
			[]rowio.Row{{"x,y", `say "hi"`, "line\nbreak", "plain"}}, ',',
			"a,b,c,d\r\n\"x,y\",\"say \"\"hi\"\"\",\"line\nbreak\",plain\r\n"},
		{"carriage returns kept", []string{"a", "b"}, []rowio.Row{{"x\ry", "\r"}}, ',', "a,b\r\n\"x\ry\",\"\r\"\r\n"},
		{"end-of-data marker quoted", []string{"a"}, []rowio.Row{{`\.`}}, ',', "a\r\n\"\\.\"\r\n"},
		{"multibyte separator", []string{"a", "b"}, []rowio.Row{{"x§y", "z"}}, '§', "a§b\r\n\"x§y\"§z\r\n"},
		{"leading space quoted", []string{"a"}, []rowio.Row{{" x"}}, ',', "a\r\n\" x\"\r\n"},
		{"single empty field survives", []string{"a"}, []rowio.Row{{""}, {nil}, {"x"}}, ',', "a\r\n\"\"\r\n\"\"\r\n" + "x\r\n"},
		{"empty fields", []string{"a", "b"}, []rowio.Row{{"", nil}}, ',', "a,b\r\n,\r\n"},
		{"tsv", []string{"a", "b"}, []rowio.Row{{"x,y", "t\tab"}}, '\t', "a\tb\r\nx,y\t\"t\tab\"\r\n"},
		{"values via rowio.Text", []string{"s", "b", "i32", "i64", "f32", "f64", "bytes", "time", "num", "raw", "nil"},
			[]rowio.Row{{"s", true, int32(-7), int64(1) << 40, float32(0.5), 1e21, []byte("by"),
				time.Date(2024, 5, 6, 7, 8, 9, 5e8, time.FixedZone("x", 3600)), json.Number("12.50"),
				json.RawMessage(`{"a":[1,2]}`), nil}}, ',',
			"s,b,i32,i64,f32,f64,bytes,time,num,raw,nil\r\n" +
				"s,true,-7,1099511627776,0.5,1e+21,by,2024-05-06T06:08:09.5Z,12.50,\"{\"\"a\"\":[1,2]}\",\r\n"},
		{"nan", []string{"f"}, []rowio.Row{{math.NaN()}, {math.Inf(-1)}}, ',', "f\r\nNaN\r\n-Inf\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			w, err := csvio.NewWriter(&b, tt.cols, tt.comma)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range tt.rows {
				if err := w.Write(row); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	w, err := csvio.NewWriter(io.Discard, []string{"a", "b"}, ',')
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rowio.Row{"only one"}); err == nil {
		t.Error("Write of a short row succeeded")
	}
	for _, comma := range []rune{'"', '\n', '\r', 0, utf8.RuneError} {
		if _, err := csvio.NewWriter(io.Discard, []string{"a"}, comma); err == nil {
			t.Errorf("NewWriter with separator %q succeeded", comma)
		}
		if _, err := csvio.NewResultWriter(io.Discard, comma); err == nil {
			t.Errorf("NewResultWriter with separator %q succeeded", comma)
		}
	}

	// A failing destination must surface, at the latest on Close.
	boom := errors.New("disk full")
	w, err = csvio.NewWriter(failWriter{boom}, []string{"a"}, ',')
	if err == nil {
		for range 10000 {
			if err = w.Write(rowio.Row{"some value"}); err != nil {
				break
			}
		}
		if err == nil {
			err = w.Close()
		}
	}
	if !errors.Is(err, boom) {
		t.Errorf("error = %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// TestRoundTrip writes awkward values and reads them back unchanged, in
// both CSV and TSV.
func TestRoundTrip(t *testing.T) {
	cols := []string{"email", "", "note, with comma", `"quoted"`}
	rows := []rowio.Row{
		{"a@example.com", "", "x,y", `he said "no"`},
		{"", "", "", ""},
		{"multi\nline", "\ttab", " lead", "trail "},
		{"crlf\r\ninside", "ünïcode", "#hash", `\.`},
		{"lone\rcr", "\r", "x\r", "\"\""},
	}
	for _, comma := range []rune{',', '\t', ';', '§'} {
		var b bytes.Buffer
		w, err := csvio.NewWriter(&b, cols, comma)
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
		r, err := csvio.NewReader(&b, "rt", comma)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Columns(), cols) {
			t.Errorf("%q: columns %q, want %q", comma, r.Columns(), cols)
		}
		for i, want := range rows {
			got, err := r.Read()
			if err != nil {
				t.Fatalf("%q: row %d: %v", comma, i+1, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q: row %d = %q, want %q", comma, i+1, got, want)
			}
		}
		if _, err := r.Read(); err != io.EOF {
			t.Errorf("%q: after the last row: %v, want io.EOF", comma, err)
		}
	}
}

func testResults() []verify.Result {
	at := time.Date(2025, 3, 4, 5, 6, 7, 890, time.FixedZone("CET", 3600))
	return []verify.Result{
		{
			Domain: "a.com", Status: verify.Deliverable, Reason: "2 exchanges, 1 with addresses",
			MX: []verify.Exchange{
				{Preference: 10, Host: "mx1.a.com", Role: verify.RolePrimary,
					Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
				{Preference: 20, Host: "mx2.a.com", Role: verify.RoleBackup, CNAME: "real.b.net"},
			},
			TTL: 300, CheckedAt: at, Resolver: "192.0.2.53:53",
		},
		{Domain: "null.example.net", Status: verify.NullMX, Reason: `publishes "MX 0 ."`,
			MX: []verify.Exchange{{Preference: 0, Host: "", Role: verify.RolePrimary}}, TTL: 3600, CheckedAt: at, Resolver: "[2001:db8::53]:53"},
		{Domain: "implicit.org", Status: verify.NoMX, Reason: "no MX; A record, comma, and newline\nin reason", ImplicitMX: true, TTL: 60, CheckedAt: at},
		{Domain: "gone.org", Status: verify.NXDomain},
		{Domain: "slow.org", Status: verify.TempError, Reason: "timeout", MX: []verify.Exchange{}, Resolver: "192.0.2.53:53"},
	}
}

func TestResultWriterGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		comma rune
	}{{"results.csv", ','}, {"results.tsv", '\t'}} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w, err := csvio.NewResultWriter(&b, tc.comma)
			if err != nil {
				t.Fatal(err)
			}
			for i, res := range testResults() {
				if err := w.WriteResult(res, int64(i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "csvio/"+tc.name, b.Bytes())

			// The output is a valid table with the documented header.
			r, err := csvio.NewReader(&b, tc.name, tc.comma)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Columns(), csvio.ResultColumns) {
				t.Errorf("header %q, want %q", r.Columns(), csvio.ResultColumns)
			}
			rows, err := readAll(t, r)
			if err != nil || len(rows) != len(testResults()) {
				t.Fatalf("read back %d rows, %v", len(rows), err)
			}
		})
	}
}

func TestMXColumns(t *testing.T) {
	v4, v6 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	p, b := verify.RolePrimary, verify.RoleBackup
	tests := []struct {
		name                       string
		mx                         []verify.Exchange
		primary, backup, addresses string
	}{
		{"none", nil, "", "", ""},
		{"no addresses", []verify.Exchange{{Preference: 5, Host: "mx.a.com", Role: p}}, "mx.a.com", "", ""},
		{"addresses", []verify.Exchange{{Preference: 10, Host: "mx1.a.com", Role: p, Addresses: []netip.Addr{v4, v6}}},
			"mx1.a.com", "", "mx1.a.com 192.0.2.1 2001:db8::1"},
		{"two primaries and a backup alias", []verify.Exchange{
			{Preference: 10, Host: "mx1.a.com", Role: p, Addresses: []netip.Addr{v4}},
			{Preference: 10, Host: "mx2.a.com", Role: p, Addresses: []netip.Addr{v6}},
			{Preference: 20, Host: "mx3.a.com", Role: b, CNAME: "real.b.net"},
		}, "mx1.a.com; mx2.a.com", "20 mx3.a.com (alias of real.b.net)", "mx1.a.com 192.0.2.1; mx2.a.com 2001:db8::1"},
		{"null mx", []verify.Exchange{{Preference: 0, Host: "", Role: p}}, ".", "", ""},
	}
	for _, tt := range tests {
		primary, backup, addrs := csvio.MXColumns(tt.mx)
		if primary != tt.primary || backup != tt.backup || addrs != tt.addresses {
			t.Errorf("%s: MXColumns = %q, %q, %q; want %q, %q, %q", tt.name, primary, backup, addrs, tt.primary, tt.backup, tt.addresses)
		}
	}
}
