package parquetio_test

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/verify"
)

// duckDB returns the command that runs testdata/parquet/read-back.mjs, or
// skips the test where DuckDB (@duckdb/node-api, which make test-deps
// installs) or node is missing; with MXVERIFY_REQUIRE_DUCKDB=1, as CI sets
// it, that fails the test instead.
func duckDB(t *testing.T) func(files ...string) map[string]duckTable {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("MXVERIFY_REQUIRE_DUCKDB") == "1" {
			t.Fatalf("DuckDB read-back: %s (MXVERIFY_REQUIRE_DUCKDB=1)", why)
		}
		t.Skipf("DuckDB read-back skipped: %s; make test-deps installs it", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	dir := os.Getenv("MXVERIFY_DUCKDB_NODE")
	if dir == "" {
		dir = filepath.Join("..", "..", "out", "duckdb-node")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		missing("@duckdb/node-api is not in " + dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return func(files ...string) map[string]duckTable {
		t.Helper()
		cmd := exec.Command(node, append([]string{filepath.Join(fixtures, "read-back.mjs")}, files...)...)
		cmd.Env = append(os.Environ(), "MXVERIFY_DUCKDB_NODE="+abs)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("DuckDB: %v\n%s", err, stderr.String())
		}
		var got map[string]duckTable
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("DuckDB output: %v\n%s", err, out)
		}
		return got
	}
}

type duckTable struct {
	Columns []struct{ Name, Type string }
	Rows    [][]*string
	Schema  []map[string]*string // parquet_schema(): name, type, repetition_type, ...
}

// TestDuckDBReadsOutput checks that what parquetio writes reads back in
// DuckDB with the same types. A per-address output written from a DuckDB
// list (every scalar type in each codec, and lists, structs and maps of
// every kind) has the input's columns with the input's DuckDB types, nested
// ones included, the input's schema elements group for group, and the
// input's values; the run's columns are VARCHAR. The per-domain output's mx
// is a list of structs.
func TestDuckDBReadsOutput(t *testing.T) {
	read := duckDB(t)
	dir := t.TempDir()

	var files []string
	outputs := map[string]string{} // input -> output
	for _, name := range []string{
		"duckdb_types.snappy.parquet", "duckdb_types.zstd.parquet", "duckdb_types.gzip.parquet",
		"duckdb_types.plain.parquet", "duckdb_nested.zstd.parquet",
	} {
		src := filepath.Join(fixtures, name)
		in := mustOpen(t, mustReadFixture(t, name), src)
		rows := readAll(t, in)
		for i := range rows {
			rows[i] = append(rows[i], "mxverify-fixture.net", "deliverable", nil)
		}
		columns := append(append([]string{}, in.Columns()...), "mx_domain", "mx_status", "mx_reason")
		out := filepath.Join(dir, "addresses-"+name)
		if err := os.WriteFile(out, writeRows(t, columns, in.Schema(), rows), 0o644); err != nil {
			t.Fatal(err)
		}
		outputs[src] = out
		files = append(files, src, out)
	}

	var buf bytes.Buffer
	w, err := parquetio.NewResultWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	results := []verify.Result{
		{Domain: "mxverify-fixture.net", Status: verify.Deliverable, TTL: 300, Resolver: "127.0.0.1:53",
			CheckedAt: time.Date(2025, 6, 1, 8, 20, 30, 456000000, time.UTC),
			MX: []verify.Exchange{
				{Preference: 10, Host: "mx1.mxverify-fixture.net", Role: verify.RolePrimary,
					Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
				{Preference: 20, Host: "mx2.mxverify-fixture.net", Role: verify.RoleBackup, CNAME: "real.mxverify-fixture.net"},
			}},
		{Domain: "bad..example", Status: verify.Invalid, Reason: "empty label"},
	}
	for _, r := range results {
		if err := w.WriteResult(r, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	domains := filepath.Join(dir, "domains.parquet")
	if err := os.WriteFile(domains, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	got := read(append(files, domains)...)
	for src, addresses := range outputs {
		t.Run(filepath.Base(src), func(t *testing.T) {
			compareDuck(t, got[src], got[addresses])
		})
	}

	res := got[domains]
	wantTypes := map[string]string{
		"domain": "VARCHAR", "domain_unicode": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR", "rows": "BIGINT",
		"mx":          "STRUCT(preference INTEGER, host VARCHAR, \"role\" VARCHAR, addresses VARCHAR[], cname VARCHAR)[]",
		"implicit_mx": "BOOLEAN", "ttl": "BIGINT", "checked_at": "TIMESTAMP WITH TIME ZONE", "resolver": "VARCHAR",
	}
	for _, c := range res.Columns {
		if wantTypes[c.Name] != c.Type {
			t.Errorf("per-domain column %q: DuckDB reads %s, want %s", c.Name, c.Type, wantTypes[c.Name])
		}
	}
	if len(res.Rows) != 2 {
		t.Fatalf("DuckDB reads %d per-domain rows, want 2", len(res.Rows))
	}
	const mx = "[{'preference': 10, 'host': mx1.mxverify-fixture.net, 'role': primary, 'addresses': [192.0.2.1, '2001:db8::1'], 'cname': ''}, " +
		"{'preference': 20, 'host': mx2.mxverify-fixture.net, 'role': backup, 'addresses': [], 'cname': real.mxverify-fixture.net}]"
	if r := res.Rows[0]; deref(r[5]) != mx || deref(r[8]) != "2025-06-01 08:20:30.456+00" || deref(r[4]) != "1" {
		t.Errorf("per-domain row 1: mx %s, checked_at %s, rows %s", deref(r[5]), deref(r[8]), deref(r[4]))
	}
	if r := res.Rows[1]; deref(r[5]) != "[]" || r[8] != nil {
		t.Errorf("per-domain row 2: mx %s, checked_at %s", deref(r[5]), deref(r[8]))
	}
}

// compareDuck compares DuckDB's reading of a per-address output with its
// reading of the input: the input's columns, types, schema elements and
// values, then three VARCHAR columns.
func compareDuck(t *testing.T, want, out duckTable) {
	t.Helper()
	if len(out.Columns) != len(want.Columns)+3 {
		t.Fatalf("DuckDB reads %d columns, want %d", len(out.Columns), len(want.Columns)+3)
	}
	for i, c := range want.Columns {
		if out.Columns[i] != c {
			t.Errorf("column %d: DuckDB reads %+v, the input was %+v", i+1, out.Columns[i], c)
		}
	}
	for _, c := range out.Columns[len(want.Columns):] {
		if c.Type != "VARCHAR" {
			t.Errorf("added column %q is %s, want VARCHAR", c.Name, c.Type)
		}
	}
	// The elements of the input's fields, groups included, come first and
	// alike; the run's three follow. Of the root, which is no field, only
	// the name is kept.
	if len(out.Schema) != len(want.Schema)+3 {
		t.Fatalf("output has %d schema elements, want %d", len(out.Schema), len(want.Schema)+3)
	}
	for i, e := range want.Schema {
		for k, v := range e {
			if i == 0 && k != "name" {
				continue
			}
			if got := out.Schema[i][k]; deref(got) != deref(v) {
				t.Errorf("schema element %d (%s): %s is %s, the input's %s", i, deref(e["name"]), k, deref(got), deref(v))
			}
		}
	}
	if len(out.Rows) != len(want.Rows) {
		t.Fatalf("DuckDB reads %d rows, want %d", len(out.Rows), len(want.Rows))
	}
	for i := range want.Rows {
		for j, v := range want.Rows[i] {
			if !reflect.DeepEqual(out.Rows[i][j], v) {
				t.Errorf("row %d column %s: DuckDB reads %v, the input had %v", i+1, want.Columns[j].Name, deref(out.Rows[i][j]), deref(v))
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}
