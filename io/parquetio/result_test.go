package parquetio_test

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/xitongsys/parquet-go-source/buffer"
	"github.com/xitongsys/parquet-go/reader"

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
		if err := w.WriteResult(tt.in, 1); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	got := readResults(t, buf.Bytes())
	if n := len(got); n != len(tests) {
		t.Fatalf("read %d records, want %d", n, len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := got[i]
			// Normalise empty slices: the reader may return nil or empty.
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
	if err := w.WriteResult(verify.Result{Domain: "a.example", Status: verify.NXDomain}, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := mustOpen(t, buf.Bytes(), "results.parquet")
	want := []string{"domain", "domain_unicode", "status", "reason", "rows", "mx", "implicit_mx", "ttl", "checked_at", "resolver"}
	if got := r.Columns(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Columns() = %q, want %q", got, want)
	}
	const schema = `message ResultRecord {
	required binary domain (STRING);
	required binary domain_unicode (STRING);
	required binary status (STRING);
	required binary reason (STRING);
	required int64 rows (INT(64,true));
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
	if len(rows) != 1 || rows[0][0] != "a.example" || rows[0][2] != "nxdomain" || rows[0][4] != int64(1) || rows[0][8] != nil {
		t.Errorf("rows = %v", rows)
	}
}

// resultRow is ResultRecord as the library's struct reader takes it, with
// tags naming the columns and the timestamp as its milliseconds: reading
// through the library's unmarshal checks the file without parquetio.Reader.
type resultRow struct {
	Domain     string        `parquet:"name=domain, type=BYTE_ARRAY, convertedtype=UTF8"`
	Status     string        `parquet:"name=status, type=BYTE_ARRAY, convertedtype=UTF8"`
	Reason     string        `parquet:"name=reason, type=BYTE_ARRAY, convertedtype=UTF8"`
	MX         []exchangeRow `parquet:"name=mx, type=LIST"`
	ImplicitMX bool          `parquet:"name=implicit_mx, type=BOOLEAN"`
	TTL        int64         `parquet:"name=ttl, type=INT64"`
	CheckedAt  *int64        `parquet:"name=checked_at, type=INT64"`
	Resolver   string        `parquet:"name=resolver, type=BYTE_ARRAY, convertedtype=UTF8"`
}

type exchangeRow struct {
	Preference int32    `parquet:"name=preference, type=INT32"`
	Host       string   `parquet:"name=host, type=BYTE_ARRAY, convertedtype=UTF8"`
	Role       string   `parquet:"name=role, type=BYTE_ARRAY, convertedtype=UTF8"`
	Addresses  []string `parquet:"name=addresses, type=LIST, valuetype=BYTE_ARRAY, valueconvertedtype=UTF8"`
	CNAME      string   `parquet:"name=cname, type=BYTE_ARRAY, convertedtype=UTF8"`
}

func readResults(t *testing.T, data []byte) []parquetio.ResultRecord {
	t.Helper()
	pf, err := buffer.NewBufferFile(data)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := reader.NewParquetReader(pf, new(resultRow), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.ReadStop()
	rows := make([]resultRow, pr.GetNumRows())
	if err := pr.Read(&rows); err != nil {
		t.Fatal(err)
	}
	var out []parquetio.ResultRecord
	for _, r := range rows {
		rec := parquetio.ResultRecord{Domain: r.Domain, Status: r.Status, Reason: r.Reason,
			ImplicitMX: r.ImplicitMX, TTL: r.TTL, Resolver: r.Resolver}
		if r.CheckedAt != nil {
			rec.CheckedAt = ptr(time.UnixMilli(*r.CheckedAt).UTC())
		}
		for _, mx := range r.MX {
			rec.MX = append(rec.MX, parquetio.ExchangeRecord{Preference: mx.Preference, Host: mx.Host,
				Role: mx.Role, Addresses: mx.Addresses, CNAME: mx.CNAME})
		}
		out = append(out, rec)
	}
	return out
}
