package verify_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mxverify/mxverify/verify"
)

func TestAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		domain   string
		valid    bool
		inReason string // a word the reason must contain
	}{
		{"jane@shop.com", "shop.com", true, ""},
		{"  Jane@Shop.COM  ", "shop.com", true, ""},
		{"jane@shop.com.", "shop.com", true, ""},
		{"Jane Doe <jane@shop.com>", "shop.com", true, ""},
		{`"Doe, Jane" <jane@shop.com>`, "shop.com", true, ""},
		{"<jane@shop.com>", "shop.com", true, ""},
		{`"john..doe"@shop.com`, "shop.com", true, ""},
		{`"a@b"@shop.com`, "shop.com", true, ""},
		{`"a\"b"@shop.com`, "shop.com", true, ""},
		{"user+tag@shop.com", "shop.com", true, ""},
		{"üser@shop.com", "shop.com", true, ""}, // RFC 6531
		{"jane@bücher.de", "xn--bcher-kva.de", true, ""},
		{"jane@BÜCHER.de", "xn--bcher-kva.de", true, ""},
		{"jane@xn--bcher-kva.de", "xn--bcher-kva.de", true, ""},
		{"jane@faß.de", "xn--fa-hia.de", true, ""}, // non-transitional: ß kept
		{"a@" + strings.Repeat("a", 63) + ".com", strings.Repeat("a", 63) + ".com", true, ""},
		{strings.Repeat("a", 64) + "@shop.com", "shop.com", true, ""},
		// 256 octets of UTF-8 as written, 233 as an A-label.
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("c", 62) + ".d" + strings.Repeat("ü", 30) + ".com", strings.Repeat("b", 62) + "." + strings.Repeat("c", 62) + ".xn--d-eha" + strings.Repeat("a", 29) + ".com", true, ""},

		{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 62)+".", 2) + strings.Repeat("c", 59) + ".com", strings.Repeat(strings.Repeat("b", 62)+".", 2) + strings.Repeat("c", 59) + ".com", true, ""},

		{strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 62)+".", 2) + strings.Repeat("c", 60) + ".com", strings.Repeat(strings.Repeat("b", 62)+".", 2) + strings.Repeat("c", 60) + ".com", false, "254"},
		// The A-label counts, not the characters or the UTF-8 octets as
		// written: 248 characters but 255 octets on the wire.
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 62) + "." + strings.Repeat("c", 62) + ".d" + strings.Repeat("ü", 52) + ".com", strings.Repeat("b", 62) + "." + strings.Repeat("c", 62) + ".xn--d-eha" + strings.Repeat("a", 51) + ".com", false, "254"},
		{"0@\xc3.a", "", false, "UTF-8"},
		{"jane@sh\xffop.com", "", false, "UTF-8"},
		{strings.Repeat("a", 65) + "@shop.com", "shop.com", false, "64"},
		{"a@" + strings.Repeat("a", 64) + ".com", "", false, "63"},
		{"a@" + strings.Repeat(strings.Repeat("a", 60)+".", 5) + "com", "", false, "253"},
		{"shop.com", "", false, "@"},
		{"", "", false, "empty"},
		{"jane@", "", false, "empty"},
		{"@shop.com", "shop.com", false, "local"},
		{"jane.@shop.com", "shop.com", false, "dot"},
		{".jane@shop.com", "shop.com", false, "dot"},
		{"ja..ne@shop.com", "shop.com", false, "dot"},
		{"ja ne@shop.com", "shop.com", false, "quoting"},
		{`"jane@shop.com`, "shop.com", false, "quote"},
		{"jane@[192.0.2.1]", "", false, "literal"},
		{"jane@192.0.2.1", "", false, "numeric"},
		{"jane@localhost", "localhost", false, "single-label"},
		{"jane@shop", "shop", false, "single-label"},
		{"jane@a.localhost", "a.localhost", false, "special-use"},
		{"jane@b.test", "b.test", false, "special-use"},
		{"jane@b.example", "b.example", false, "special-use"},
		{"jane@b.invalid", "b.invalid", false, "special-use"},
		{"jane@printer.local", "printer.local", false, "special-use"},
		{"jane@xyz.onion", "xyz.onion", false, "special-use"},
		{"jane@corp.internal", "corp.internal", false, "special-use"},
		{"jane@1.2.in-addr.arpa", "1.2.in-addr.arpa", false, "special-use"},
		{"jane@-shop.com", "", false, "hyphen"},
		{"jane@sh_op.com", "", false, "valid"},
		{"jane@sh..op.com", "", false, "label"},
		{"jane@xn--zz.com", "", false, "valid"},
		{"<0@0.ℷ0>", "", false, "A-label"}, // ℷ maps to a right-to-left letter
		{"a@ＳＨＯＰ.com", "shop.com", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			domain, err := verify.Address(tt.in)
			if domain != tt.domain {
				t.Errorf("domain = %q, want %q", domain, tt.domain)
			}
			if tt.valid {
				if err != nil {
					t.Errorf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error")
			}
			if !errors.Is(err, verify.ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.inReason) {
				t.Errorf("reason %q does not mention %q", err, tt.inReason)
			}
		})
	}
}

func BenchmarkAddress(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verify.Address("Jane.Doe+news@Mail.Shop-Example.com"); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzAddress holds the address rules to what the pipeline relies on: every
// rejection is ErrInvalid, an accepted domain is valid UTF-8 and already
// normal (Domain(Domain(x)) == Domain(x)), and an accepted address fits the
// 254 octets of an RFC 5321 path.
func FuzzAddress(f *testing.F) {
	for _, s := range []string{
		"jane@shop.com", "Jane Doe <jane@Shop.COM.>", `"a@b"@bücher.de`, "0@\xc3.a",
		"jane@xn--bcher-kva.de", "jane@faß.de", "jane@xn--zz.com", "a@b.c.", "jane@[192.0.2.1]",
		"a@ＥＸＡＭＰＬＥ.org", "a@xn--d-eha.com", "a@a\u3002b.com", "a@-a.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDomain := func(what string, d string, err error) {
			if err != nil {
				if !errors.Is(err, verify.ErrInvalid) {
					t.Fatalf("%s(%q): error %v is not ErrInvalid", what, s, err)
				}
				return
			}
			if !utf8.ValidString(d) {
				t.Fatalf("%s(%q) = %q, not valid UTF-8", what, s, d)
			}
			again, err := verify.Domain(d)
			if err != nil || again != d {
				t.Fatalf("%s(%q) = %q, but Domain(%q) = %q, %v", what, s, d, d, again, err)
			}
		}
		d, err := verify.Domain(s)
		checkDomain("Domain", d, err)
		d, err = verify.Address(s)
		checkDomain("Address", d, err)
		if err == nil && len(d) > 254 {
			t.Fatalf("Address(%q): domain %q longer than an address may be", s, d)
		}
	})
}
