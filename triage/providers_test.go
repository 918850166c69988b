package triage

import (
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

func TestProvidersFile(t *testing.T) {
	p := providers() // panics on a malformed line
	if len(p.names) < 300 {
		t.Errorf("%d providers, want the large ones (300 or more)", len(p.names))
	}
	for _, d := range p.names {
		if got, err := verify.Domain(d); err != nil || got != d {
			t.Errorf("providers.txt: %q normalizes to %q, %v", d, got, err)
		}
	}
	header, _, _ := strings.Cut(providersText, "\ngmail.com")
	for _, must := range []string{"Compiled by the mxverify developers", "2026-12", "NOT fetched"} {
		if !strings.Contains(header, must) {
			t.Errorf("providers.txt header does not say %q", must)
		}
	}
}

func TestIsFree(t *testing.T) {
	for d, want := range map[string]bool{
		"gmail.com": true, "googlemail.com": true, "yahoo.co.uk": true, "hotmail.fr": true, "outlook.com": true,
		"aol.com": true, "icloud.com": true, "gmx.de": true, "web.de": true, "mail.ru": true, "yandex.ru": true,
		"proton.me": true, "qq.com": true, "163.com": true, "naver.com": true, "orange.fr": true, "free.fr": true,
		"t-online.de": true, "seznam.cz": true, "wp.pl": true, "rediffmail.com": true, "comcast.net": true,
		// Paid services, businesses, near names and names under a provider.
		"fastmail.com": false, "posteo.de": false, "example.com": false, "gmail.hu": false, "gmial.com": false,
		"mail.gmail.com": false, "GMAIL.COM": false, "": false,
	} {
		if got := IsFree(d); got != want {
			t.Errorf("IsFree(%q) = %v, want %v", d, got, want)
		}
	}
}

// A provider is never on the embedded disposable list: the two flags
// would contradict each other.
func TestProvidersNotDisposable(t *testing.T) {
	d, err := LoadDisposable()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range providers().names {
		if d.Has(p) {
			t.Errorf("provider %s is on the disposable list", p)
		}
	}
}
