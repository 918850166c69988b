package verify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"
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

// replyExchanger answers every question with one message, as a server
// that sends the same bytes whatever it is asked; an rcode other than
// NOERROR and NXDOMAIN is an error, as an Exchanger promises.
type replyExchanger struct{ m *dns.Msg }

func (x replyExchanger) Exchange(context.Context, string, uint16) (*dns.Msg, string, error) {
	if x.m.Rcode != dns.RcodeSuccess && x.m.Rcode != dns.RcodeNameError {
		return nil, "fuzz", errors.New(dns.RcodeToString[x.m.Rcode])
	}
	return x.m, "fuzz", nil
}

// FuzzResponse feeds arbitrary bytes through everything in verify that
// reads an answer: alias walking, negative TTLs, host lookups and
// classification, one question at a time and for a whole domain. A
// hostile or broken server must never crash a run. (What the DNS client
// checks of an answer, dnsclient's FuzzReply covers.)
func FuzzResponse(f *testing.F) {
	for _, b := range replySeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return
		}
		ex := replyExchanger{m}
		ctx := context.Background()
		for _, qt := range []uint16{dns.TypeMX, dns.TypeA, dns.TypeAAAA} {
			l := resolve(ctx, ex, "shop.mxrules.net", qt)
			var hosts []Host
			xs, _ := exchanges(l.Records)
			for _, x := range xs {
				hosts = append(hosts, combineHost(x.Host, l, Lookup{}))
			}
			implicit := combineHost("shop.mxrules.net", l, l)
			res := Classify(Evidence{Domain: "shop.mxrules.net", MX: l, Hosts: hosts, Implicit: &implicit})
			if !res.Status.Valid() {
				t.Fatalf("invalid status %q", res.Status)
			}
		}
		r := &Resolver{ex: ex, start: ex, now: time.Now, hosts: newHostCache(time.Now, nil)}
		if res := r.Verify(ctx, "shop.mxrules.net"); !res.Status.Valid() {
			t.Fatalf("invalid status %q", res.Status)
		}
	})
}
