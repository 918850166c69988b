package triage

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/mxverify/mxverify/verify"
)

// technical matches the words a reason must not use: record types,
// protocol names and numbers, and library names. The per-domain reason
// keeps them.
var technical = regexp.MustCompile(`(?i)\b(mx|nxdomain|servfail|rcode|cname|rfc|a record|aaaa|records?|exchanges?|idna|punycode|a-label|dns|ttl|alias(es)?|resolver|lookup|null|implicit|u\+[0-9a-f]+|§)`)

// TestReasonsArePlain builds every reason Decide can give and checks that
// each is plain words, a full sentence, and different per verdict.
func TestReasonsArePlain(t *testing.T) {
	statuses := append(verify.Statuses[:], "", "something_new")
	seen := make(map[string]bool)
	n := 0
	for _, st := range statuses {
		for _, implicit := range []bool{false, true} {
			for p := NoProblem; p <= Reserved; p++ {
				for f := Flags(0); f < 16; f++ {
					for s := Flags(0); s < 16; s++ {
						for _, sug := range []string{"", "anna@gmail.com"} {
							row := Row{Result: verify.Result{Status: st, ImplicitMX: implicit}, Problem: p, Flags: f, Suggestion: sug}
							_, reason := Decide(row, s&suppressible)
							n++
							if seen[reason] {
								continue
							}
							seen[reason] = true
							checkPlain(t, reason)
						}
					}
				}
			}
		}
	}
	t.Logf("%d rows, %d different reasons, all plain", n, len(seen))

	// Each verdict has a reason of its own.
	bases := make(map[string]string)
	for _, st := range verify.Statuses {
		for _, implicit := range []bool{false, true} {
			if implicit && st != verify.NoMX {
				continue
			}
			r := baseReason(Row{Result: verify.Result{Status: st, ImplicitMX: implicit}})
			if other, dup := bases[r]; dup {
				t.Errorf("%s (implicit %v) has the reason of %s", st, implicit, other)
			}
			bases[r] = string(st)
		}
	}
	for p := Empty; p <= Reserved; p++ {
		r := baseReason(Row{Problem: p})
		if other, dup := bases[r]; dup {
			t.Errorf("problem %s has the reason of %s", p, other)
		}
		bases[r] = p.String()
	}
}

func checkPlain(t *testing.T, reason string) {
	t.Helper()
	if m := technical.FindString(reason); m != "" {
		t.Errorf("reason %q uses %q", reason, m)
	}
	if reason == "" || !unicode.IsUpper(rune(reason[0])) || !strings.ContainsAny(reason[len(reason)-1:], ".?") {
		t.Errorf("reason %q is not a sentence", reason)
	}
	if strings.Contains(reason, "  ") || strings.Contains(reason, "..") {
		t.Errorf("reason %q has a doubled space or dot", reason)
	}
}

// The words test itself: each of these must be caught.
func TestTechnicalWords(t *testing.T) {
	for _, s := range []string{
		"no MX records", "NXDOMAIN", "RFC 7505", "exchanges have a public address", "CNAME",
		"idna: disallowed rune U+002C", "the A record", "rcode 2", "null MX", "DNS failed", "RFC 2181 §10.3",
	} {
		if technical.FindString(s) == "" {
			t.Errorf("%q is not caught", s)
		}
	}
	for _, s := range []string{reasonNoDomain, "Maximum", "The domain exists"} {
		if m := technical.FindString(s); m != "" {
			t.Errorf("%q caught for %q", s, m)
		}
	}
}
