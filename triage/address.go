package triage

import (
	"strconv"
	"strings"

	"github.com/mxverify/mxverify/verify"
)

// Problem says why a list cell holds no usable address. Its zero value,
// NoProblem, is a valid address.
type Problem uint8

// The problems, from the cell as a whole to its domain. When both parts of
// an address are wrong, the local part's problem is the one reported: a
// suggestion is only made for addresses wrong in their domain alone.
const (
	NoProblem  Problem = iota
	Empty              // nothing but space
	NotAddress         // no @
	Literal            // a bracketed IP address after the @
	BadLocal           // the part before the @
	TooLong            // a local part over 64 octets, or an address over 254
	BadDomain          // a malformed domain: gmail,com or gmail..com
	Reserved           // a single-label or special-use domain (.local, .test, …)
)

var problemNames = [...]string{"", "empty", "not_address", "literal", "bad_local", "too_long", "bad_domain", "reserved"}

// String is a short name for logs and tests; NoProblem's is "".
func (p Problem) String() string {
	if int(p) < len(problemNames) {
		return problemNames[p]
	}
	return "Problem(" + strconv.Itoa(int(p)) + ")"
}

// DomainOnly reports whether the address is wrong only in its domain, the
// one kind of invalid address that can get a suggestion.
func (p Problem) DomainOnly() bool { return p == BadDomain || p == Reserved }

// Address is one list cell's address, taken apart.
type Address struct {
	// Local is the part before the last @, as written: local parts are
	// case-sensitive (RFC 5321 §2.4).
	Local string
	// DomainPart is the part after the last @, as written.
	DomainPart string
	// Domain is the domain as a lower-case A-label, the form DNS and
	// duplicate detection use. As with verify.Address, it is kept when
	// only the local part is wrong, and for a single-label or special-use
	// domain; it is empty when the domain part does not normalize.
	Domain string
	// Sender is the address as a sender would use it (see SenderAddress);
	// empty unless Problem is NoProblem.
	Sender string
	// Problem is why the cell holds no usable address.
	Problem Problem
}

// Parse extracts the address from a list cell: surrounding space, a
// display name, angle brackets, a mailto: prefix (any case, with its
// ?query) and quotes around the whole value are removed. The address is
// then checked by verify.Address, whose error (errors.Is(err,
// verify.ErrInvalid)) is returned with the Address; Problem says which
// kind of error it is, for a reason in plain words.
func Parse(raw string) (Address, error) {
	s := extract(raw)
	domain, err := verify.Address(s)
	a := Address{Domain: domain}
	at := strings.LastIndexByte(s, '@')
	if at >= 0 {
		a.Local, a.DomainPart = s[:at], s[at+1:]
	}
	if err != nil {
		a.Problem = problemOf(s, at, a.Local, a.DomainPart)
		return a, err
	}
	a.Sender = sender(s, at, domain)
	return a, nil
}

// ParseValid takes apart a cell that Parse accepted before, whose domain
// has the A-label domain, without checking it again: a second pass over a
// list it has checked once.
func ParseValid(raw, domain string) Address {
	s := extract(raw)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		a, _ := Parse(raw)
		return a
	}
	return Address{Local: s[:at], DomainPart: s[at+1:], Domain: domain, Sender: sender(s, at, domain)}
}

// SenderAddress is the mx_address of a list cell: the address without
// display name, mailto:, brackets, quotes or surrounding space; the local
// part unchanged; the domain in lower case, in Unicode when the cell wrote
// it in Unicode and as an A-label otherwise. It is empty when the cell
// holds no valid address.
//
// The Unicode form is the A-label's own decoding, which UTS #46 makes
// lower-case and NFC: "Bücher.DE" and "bu\u0308cher.de" both give
// "bücher.de", and full-width letters give their ASCII.
func SenderAddress(raw string) string {
	a, _ := Parse(raw)
	return a.Sender
}

// extract peels a cell down to the address it holds: verify's rule, so
// that the verdict and the triage columns read the same address.
func extract(raw string) string { return verify.Extract(raw) }

// sender builds the mx_address of a valid address s, whose last @ is at
// at and whose domain normalizes to domain.
func sender(s string, at int, domain string) string {
	local, written := s[:at], s[at+1:]
	if isASCII(written) {
		if written == domain {
			return s // already as a sender writes it: no copy
		}
		return local + "@" + domain
	}
	return local + "@" + verify.Unicode(domain)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// standIn is a domain that verify accepts, for checking a local part on
// its own with verify's rules rather than a copy of them.
const standIn = "mxverify.org"

// problemOf classifies an address that verify.Address rejected.
func problemOf(s string, at int, local, domainPart string) Problem {
	switch {
	case s == "":
		return Empty
	case at < 0:
		return NotAddress
	case strings.HasPrefix(strings.TrimSpace(domainPart), "["):
		return Literal
	case len(local) > 64:
		return TooLong
	}
	if _, err := verify.Address(local + "@" + standIn); err != nil {
		return BadLocal
	}
	if ascii, err := verify.Domain(domainPart); err != nil {
		// verify.Domain keeps the A-label of a name that is well formed
		// but not public: a single label or a special-use name.
		if ascii != "" {
			return Reserved
		}
		return BadDomain
	}
	return TooLong // both parts pass: only the total length is left
}
