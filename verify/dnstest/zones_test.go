package dnstest_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnstest"
)

var fixtures = []string{"../../testdata/zones/demo.zone", "../../testdata/zones/cases.zone"}

func TestLoadFixtures(t *testing.T) {
	z, err := dnstest.Load(fixtures...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := z.Apexes(), []string{"mxcases.org.", "mxdemo.net."}; !slices.Equal(got, want) {
		t.Errorf("Apexes() = %v, want %v", got, want)
	}
}

// TestLoadAllFixtures checks that every zone in testdata/zones loads
// together, as "mxzone testdata/zones" serves them: no zone may clash
// with another.
func TestLoadAllFixtures(t *testing.T) {
	paths, err := filepath.Glob("../../testdata/zones/*.zone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnstest.Load(paths...); err != nil {
		t.Fatal(err)
	}
}

// TestFixturesAvoidSpecialUse guards the fixtures against names mxverify
// rejects before any DNS query (RFC 6761, RFC 2606, RFC 9476).
func TestFixturesAvoidSpecialUse(t *testing.T) {
	special := []string{".test.", ".example.", ".invalid.", ".localhost.", ".local.", ".onion.", ".internal.", ".arpa.", ".alt."}
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		zp := dns.NewZoneParser(strings.NewReader(string(b)), "", f)
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			name := strings.ToLower(rr.Header().Name)
			for _, s := range special {
				if strings.HasSuffix("."+name, s) {
					t.Errorf("%s: %s uses special-use name %s", f, rr.Header().Name, s)
				}
			}
		}
		if err := zp.Err(); err != nil {
			t.Fatal(err)
		}
	}
}

const soa = "$ORIGIN a.net.\n@ 3600 IN SOA ns hm 1 2 3 4 300\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings of the error
		is   error
	}{
		{"syntax", soa + "www IN A 192.0.2.1\nmx IN MX ten mail\n", []string{"bad.zone", "line: 4"}, nil},
		{"outside every zone", soa + "www IN A 192.0.2.1\nwww.b.net. IN A 192.0.2.2\n", []string{"bad.zone:4:", "www.b.net. is outside every zone"}, nil},
		{"cname and other data", soa + "www IN A 192.0.2.1\n\nwww IN CNAME x\n", []string{"bad.zone:5:", "CNAME and other data at www.a.net."}, nil},
		{"no final newline", soa + "www IN A 192.0.2.1\nwww IN CNAME x", []string{"bad.zone:4:", "CNAME and other data"}, nil},
		{"multi-line record", soa + "www IN A 192.0.2.1\nwww IN CNAME (\n x )\n", []string{"bad.zone:5:", "CNAME and other data"}, nil},
		{"data next to cname", soa + "www IN CNAME x\nwww IN MX 10 mail\n", []string{"bad.zone:4:", "CNAME and other data"}, nil},
		{"two cnames", soa + "www IN CNAME x\nwww IN CNAME y\n", []string{"bad.zone:4:", "second CNAME"}, nil},
		{"second soa", soa + "@ IN SOA ns hm 2 2 3 4 300\n", []string{"bad.zone:3:", "second SOA for zone a.net. (first at bad.zone:2)"}, nil},
		{"class", soa + "www CH TXT hi\n", []string{"bad.zone:3:", "class CH"}, nil},
		{"relative name without origin", "www 300 IN A 192.0.2.1\n", []string{"bad.zone", "line: 1"}, nil},
		{"no soa", "$ORIGIN a.net.\nwww 300 IN A 192.0.2.1\n", nil, dnstest.ErrNoZone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dnstest.Parse("bad.zone", tt.text)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := dnstest.Load(); !errors.Is(err, dnstest.ErrNoZone) {
		t.Errorf("Load() error = %v, want ErrNoZone", err)
	}
	if _, err := dnstest.Load(filepath.Join(t.TempDir(), "nope.zone")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.zone")
	if err := os.WriteFile(bad, []byte(soa+"mx IN MX 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := dnstest.Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line: 3") {
		t.Errorf("Load(bad) error = %v, want it to name %s and line 3", err, bad)
	}
}

// TestMerge checks that zones may span files and that one file may hold
// several zones.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"soa.zone": "$ORIGIN a.net.\n@ 3600 IN SOA ns hm 1 2 3 4 300\n" +
			"$ORIGIN b.org.\n@ 3600 IN SOA ns hm 1 2 3 4 300\n",
		"data.zone": "$ORIGIN a.net.\n$TTL 60\nwww IN A 192.0.2.1\n$ORIGIN sub.b.org.\nmail IN A 192.0.2.2\n",
	}
	var paths []string
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	z, err := dnstest.Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"www.a.net.", "mail.sub.b.org."} {
		m := z.Reply(new(dns.Msg).SetQuestion(name, dns.TypeA))
		if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
			t.Errorf("%s A: rcode %s, %d answers; want NOERROR and 1", name, dns.RcodeToString[m.Rcode], len(m.Answer))
		}
	}
	// sub.b.org. is an empty non-terminal of b.org.
	m := z.Reply(new(dns.Msg).SetQuestion("sub.b.org.", dns.TypeA))
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || len(m.Ns) != 1 {
		t.Errorf("sub.b.org. A = %v, want NODATA", m)
	}
}

func TestReplyWithoutSocket(t *testing.T) {
	z, err := dnstest.Load(fixtures...)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		req   *dns.Msg
		rcode int
	}{
		{"answer", new(dns.Msg).SetQuestion("shop.mxdemo.net.", dns.TypeMX), dns.RcodeSuccess},
		{"no question", &dns.Msg{}, dns.RcodeFormatError},
		{"notify", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("mxdemo.net.", dns.TypeSOA)
			m.Opcode = dns.OpcodeNotify
			return m
		}(), dns.RcodeNotImplemented},
		{"chaos class", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("version.bind.", dns.TypeTXT)
			m.Question[0].Qclass = dns.ClassCHAOS
			return m
		}(), dns.RcodeRefused},
		{"axfr", new(dns.Msg).SetQuestion("mxdemo.net.", dns.TypeAXFR), dns.RcodeRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m := z.Reply(tt.req); m.Rcode != tt.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
		})
	}
}

func BenchmarkReply(b *testing.B) {
	z, err := dnstest.Load(fixtures...)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct{ name, qname string }{
		{"answer", "shop.mxdemo.net."},
		{"nxdomain", "missing.mxdemo.net."},
		{"cname", "alias.mxdemo.net."},
	} {
		req := new(dns.Msg).SetQuestion(q.qname, dns.TypeMX)
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				z.Reply(req)
			}
		})
	}
}
