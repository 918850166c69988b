package verify

import (
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/internal/intern"
)

// replySeeds are responses of the shapes resolvers and authoritative
// servers send, packed by miekg/dns with name compression.
func replySeeds(tb testing.TB) map[string][]byte {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			tb.Fatal(err)
		}
		return r
	}
	rrs := func(ss ...string) []dns.RR {
		var out []dns.RR
		for _, s := range ss {
			out = append(out, rr(s))
		}
		return out
	}
	seeds := map[string]func(m *dns.Msg){
		"null MX": func(m *dns.Msg) { m.Answer = rrs("shop.mxrules.net. 300 IN MX 0 .") },
		"authoritative MX with glue": func(m *dns.Msg) {
			m.Authoritative = true
			m.Answer = rrs("shop.mxrules.net. 3600 IN MX 10 mx1.prov3.mxrules.net.", "shop.mxrules.net. 3600 IN MX 20 mx2.prov3.mxrules.net.")
			m.Ns = rrs("mxrules.net. 3600 IN NS ns1.mxrules.net.")
			m.Extra = rrs("mx1.prov3.mxrules.net. 3600 IN A 192.0.2.31", "ns1.mxrules.net. 3600 IN A 192.0.2.53",
				"mx1.prov3.mxrules.net. 3600 IN AAAA 2001:db8::3:1")
			m.SetEdns0(1232, false)
		},
		"CNAME loop": func(m *dns.Msg) {
			m.Answer = rrs("shop.mxrules.net. 300 IN CNAME a.mxrules.net.", "a.mxrules.net. 300 IN CNAME shop.mxrules.net.")
		},
		"MX to an address": func(m *dns.Msg) {
			m.Answer = rrs("shop.mxrules.net. 300 IN MX 10 mx.mxrules.net.", "shop.mxrules.net. 300 IN MX 10 192.0.2.1.")
		},
		"NXDOMAIN": func(m *dns.Msg) {
			m.Rcode = dns.RcodeNameError
			m.Ns = rrs("mxrules.net. 600 IN SOA ns. host. 1 2 3 4 5")
			m.SetEdns0(1232, false)
		},
		"referral": func(m *dns.Msg) { m.Ns = rrs("mxrules.net. 600 IN NS ns.elsewhere.") },
		"alias then MX": func(m *dns.Msg) {
			m.RecursionAvailable = true
			m.Answer = rrs("shop.mxrules.net. 300 IN CNAME mail.example.org.", "mail.example.org. 60 IN MX 5 mx.example.org.")
		},
		"escaped name": func(m *dns.Msg) { m.Answer = rrs(`shop.mxrules.net. 300 IN MX 10 we\.ird.example.`) },
		"signed":       func(m *dns.Msg) { m.Answer = rrs("shop.mxrules.net. 300 IN TXT \"v=spf1 -all\"") },
		"FORMERR":      func(m *dns.Msg) { m.Rcode = dns.RcodeFormatError },
		"truncated":    func(m *dns.Msg) { m.Truncated = true },
		"NODATA with SOA and NS": func(m *dns.Msg) {
			m.Ns = rrs("mxrules.net. 600 IN NS ns1.mxrules.net.", "mxrules.net. 600 IN SOA ns1.mxrules.net. host.mxrules.net. 1 2 3 4 900")
		},
		"EDNS option": func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			o := m.IsEdns0()
			o.Option = append(o.Option, &dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "6e73"})
		},
	}
	out := make(map[string][]byte)
	for name, build := range seeds {
		m := new(dns.Msg)
		m.SetQuestion("shop.mxrules.net.", dns.TypeMX)
		m.Response = true
		m.Compress = true
		build(m)
		b, err := m.Pack()
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out[name] = b
	}
	return out
}

