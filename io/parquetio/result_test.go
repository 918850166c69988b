package parquetio_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/verify"
)

func TestResultWriter(t *testing.T) {
	checked := time.Date(2025, 6, 1, 10, 20, 30, 456789000, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		in   verify.Result
		want parquetio.ResultRecord
	}{
		{
			name: "deliverable",
			in: verify.Result{
				Domain: "mxverify-fixture.net", Status: verify.Deliverable, TTL: 300, CheckedAt: checked, Resolver: "127.0.0.1:53",
				MX: []verify.Exchange{
					{Preference: 10, Host: "mx1.mxverify-fixture.net", Role: verify.RolePrimary,
						Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
					{Preference: 65535, Host: "mx2.mxverify-fixture.net", Role: verify.RoleBackup, CNAME: "real.mxverify-fixture.net"},
				},
			},
			want: parquetio.ResultRecord{
				Domain: "mxverify-fixture.net", Status: "deliverable", TTL: 300, Resolver: "127.0.0.1:53",
				CheckedAt: ptr(time.Date(2025, 6, 1, 8, 20, 30, 456000000, time.UTC)),
				MX: []parquetio.ExchangeRecord{
					{Preference: 10, Host: "mx1.mxverify-fixture.net", Role: "primary", Addresses: []string{"192.0.2.1", "2001:db8::1"}},
					{Preference: 65535, Host: "mx2.mxverify-fixture.net", Role: "backup", Addresses: []string{}, CNAME: "real.mxverify-fixture.net"},
				},
			},
		},
		{
			name: "no mx with implicit mx",
			in:   verify.Result{Domain: "a.example", Status: verify.NoMX, Reason: "no MX records", ImplicitMX: true, TTL: 4294967295, CheckedAt: checked},
			want: parquetio.ResultRecord{Domain: "a.example", Status: "no_mx", Reason: "no MX records", ImplicitMX: true, TTL: 4294967295,
				CheckedAt: ptr(time.Date(2025, 6, 1, 8, 20, 30, 456000000, time.UTC)), MX: []parquetio.ExchangeRecord{}},
		},
		{
			name: "never checked",
			in:   verify.Result{Domain: "bad..example", Status: verify.Invalid, Reason: "empty label"},
			want: parquetio.ResultRecord{Domain: "bad..example", Status: "invalid", Reason: "empty label", MX: []parquetio.ExchangeRecord{}},
		},
	}
	var buf bytes.Buffer
	w, err := parquetio.NewResultWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if err := w.WriteResult(tt.in); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	r := parquet.NewGenericReader[parquetio.ResultRecord](bytes.NewReader(buf.Bytes()))
	defer r.Close()
	got := make([]parquetio.ResultRecord, len(tests)+1)
	n, err := r.Read(got)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if n != len(tests) {
		t.Fatalf("read %d records, want %d", n, len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := got[i]
			// Normalise empty slices: parquet-go may return nil or empty.
			if len(g.MX) == 0 {
				g.MX = []parquetio.ExchangeRecord{}
			}
			for j := range g.MX {
				if len(g.MX[j].Addresses) == 0 {
					g.MX[j].Addresses = []string{}
				}
			}
			if !reflect.DeepEqual(g, tt.want) {
				t.Errorf("read back\n%+v\nwant\n%+v", g, tt.want)
			}
		})
	}
}

// TestResultSchema pins the column names, order and types that users query.
func TestResultSchema(t *testing.T) {
	var buf bytes.Buffer
	w, err := parquetio.NewResultWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteResult(verify.Result{Domain: "a.example", Status: verify.NXDomain}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, buf.Bytes(), "results.parquet")
	want := []string{"domain", "status", "reason", "mx", "implicit_mx", "ttl", "checked_at", "resolver"}
	if got := r.Columns(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Columns() = %q, want %q", got, want)
	}
	const schema = `message ResultRecord {
	required binary domain (STRING);
	required binary status (STRING);
	required binary reason (STRING);
	required group mx (LIST) {
		repeated group list {
			required group element {
				required int32 preference (INT(32,true));
				required binary host (STRING);
				required binary role (STRING);
				required group addresses (LIST) {
					repeated group list {
						required binary element (STRING);
					}
				}
				required binary cname (STRING);
			}
		}
	}
	required boolean implicit_mx;
	required int64 ttl (INT(64,true));
	optional int64 checked_at (TIMESTAMP(isAdjustedToUTC=true,unit=MILLIS));
	required binary resolver (STRING);
}`
	if got := r.Schema().String(); got != schema {
		t.Errorf("schema:\n%s\nwant:\n%s", got, schema)
	}
	rows := readAll(t, r)
	if len(rows) != 1 || rows[0][0] != "a.example" || rows[0][1] != "nxdomain" || rows[0][6] != nil {
		t.Errorf("rows = %v", rows)
	}
}
