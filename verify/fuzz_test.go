package verify

import (
	"testing"

	"github.com/miekg/dns"
)

// FuzzResponse feeds arbitrary bytes through everything that reads an
// answer: matching, alias walking, negative TTLs, referral detection and
// classification. A hostile or broken server must never crash a run.
func FuzzResponse(f *testing.F) {
	seed := func(build func(m *dns.Msg)) {
		m := new(dns.Msg)
		m.SetQuestion("shop.mxrules.net.", dns.TypeMX)
		m.Response = true
		build(m)
		if b, err := m.Pack(); err == nil {
			f.Add(b)
		}
	}
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			f.Fatal(err)
		}
		return r
	}
	seed(func(m *dns.Msg) { m.Answer = []dns.RR{rr("shop.mxrules.net. 300 IN MX 0 .")} })
	seed(func(m *dns.Msg) {
		m.Answer = []dns.RR{rr("shop.mxrules.net. 300 IN CNAME a.mxrules.net."), rr("a.mxrules.net. 300 IN CNAME shop.mxrules.net.")}
	})
	seed(func(m *dns.Msg) {
		m.Answer = []dns.RR{rr("shop.mxrules.net. 300 IN MX 10 mx.mxrules.net."), rr("shop.mxrules.net. 300 IN MX 10 192.0.2.1.")}
	})
	seed(func(m *dns.Msg) {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{rr("mxrules.net. 600 IN SOA ns. host. 1 2 3 4 5")}
	})
	seed(func(m *dns.Msg) { m.Ns = []dns.RR{rr("mxrules.net. 600 IN NS ns.elsewhere.")} })

	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if err := m.Unpack(b); err != nil {
			return
		}
		_ = matches(m, m.Id, "shop.mxrules.net.", dns.TypeMX)
		_ = isReferral(m)
		_ = NegativeTTL(m)
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
			hosts := make(map[string]Host)
			var aaaa Lookup
			for _, r := range l.Records {
				if x, ok := r.(*dns.MX); ok {
					hosts[x.Mx] = combineHost(x.Mx, l, aaaa)
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
