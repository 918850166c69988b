package verify_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify"
)

// BenchmarkClassify measures the verdict on a typical domain: two
// primaries and a backup, all with addresses.
func BenchmarkClassify(b *testing.B) {
	var rrs []dns.RR
	var hosts []verify.Host
	for i, pref := range []uint16{10, 10, 20} {
		name := fmt.Sprintf("mx%d.shop.net", i)
		rr, err := dns.NewRR(fmt.Sprintf("shop.net. 3600 IN MX %d %s.", pref, name))
		if err != nil {
			b.Fatal(err)
		}
		rrs = append(rrs, rr)
		hosts = append(hosts, verify.Host{Name: name, Outcome: verify.Found, TTL: 300,
			Addresses: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})}})
	}
	in := verify.Evidence{Domain: "shop.net", MX: verify.Lookup{Outcome: verify.Found, Records: rrs, TTL: 3600}, Hosts: hosts}
	b.ReportAllocs()
	for b.Loop() {
		if res := verify.Classify(in); res.Status != verify.Deliverable {
			b.Fatal(res.Status)
		}
	}
}