// FuzzResponse feeds arbitrary bytes through everything that reads an
// answer: matching, alias walking, negative TTLs, referral detection and
// classification. A hostile or broken server must never crash a run.
func FuzzResponse(f *testing.F) {
	for _, b := range replySeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := unpackReply(b, "shop.mxrules.net.", intern.New(64))
		if err != nil {
			return
		}
		_ = matches(m, m.ID, "shop.mxrules.net.", dns.TypeMX)
		_ = isReferral(m)
		for _, qt := range []uint16{dns.TypeMX, dns.TypeA, dns.TypeAAAA} {
			var l Lookup
			l.TTL = ^uint32(0)
			owner, done, err := l.walk(m, "shop.mxrules.net.", "shop.mxrules.net.", qt)
			if err != nil {
				l = l.fail(err)
			} else if !done {
				l = l.negative(m)
			}
			_ = owner
			var hosts []Host
			var aaaa Lookup
			for _, r := range l.Records {
				if x, ok := r.(*dns.MX); ok {
					hosts = append(hosts, combineHost(strings.ToLower(strings.TrimSuffix(x.Mx, ".")), l, aaaa))
				}
			}
			implicit := combineHost("shop.mxrules.net", l, l)
			res := Classify(Evidence{Domain: "shop.mxrules.net", MX: l, Hosts: hosts, Implicit: &implicit})
			if !res.Status.Valid() {
				t.Fatalf("invalid status %q", res.Status)
			}
		}
	})
}

// FuzzParseReply holds the wire parser to miekg/dns: whatever it takes,
// miekg must take too and read the same.
func FuzzParseReply(f *testing.F) {
	for _, b := range replySeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := parseReply(b, "shop.mxrules.net.", intern.New(64))
		if !ok {
			return
		}
		m := new(dns.Msg)
		if err := m.Unpack(b); err != nil {
			t.Fatalf("parsed a reply miekg refuses (%v): %+v", err, got)
		}
		if want := replyOf(m); !reflect.DeepEqual(got, want) {
			t.Fatalf("parsed\n %+v\nmiekg reads\n %+v", got, want)
		}
	})
}

// TestParseReply checks that the usual replies take the fast path, and
// that the others come out of miekg/dns the same through unpackReply.
func TestParseReply(t *testing.T) {
	fast := map[string]bool{
		"null MX":                    true,
		"authoritative MX with glue": true,
		"CNAME loop":                 true,
		"MX to an address":           true,
		"NXDOMAIN":                   true,
		"referral":                   true,
		"alias then MX":              true,
		"FORMERR":                    true,
		"truncated":                  true,
		"NODATA with SOA and NS":     true,
		"escaped name":               false,
		"signed":                     false,
		"EDNS option":                false,
	}
	for seed, b := range replySeeds(t) {
		t.Run(seed, func(t *testing.T) {
			wantFast, known := fast[seed]
			if !known {
				t.Fatal("seed missing from the test's table")
			}
			m := new(dns.Msg)
			if err := m.Unpack(b); err != nil {
				t.Fatal(err)
			}
			want := replyOf(m)
			if _, ok := parseReply(b, "shop.mxrules.net.", intern.New(64)); ok != wantFast {
				t.Errorf("fast path %v, want %v", ok, wantFast)
			}
			got, err := unpackReply(b, "shop.mxrules.net.", intern.New(64))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// packQuery writes the same query miekg/dns would, byte for byte.
func TestPackQuery(t *testing.T) {
	for _, tt := range []struct {
		name  string
		qtype uint16
	}{
		{"shop.mxrules.net.", dns.TypeMX},
		{"a.", dns.TypeA},
		{".", dns.TypeNS},
		{"xn--bcher-kva.de.", dns.TypeAAAA},
		{"weird\\.label.example.org.", dns.TypeMX},
	} {
		for _, edns := range []bool{true, false} {
			got, err := packQuery(nil, 0x1234, tt.name, tt.qtype, edns)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			m := newQuery(tt.name, tt.qtype, edns)
			m.Id = 0x1234
			want, err := m.Pack()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Errorf("%s (edns %v):\n got %x\nwant %x", tt.name, edns, got, want)
			}
		}
	}
	for _, bad := range []string{"a..b.", "x." + string(make([]byte, 64)) + "."} {
		if _, err := packQuery(nil, 1, bad, dns.TypeA, true); err == nil {
			t.Errorf("%q packed", bad)
		}
	}
}
