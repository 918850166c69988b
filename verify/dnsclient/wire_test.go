package dnsclient

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/miekg/dns"
)

// nsdAnswer is a reply as nsd sends it for a provider's MX: the records
// asked for, then the zone's NS record, the exchanges' addresses and OPT.
func nsdAnswer(tb testing.TB) []byte {
	m := new(dns.Msg)
	m.SetQuestion("d42.mxbench.net.", dns.TypeMX)
	m.Response, m.Authoritative, m.Compress = true, true, true
	for _, s := range []string{
		"d42.mxbench.net. 3600 IN MX 10 mx1.prov0.mxbench.net.",
		"d42.mxbench.net. 3600 IN MX 20 mx2.prov0.mxbench.net.",
		"mxbench.net. 3600 IN NS ns1.mxbench.net.",
		"mx1.prov0.mxbench.net. 3600 IN A 192.0.2.1",
		"mx1.prov0.mxbench.net. 3600 IN AAAA 2001:db8::1",
		"mx2.prov0.mxbench.net. 3600 IN A 192.0.2.2",
		"mx2.prov0.mxbench.net. 3600 IN AAAA 2001:db8::2",
		"ns1.mxbench.net. 3600 IN A 192.0.2.53",
	} {
		rr, err := dns.NewRR(s)
		if err != nil {
			tb.Fatal(err)
		}
		switch {
		case len(m.Answer) < 2:
			m.Answer = append(m.Answer, rr)
		case len(m.Ns) < 1:
			m.Ns = append(m.Ns, rr)
		default:
			m.Extra = append(m.Extra, rr)
		}
	}
	m.SetEdns0(1232, false)
	b, err := m.Pack()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// readable is what unpack keeps of a message miekg/dns unpacked whole.
func readable(m *dns.Msg) *dns.Msg {
	c := *m
	c.Ns, c.Extra = nil, nil
	for _, rr := range m.Ns {
		if t := rr.Header().Rrtype; t == dns.TypeSOA || t == dns.TypeNS && len(m.Answer) == 0 {
			c.Ns = append(c.Ns, rr)
		}
	}
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			c.Extra = append(c.Extra, rr)
		}
	}
	return &c
}

// emptyNil makes m's empty sections nil, as miekg leaves them.
func emptyNil(m *dns.Msg) *dns.Msg {
	for _, s := range []*[]dns.RR{&m.Answer, &m.Ns, &m.Extra} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	return m
}

// FuzzUnpack holds unpack to miekg/dns: whatever miekg reads, unpack reads
// too, the same but for the records it leaves out, and b comes back as it
// was.
func FuzzUnpack(f *testing.F) {
	f.Add(nsdAnswer(f))
	q := newQuery(dns.Question{Name: "shop.example.net.", Qtype: dns.TypeMX, Qclass: dns.ClassINET}, true)
	for _, s := range []server{answers, nxdomain, formerr, noEDNS, referrer, truncOK} {
		r, _ := s.reply(q, false)
		r.Ns = append(r.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: "example.net.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 600},
			Ns: "ns.example.net.", Mbox: "host.example.net.", Minttl: 300})
		b, err := r.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		got, err := unpack(b)
		if !bytes.Equal(in, b) {
			t.Fatal("unpack changed its input")
		}
		want := new(dns.Msg)
		if want.Unpack(in) != nil {
			return
		}
		if err != nil {
			t.Fatalf("unpack: %v; miekg reads %v", err, want)
		}
		if want := readable(want); !reflect.DeepEqual(emptyNil(got), emptyNil(want)) {
			t.Fatalf("unpack read\n%v\nmiekg\n%v", got, want)
		}
	})
}

// BenchmarkUnpack compares unpack with miekg/dns's on a typical answer.
func BenchmarkUnpack(b *testing.B) {
	msg := nsdAnswer(b)
	b.Run("miekg", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := new(dns.Msg).Unpack(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unpack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := unpack(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
