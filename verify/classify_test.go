package verify_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify"
)

// rrs parses zone-text records, the CoreDNS test.MX idiom.
func rrs(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, rr)
	}
	return out
}

func publicHost(name string) verify.Host {
	return verify.Host{Name: name, Addresses: []netip.Addr{netip.MustParseAddr("192.0.43.10")}, TTL: 300}
}

// TestClassify holds Classify to being total: whatever the evidence, and in
// particular evidence that no well-formed reply produces today, the verdict
// is a valid status, and an answer that says nothing is never a verdict
// against the domain.
func TestClassify(t *testing.T) {
	t.Parallel()
	const domain = "shop.mxrules.net"
	mx := func(lines ...string) verify.Lookup {
		return verify.Lookup{Outcome: verify.Found, Records: rrs(t, lines...), TTL: 300}
	}
	tests := []struct {
		name string
		in   verify.Evidence
		want verify.Status
	}{
		{
			name: "found without any record",
			in:   verify.Evidence{Domain: domain, MX: verify.Lookup{Outcome: verify.Found}},
			want: verify.TempError,
		},
		{
			name: "found holding only records of another type",
			in:   verify.Evidence{Domain: domain, MX: mx("shop.mxrules.net. 300 IN A 192.0.43.10")},
			want: verify.TempError,
		},
		{
			name: "found without records, implicit host known",
			in: verify.Evidence{Domain: domain, MX: verify.Lookup{Outcome: verify.Found},
				Implicit: &verify.Host{Name: domain, Outcome: verify.NoData}},
			want: verify.TempError,
		},
		{
			name: "null MX",
			in:   verify.Evidence{Domain: domain, MX: mx("shop.mxrules.net. 300 IN MX 0 .")},
			want: verify.NullMX,
		},
		{
			name: "null MX at another preference",
			in:   verify.Evidence{Domain: domain, MX: mx("shop.mxrules.net. 300 IN MX 10 .")},
			want: verify.NullMX,
		},
		{
			name: "exchange with a public address",
			in: verify.Evidence{Domain: domain, MX: mx("shop.mxrules.net. 300 IN MX 10 mail.mxrules.net."),
				Hosts: []verify.Host{publicHost("mail.mxrules.net")}},
			want: verify.Deliverable,
		},
		{
			name: "exchange never looked up",
			in:   verify.Evidence{Domain: domain, MX: mx("shop.mxrules.net. 300 IN MX 10 mail.mxrules.net.")},
			want: verify.TempError,
		},
		{
			name: "no MX, no implicit lookup",
			in:   verify.Evidence{Domain: domain, MX: verify.Lookup{Outcome: verify.NoData}},
			want: verify.TempError,
		},
		{
			name: "no MX, implicit MX",
			in: verify.Evidence{Domain: domain, MX: verify.Lookup{Outcome: verify.NoData},
				Implicit: func() *verify.Host { h := publicHost(domain); return &h }()},
			want: verify.NoMX,
		},
		{
			name: "lookup failed",
			in:   verify.Evidence{Domain: domain, MX: verify.Lookup{Outcome: verify.Failed, Err: errors.New("timeout")}},
			want: verify.TempError,
		},
		{
			name: "outcome out of range",
			in:   verify.Evidence{Domain: domain, MX: verify.Lookup{Outcome: 200}},
			want: verify.TempError,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := verify.Classify(tt.in)
			if got.Status != tt.want {
				t.Errorf("status %s (%s), want %s", got.Status, got.Reason, tt.want)
			}
			if got.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}
