package dnstest_test

import (
	"fmt"
	"log"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnstest"
)

const exampleZone = `$ORIGIN mxdemo.net.
@    3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300
shop 3600 IN MX  10 mx1.shop
mx1.shop 3600 IN A 192.0.2.10
`

// Reply answers without a socket, which suits tests of code that only
// needs messages.
func ExampleZones_Reply() {
	z, err := dnstest.Parse("example.zone", exampleZone)
	if err != nil {
		log.Fatal(err)
	}
	r := z.Reply(new(dns.Msg).SetQuestion("shop.mxdemo.net.", dns.TypeMX))
	fmt.Println(dns.RcodeToString[r.Rcode], r.Answer[0])

	// A missing name: NXDOMAIN with the SOA, whose TTL is the RFC 2308
	// negative TTL.
	r = z.Reply(new(dns.Msg).SetQuestion("www.mxdemo.net.", dns.TypeA))
	fmt.Println(dns.RcodeToString[r.Rcode], r.Ns[0].Header().Ttl)
	// Output:
	// NOERROR shop.mxdemo.net.	3600	IN	MX	10 mx1.shop.mxdemo.net.
	// NXDOMAIN 300
}

// Start serves the zones on loopback; faults make it misbehave per name.
// (In a test, dnstest.NewFromText(t, exampleZone) does the same in one
// line and closes the server at the end of the test.)
func ExampleStart() {
	z, err := dnstest.Parse("example.zone", exampleZone)
	if err != nil {
		log.Fatal(err)
	}
	s, err := dnstest.Start("127.0.0.1:0", z)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	s.FailFirst("shop.mxdemo.net", 1) // the first query fails, a retry succeeds
	c := new(dns.Client)
	for range 2 {
		r, _, err := c.Exchange(new(dns.Msg).SetQuestion("shop.mxdemo.net.", dns.TypeMX), s.Addr())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(dns.RcodeToString[r.Rcode])
	}
	fmt.Println(s.Queries("shop.mxdemo.net", dns.TypeMX), "queries")
}
