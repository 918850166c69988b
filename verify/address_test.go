package verify_test

import (
	"errors"
	"strings"
	"testing"

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
