package triage

import (
	"errors"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

func TestParse(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com" // 260 octets
	tests := []struct {
		raw     string
		sender  string
		domain  string // Address.Domain
		part    string // Address.DomainPart
		problem Problem
	}{
		// What a sender would use.
		{"anna@gmail.com", "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{"  Anna.Smith@Gmail.COM \t", "Anna.Smith@gmail.com", "gmail.com", "Gmail.COM", NoProblem},
		{"Anna Smith <anna@gmail.com>", "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{`"Smith, Anna" <Anna@Example.ORG>`, "Anna@example.org", "example.org", "Example.ORG", NoProblem},
		{"<anna@gmail.com>", "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{"mailto:anna@gmail.com", "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{"MailTo:anna@gmail.com?subject=Hello&body=x", "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{"Anna <mailto:anna@gmail.com>", "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{`"anna@gmail.com"`, "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{`'anna@gmail.com'`, "anna@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{`"john doe"@example.org`, `"john doe"@example.org`, "example.org", "example.org", NoProblem},
		{"anna+news@gmail.com", "anna+news@gmail.com", "gmail.com", "gmail.com", NoProblem},
		{"anna@gmail.com.", "anna@gmail.com", "gmail.com", "gmail.com.", NoProblem},
		{"anna@ gmail.com", "anna@gmail.com", "gmail.com", " gmail.com", NoProblem},
		// The domain in Unicode when written so, lower case and NFC.
		{"anna@Bücher.DE", "anna@bücher.de", "xn--bcher-kva.de", "Bücher.DE", NoProblem},
		{"anna@bu\u0308cher.de", "anna@b\u00fccher.de", "xn--bcher-kva.de", "bu\u0308cher.de", NoProblem},
		{"anna@ｇｍａｉｌ.com", "anna@gmail.com", "gmail.com", "ｇｍａｉｌ.com", NoProblem},
		{"Ωμέγα@Παράδειγμα.ελ", "Ωμέγα@παράδειγμα.ελ", "xn--hxajbheg2az3al.xn--qxam", "Παράδειγμα.ελ", NoProblem},
		// As an A-label when written so.
		{"anna@xn--bcher-kva.de", "anna@xn--bcher-kva.de", "xn--bcher-kva.de", "xn--bcher-kva.de", NoProblem},
		{"anna@XN--BCHER-KVA.DE", "anna@xn--bcher-kva.de", "xn--bcher-kva.de", "XN--BCHER-KVA.DE", NoProblem},
		// No address.
		{"", "", "", "", Empty},
		{"   ", "", "", "", Empty},
		{`""`, "", "", "", Empty},
		{"anna", "", "", "", NotAddress},
		{"Anna Smith", "", "", "", NotAddress},
		{"anna@[192.0.2.1]", "", "", "[192.0.2.1]", Literal},
		{"an na@gmail.com", "", "gmail.com", "gmail.com", BadLocal},
		{".anna@gmail.com", "", "gmail.com", "gmail.com", BadLocal},
		{"@gmail.com", "", "gmail.com", "gmail.com", BadLocal},
		{"Anna <anna@gmail.com", "", "gmail.com", "gmail.com", BadLocal},
		{"an na@gmail,com", "", "", "gmail,com", BadLocal}, // both wrong: the local part is reported
		{strings.Repeat("a", 65) + "@gmail.com", "", "gmail.com", "gmail.com", TooLong},
		{long, "", long[65:], long[65:], TooLong},
		{"anna@gmail,com", "", "", "gmail,com", BadDomain},
		{"anna@gmail..com", "", "", "gmail..com", BadDomain},
		{"anna@", "", "", "", BadDomain},
		{"anna@-gmail.com", "", "", "-gmail.com", BadDomain},
		{"anna@gmailcom", "", "gmailcom", "gmailcom", Reserved},
		{"anna@localhost", "", "localhost", "localhost", Reserved},
		{"anna@printer.local", "", "printer.local", "printer.local", Reserved},
	}
	for _, tt := range tests {
		a, err := Parse(tt.raw)
		if a.Sender != tt.sender || a.Domain != tt.domain || a.DomainPart != tt.part || a.Problem != tt.problem {
			t.Errorf("Parse(%q) = sender %q domain %q part %q problem %q; want %q %q %q %q",
				tt.raw, a.Sender, a.Domain, a.DomainPart, a.Problem, tt.sender, tt.domain, tt.part, tt.problem)
		}
		if (err != nil) != (tt.problem != NoProblem) {
			t.Errorf("Parse(%q) error = %v, problem %q", tt.raw, err, tt.problem)
		}
		if err != nil && !errors.Is(err, verify.ErrInvalid) {
			t.Errorf("Parse(%q) error %v is not verify.ErrInvalid", tt.raw, err)
		}
		if got := SenderAddress(tt.raw); got != tt.sender {
			t.Errorf("SenderAddress(%q) = %q, want %q", tt.raw, got, tt.sender)
		}
	}
}

// Parse agrees with verify.Address on every cell that needs no peeling,
// so that a row's mx_address is empty exactly when verify calls it
// invalid.
func TestParseAgreesWithVerify(t *testing.T) {
	for _, raw := range []string{
		"anna@gmail.com", "a@b.c", "a@b", "a@@b.com", "a.b@c.d.e", `"a"@b.com`, "a@b.com@c.com",
		"a@xn--.com", "a@123.456", "a@bad_label.com", "ä@bücher.de", "a\x00@b.com", "a@b.com\xff",
	} {
		_, verr := verify.Address(raw)
		_, err := Parse(raw)
		if (err == nil) != (verr == nil) {
			t.Errorf("Parse(%q) error %v, verify.Address error %v", raw, err, verr)
		}
	}
}

func TestSenderAddressNoCopy(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = SenderAddress("anna@gmail.com") }); n != 0 {
		t.Errorf("SenderAddress of an address already in sender form: %v allocations, want 0", n)
	}
}

func TestProblemString(t *testing.T) {
	if NoProblem.String() != "" || BadDomain.String() != "bad_domain" || Problem(99).String() != "Problem(99)" {
		t.Errorf("Problem names: %q %q %q", NoProblem, BadDomain, Problem(99))
	}
	for p := NoProblem; p <= Reserved; p++ {
		if got, want := p.DomainOnly(), p == BadDomain || p == Reserved; got != want {
			t.Errorf("%v.DomainOnly() = %v", p, got)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Parse("Anna.Smith@gmail.com")
	}
}

// TestParseValid: for every cell Parse accepts, ParseValid with its domain
// gives the same Address.
func TestParseValid(t *testing.T) {
	for _, raw := range []string{
		"ann@example.com", " Ann@EXAMPLE.com ", `"Ann Lee" <ann@example.com>`, "mailto:ann@example.com?subject=hi",
		"<ann@Bücher.DE>", "ann+tag@xn--bcher-kva.de", `"a@b"@example.org`, "ann@example.com.",
	} {
		want, err := Parse(raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
		if got := ParseValid(raw, want.Domain); got != want {
			t.Errorf("ParseValid(%q) = %+v, want %+v", raw, got, want)
		}
	}
}

// FuzzParseValid holds ParseValid to Parse on every cell Parse accepts.
func FuzzParseValid(f *testing.F) {
	for _, s := range []string{"ann@example.com", `"Ann" <mailto:Ann@Bücher.DE?x=1>`, "a@b@c.org", " x@Y.com. "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		want, err := Parse(raw)
		if err != nil {
			return
		}
		if got := ParseValid(raw, want.Domain); got != want {
			t.Errorf("ParseValid(%q) = %+v, want %+v", raw, got, want)
		}
	})
}
