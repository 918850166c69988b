package triage

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

func TestDisposableFile(t *testing.T) {
	header, _, _ := strings.Cut(disposableText, "\n0")
	for _, must := range []string{"github.com/disposable-email-domains/disposable-email-domains", "1.26.0", "2026-09-21", "CC0"} {
		if !strings.Contains(header, must) {
			t.Errorf("disposable.txt header does not name %q", must)
		}
	}
	n := 0
	for line := range strings.Lines(disposableText) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		if got, err := verify.Domain(line); err != nil || got != line {
			t.Errorf("disposable.txt: %q normalizes to %q, %v", line, got, err)
		}
	}
	if got := len(embeddedDisposable()); got != n || n != 8883 {
		t.Errorf("disposable.txt has %d lines and %d distinct domains, want 8883", n, got)
	}
}

func TestDisposableHas(t *testing.T) {
	d, err := LoadDisposable("../testdata/triage/disposable-good.txt")
	if err != nil {
		t.Fatal(err)
	}
	for domain, want := range map[string]bool{
		// The embedded list, and names under its domains.
		"mailinator.com": true, "sub.mailinator.com": true, "a.b.mailinator.com": true, "guerrillamail.com": true,
		// The file's, normalized.
		"throwaway.example.net": true, "x.throwaway.example.net": true, "maildrop.example.org": true,
		"spaced.example.com": true, alabel("wegwerf-bücher.de"): true,
		// Neither: providers, parents and look-alikes.
		"gmail.com": false, "example.net": false, "net": false, "xmailinator.com": false,
		"mailinator.com.au": false, "": false,
	} {
		if got := d.Has(domain); got != want {
			t.Errorf("Has(%q) = %v, want %v", domain, got, want)
		}
	}
	if d.Len() != 8883+4 {
		t.Errorf("Len() = %d, want %d", d.Len(), 8883+4)
	}
	var none *Disposable
	if none.Has("mailinator.com") || none.Len() != 0 {
		t.Error("a nil Disposable holds something")
	}
}

func TestLoadDisposableErrors(t *testing.T) {
	_, err := LoadDisposable("../testdata/triage/disposable-good.txt", "../testdata/triage/disposable-bad.txt")
	if err == nil || !strings.HasPrefix(err.Error(), "../testdata/triage/disposable-bad.txt:3: ") || !errors.Is(err, verify.ErrInvalid) {
		t.Errorf("bad line: %v; want an error naming file:3 that wraps verify.ErrInvalid", err)
	}
	_, err = LoadDisposable("../testdata/triage/no-such-file.txt")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v; want fs.ErrNotExist", err)
	}
}

func alabel(domain string) string {
	a, err := verify.Domain(domain)
	if err != nil {
		panic(err)
	}
	return a
}
