package csvio_test

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/verify"
)

func ExampleMXColumns() {
	primary, backup, addrs := csvio.MXColumns([]verify.Exchange{
		{Preference: 10, Host: "mx1.a.com", Role: verify.RolePrimary, Addresses: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}},
		{Preference: 20, Host: "mx2.a.com", Role: verify.RoleBackup, CNAME: "real.b.net"},
	})
	fmt.Printf("%q\n%q\n%q\n", primary, backup, addrs)
	// Output:
	// "mx1.a.com"
	// "20 mx2.a.com (alias of real.b.net)"
	// "mx1.a.com 192.0.2.1 2001:db8::1"
}

func ExampleNewReader() {
	in := "\uFEFFemail,name\r\nann@example.com,\"Doe, Ann\"\r\n\r\nbob@example.org,Bob\r\n"
	r, err := csvio.NewReader(strings.NewReader(in), "list.csv", ',')
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", r.Columns())
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q\n", row)
	}
	// Output:
	// ["email" "name"]
	// ["ann@example.com" "Doe, Ann"]
	// ["bob@example.org" "Bob"]
}

func ExampleNewReader_error() {
	r, err := csvio.NewReader(strings.NewReader("email,name\n\"ann@example.com,Ann\n"), "list.csv", ',')
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = r.Read()
	fmt.Println(err)
	// Output: list.csv:2:22: extraneous or missing " in quoted-field
}

func ExampleNewResultWriter() {
	var out strings.Builder
	w, err := csvio.NewResultWriter(&out, ',')
	if err != nil {
		fmt.Println(err)
		return
	}
	w.WriteResult(verify.Result{Domain: "gone.example.org", Status: verify.NXDomain, Reason: "no such domain", TTL: 900}, 3)
	w.Close()
	for line := range strings.Lines(out.String()) {
		fmt.Printf("%q\n", line) // %q shows the RFC 4180 line ends
	}
	// Output:
	// "domain,domain_unicode,status,reason,rows,primary_mx,backup_mx,mx_addresses,implicit_mx,ttl,checked_at,resolver\r\n"
	// "gone.example.org,gone.example.org,nxdomain,no such domain,3,,,,false,900,,\r\n"
}
