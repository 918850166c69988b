package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCRLFInQuotes: a line break inside a quoted field is data, and comes
// out byte for byte, CR LF or LF, as RFC 4180 and the README promise.
func TestCRLFInQuotes(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	writeFile(t, dir, "in.csv", "email,note\r\n"+
		"ann@shop.mxdemo.net,\"line one\r\nline two\"\r\n"+
		"bob@shop.mxdemo.net,\"lf\nonly\"\r\n"+
		"\"cy@shop.mxdemo.net\",plain\r\n")
	r := mxverify(t, dir, "", "run", "in.csv", "--resolver", srv.Addr(), "--progress", "never", "-o", "out.csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "email,note," + strings.Join(addedColumns, ",") + "\r\n" +
		"ann@shop.mxdemo.net,\"line one\r\nline two\",shop.mxdemo.net,deliverable,"
	got := readFile(t, filepath.Join(dir, "out.csv"))
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "\r\nbob@shop.mxdemo.net,\"lf\nonly\",shop.mxdemo.net,deliverable,") {
		t.Errorf("output\n%q\nwant the notes' bytes kept, starting\n%q", got, want)
	}
}
