package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify/dnstest"
)

// providersZone serves testdata/triage/providers.zone: large providers,
// real domains near them, and their look-alikes absent (NXDOMAIN).
func providersZone(t *testing.T, edit func(string) string) *dnstest.Server {
	t.Helper()
	text := readFile(t, testdataPath(t, "triage/providers.zone"))
	if edit != nil {
		text = edit(text)
	}
	return dnstest.NewFromText(t, text)
}

// runRows runs a list through mxverify and returns the output's rows as
// maps from column to value, in order.
func runRows(t *testing.T, srv *dnstest.Server, list string, flags ...string) ([]map[string]string, result) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "list.csv", list)
	args := append([]string{"run", "list.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv",
		"--max-temp-errors", "1"}, flags...)
	r := mxverify(t, dir, "", args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	recs := readCSV(t, filepath.Join(dir, "out.csv"))
	var rows []map[string]string
	for _, rec := range recs[1:] {
		m := make(map[string]string)
		for i, c := range recs[0] {
			m[c] = rec[i]
		}
		rows = append(rows, m)
	}
	return rows, r
}

// TestSuggestions: each look-alike gets its provider when the provider
// takes mail in this run, and nothing when it does not; real domains near
// a provider never get one.
func TestSuggestions(t *testing.T) {
	t.Parallel()
	var list strings.Builder
	list.WriteString("email\n")
	cases := []struct {
		addr, want string // want: the suggestion when the providers take mail
	}{
		{"anna@gmial.com", "anna@gmail.com"},
		{"bob@gmail.con", "bob@gmail.com"},
		{"cy@hotmial.com", "cy@hotmail.com"},
		{"di@outlok.com", "di@outlook.com"},
		{"ed@yaho.com", "ed@yahoo.com"},
		{`"fi@gmail,com"`, "fi@gmail.com"},   // invalid only in its domain
		{"gus@nomail-gmali.com", ""},         // no provider within reach
		{"hal@gmail.hu", ""},                 // real and deliverable
		{"ida@gmx.de", ""},                   // real and deliverable
		{"jo@yahoo.co", ""},                  // real and deliverable
		{"kim@gmail.com", ""},                // the provider itself
		{"lee@acme-industreis-mail.com", ""}, // the list's own domain has too few rows here
	}
	for _, c := range cases {
		list.WriteString(c.addr + "\n")
	}
	t.Run("providers take mail", func(t *testing.T) {
		t.Parallel()
		rows, _ := runRows(t, providersZone(t, nil), list.String())
		for i, c := range cases {
			if got := rows[i]["mx_suggestion"]; got != c.want {
				t.Errorf("%s: suggestion %q, want %q", c.addr, got, c.want)
			}
			if c.want != "" && !strings.Contains(rows[i]["mx_reason"], "Did you mean "+c.want+"?") {
				t.Errorf("%s: reason %q does not name the suggestion", c.addr, rows[i]["mx_reason"])
			}
		}
	})
	t.Run("providers take no mail", func(t *testing.T) {
		t.Parallel()
		// A null MX for every provider: a typo of a domain that takes no
		// mail is not worth fixing.
		srv := providersZone(t, func(s string) string {
			for _, p := range []string{"gmail", "hotmail", "outlook", "yahoo"} {
				s = strings.Replace(s, p+" 300 IN MX 10 mx."+p+"\n", p+" 300 IN MX 0 .\n", 1)
			}
			return s
		})
		rows, _ := runRows(t, srv, list.String())
		for i, c := range cases {
			if got := rows[i]["mx_suggestion"]; got != "" {
				t.Errorf("%s: suggestion %q, want none", c.addr, got)
			}
		}
	})
	t.Run("a provider times out", func(t *testing.T) {
		t.Parallel()
		srv := providersZone(t, nil)
		srv.ServFail("gmail.com")
		rows, _ := runRows(t, srv, "email\nanna@gmial.com\nbob@gmail.com\n")
		if got := rows[0]["mx_suggestion"]; got != "" {
			t.Errorf("gmial.com: suggestion %q while gmail.com could not be checked", got)
		}
		if rows[1]["mx_action"] != "retry" {
			t.Errorf("gmail.com under SERVFAIL: action %q, want retry", rows[1]["mx_action"])
		}
	})
	t.Run("the list's own frequent domain", func(t *testing.T) {
		t.Parallel()
		var l strings.Builder
		l.WriteString("email\nlee@acme-industreis-mail.com\n")
		for range 50 {
			l.WriteString("staff@acme-industries-mail.com\n")
		}
		rows, _ := runRows(t, providersZone(t, nil), l.String())
		if got := rows[0]["mx_suggestion"]; got != "lee@acme-industries-mail.com" {
			t.Errorf("suggestion %q, want lee@acme-industries-mail.com (50 times as frequent)", got)
		}
	})
}

// TestActionsAndOutputs: --suppress-if turns send into suppress with a
// reason that says why, --split writes the rows by action and
// --suppression-list the addresses to suppress, once each.
func TestActionsAndOutputs(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "list.csv", "email,name\n"+
		"ann@shop.mxdemo.net,Ann\n"+
		"sales@acme.mxdemo.net,Sales\n"+
		"Ann@SHOP.mxdemo.net,Ann again\n"+ // the domain compares in lower case, the local part too for ASCII
		"x@nullmx.mxdemo.net,Null\n"+
		"X@nullmx.mxdemo.net,Null again\n"+
		"y@servfail.mxdemo.net,Servfail\n"+
		"root@implicit.mxdemo.net,Implicit\n"+
		`"""Zoe Z"" <mailto:zoe@missing.mxdemo.net>",Zoe`+"\n")
	srv.ServFail("servfail.mxdemo.net")
	split := filepath.Join(dir, "split")
	if err := os.Mkdir(split, 0o755); err != nil {
		t.Fatal(err)
	}
	r := mxverify(t, dir, "", "run", "list.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv",
		"--max-temp-errors", "1", "--suppress-if", "duplicate,role", "--split", "split", "--suppression-list", "suppress.csv",
		"--summary", "sum.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	recs := readCSV(t, filepath.Join(dir, "out.csv"))
	col := func(name string) int { return slices.Index(recs[0], name) }
	want := []struct{ action, address, dup, role, reason string }{
		{"send", "ann@shop.mxdemo.net", "false", "false", "accepts mail"},
		{"suppress", "sales@acme.mxdemo.net", "false", "true", "Suppressed as asked, because it is a role address"},
		{"suppress", "Ann@shop.mxdemo.net", "true", "false", "Suppressed as asked, because the same address is on an earlier row"},
		{"suppress", "x@nullmx.mxdemo.net", "false", "false", "accepts no mail"},
		{"suppress", "X@nullmx.mxdemo.net", "true", "false", "accepts no mail"},
		{"retry", "y@servfail.mxdemo.net", "false", "false", "could not be checked"},
		{"suppress", "root@implicit.mxdemo.net", "false", "true", "Suppressed as asked, because it is a role address"},
		{"suppress", "zoe@missing.mxdemo.net", "false", "false", "does not exist"},
	}
	for i, w := range want {
		row := recs[i+1]
		if row[col("mx_action")] != w.action || row[col("mx_address")] != w.address || row[col("mx_duplicate")] != w.dup ||
			row[col("mx_role")] != w.role || !strings.Contains(row[col("mx_reason")], w.reason) {
			t.Errorf("row %d: action %s, address %q, duplicate %s, role %s, reason %q; want %+v", i+1,
				row[col("mx_action")], row[col("mx_address")], row[col("mx_duplicate")], row[col("mx_role")], row[col("mx_reason")], w)
		}
	}
	for action, n := range map[string]int{"send": 1, "suppress": 6, "retry": 1} {
		got := readCSV(t, filepath.Join(split, action+".csv"))
		if len(got)-1 != n || !slices.Equal(got[0], recs[0]) {
			t.Errorf("split %s: %d rows with header %q, want %d with the output's", action, len(got)-1, got[0], n)
		}
		for _, row := range got[1:] {
			if row[col("mx_action")] != action {
				t.Errorf("split %s holds a row to %s", action, row[col("mx_action")])
			}
		}
	}
	got := readFile(t, filepath.Join(dir, "suppress.csv"))
	wantList := "email\r\nsales@acme.mxdemo.net\r\nAnn@shop.mxdemo.net\r\nx@nullmx.mxdemo.net\r\nX@nullmx.mxdemo.net\r\nroot@implicit.mxdemo.net\r\nzoe@missing.mxdemo.net\r\n"
	if got != wantList {
		t.Errorf("suppression list\n%q\nwant\n%q", got, wantList)
	}
	sum := readFile(t, filepath.Join(dir, "sum.json"))
	for _, s := range []string{`"send": 1`, `"suppress": 6`, `"retry": 1`, `"duplicate_rows": 2`, `"role_rows": 2`} {
		if !strings.Contains(sum, s) {
			t.Errorf("summary lacks %s:\n%s", s, sum)
		}
	}
}

// TestAddColumns: the columns asked for, in the output's order; an
// unknown one is a usage error.
func TestAddColumns(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	rows, _ := runRows(t, srv, "email\nann@shop.mxdemo.net\n", "--add-columns", "role, mx_action")
	if len(rows[0]) != 6 || rows[0]["mx_action"] != "send" || rows[0]["mx_role"] != "false" {
		t.Errorf("row %v, want email, mx_domain, mx_status, mx_action, mx_reason, mx_role", rows[0])
	}
	dir := t.TempDir()
	writeFile(t, dir, "l.csv", "email\na@b.example\n")
	r := mxverify(t, dir, "", "run", "l.csv", "--resolver", srv.Addr(), "--add-columns", "mx_colour")
	if r.code != 1 || !strings.Contains(r.stderr, `unknown column "mx_colour"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = mxverify(t, dir, "", "run", "l.csv", "--resolver", srv.Addr(), "--add-columns", "role", "--suppression-list", "s.csv")
	if r.code != 1 || !strings.Contains(r.stderr, "--suppression-list needs the column mx_action") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestSplitRerun: a previous run's output read again has mx_ columns of
// its own, stale; --split and the suppression list follow this run's.
func TestSplitRerun(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "list.csv", "mx_domain,email,mx_action,mx_status\n"+
		"nullmx.mxdemo.net,x@nullmx.mxdemo.net,send,deliverable\n"+
		"shop.mxdemo.net,ann@shop.mxdemo.net,suppress,null_mx\n")
	r := mxverify(t, dir, "", "run", "list.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv",
		"--split", ".", "--suppression-list", "suppress-list.csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for action, want := range map[string]string{"send": "ann@shop.mxdemo.net", "suppress": "x@nullmx.mxdemo.net"} {
		got := readCSV(t, filepath.Join(dir, action+".csv"))
		if len(got) != 2 || got[1][1] != want {
			t.Errorf("split %s: %q, want one row of %s", action, got, want)
		}
	}
	if got := readFile(t, filepath.Join(dir, "suppress-list.csv")); got != "email\r\nx@nullmx.mxdemo.net\r\n" {
		t.Errorf("suppression list %q", got)
	}
}
