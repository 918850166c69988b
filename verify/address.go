package verify

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalid marks input that is decided Invalid without DNS. The wrapped
// text is the reason shown to the user.
var ErrInvalid = errors.New("invalid")

type invalidError struct{ reason string }

func (e *invalidError) Error() string        { return e.reason }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &invalidError{reason: fmt.Sprintf(format, args...)}
}

// idnaProfile is UTS #46 non-transitional processing with the STD3 (LDH)
// rules and DNS length checks, which is what a mail domain must satisfy.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
)

// specialUse are names that never reach the public DNS (RFC 2606, RFC 6761,
// RFC 6762, RFC 7686, ICANN's .internal, and .arpa's infrastructure names).
var specialUse = map[string]bool{
	"localhost": true, "invalid": true, "test": true, "example": true,
	"local": true, "onion": true, "internal": true, "arpa": true,
}

// Address parses an email address and returns its domain as a lower-case
// A-label. The address is first taken out of the cell by Extract: "Name
// <addr>", "<addr>", "mailto:addr" and a quoted "addr" give the address
// inside, surrounding spaces are ignored. On error the domain is still returned when the domain
// part alone normalizes, so a bad local part does not hide which domain the
// row named; errors.Is(err, ErrInvalid) holds for every rejection.
func Address(raw string) (string, error) {
	s := Extract(raw)
	if s == "" {
		return "", invalid("empty address")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", invalid("no @: not an email address")
	}
	local, domainPart := s[:at], s[at+1:]
	if strings.HasPrefix(domainPart, "[") {
		return "", invalid("address literal %s: mail to a bare IP address cannot be verified by DNS", domainPart)
	}
	domain, derr := Domain(domainPart)
	if err := checkLocal(local); err != nil {
		if derr != nil {
			domain = ""
		}
		return domain, err
	}
	if derr != nil {
		return domain, derr
	}
	// RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its angle
	// brackets. The domain counts as the A-label a sender would put on the
	// wire.
	if n := len(local) + 1 + len(domain); n > maxAddress {
		return domain, invalid("address is %d octets, more than the %d RFC 5321 allows", n, maxAddress)
	}
	return domain, nil
}

// Extract peels a list cell down to the address it holds: surrounding
// space, quotes around the whole value ("anna@x.com" or 'anna@x.com', as
// some exports write them), a display name and angle brackets, and a
// mailto: prefix (any case, with its ?query) are removed. It is the one
// rule for this: the verdict (Address) and the triage columns use it.
func Extract(raw string) string {
	s := unquote(strings.TrimSpace(raw))
	if strings.HasSuffix(s, ">") {
		if i := strings.LastIndexByte(s, '<'); i >= 0 {
			s = strings.TrimSpace(s[i+1 : len(s)-1])
		}
	}
	if len(s) >= len("mailto:") && strings.EqualFold(s[:len("mailto:")], "mailto:") {
		s = s[len("mailto:"):]
		// RFC 6068: headers follow a ?, which no domain contains.
		if q := strings.IndexByte(s, '?'); q >= 0 {
			s = s[:q]
		}
		s = strings.TrimSpace(s)
	}
	return s
}

// unquote removes quotes around a whole value. No valid address ends in a
// quote, so a quoted local part ("a b"@x.com) is never touched.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// maxAddress is the longest address that fits a 256-octet path.
const maxAddress = 254

// checkLocal applies RFC 5321 §4.1.2 (dot-string or quoted-string) with the
// UTF-8 extension of RFC 6531, and the 64-octet limit of §4.5.3.1.1.
func checkLocal(local string) error {
	switch {
	case local == "":
		return invalid("empty local part")
	case len(local) > 64:
		return invalid("local part is %d octets, more than the 64 RFC 5321 allows", len(local))
	case !utf8.ValidString(local):
		return invalid("local part is not valid UTF-8")
	}
	if local[0] == '"' {
		return checkQuoted(local)
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return invalid("local part %q has a misplaced dot", local)
	}
	for _, r := range local {
		if r != '.' && !isAtext(r) {
			return invalid("local part %q has %q, which needs quoting", local, r)
		}
	}
	return nil
}

func checkQuoted(local string) error {
	if len(local) < 2 || local[len(local)-1] != '"' {
		return invalid("local part %q has an unclosed quote", local)
	}
	body := local[1 : len(local)-1]
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\':
			i++
			if i >= len(body) || body[i] < 32 || body[i] > 126 {
				return invalid("local part %q has a bad escape", local)
			}
		case c == '"':
			return invalid("local part %q has an unescaped quote", local)
		case c >= 128: // UTF-8, RFC 6531
		case c < 32 || c == 127:
			return invalid("local part %q has a control character", local)
		}
	}
	return nil
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= 0x80:
		return true // UTF8-non-ascii, RFC 6531 §3.3
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// Domain normalizes a mail domain to a lower-case A-label without a trailing
// dot, and rejects what cannot be a public mail domain: IDNA failures,
// non-LDH labels, single labels, numeric top-level labels and special-use
// names.
func Domain(name string) (string, error) {
	name = strings.TrimSpace(name)
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return "", invalid("empty domain")
	}
	// IDNA would map each bad byte to U+FFFD and give a valid-looking
	// A-label of a name nobody wrote.
	if !utf8.ValidString(name) {
		return "", invalid("domain is not valid UTF-8")
	}
	ascii, ok := plainASCII(name)
	if !ok {
		var err error
		if ascii, err = idnaProfile.ToASCII(name); err != nil {
			return "", invalid("domain %q is not a valid host name: %v", name, err)
		}
		ascii = strings.ToLower(ascii)
		// UTS #46 judges some rules (the bidi rule) on the name as written,
		// before mapping: "0.ℷ0" passes, but its A-label "0.xn--0-3hc"
		// does not. Only a name whose A-label stands on its own is one a
		// sender could use.
		if again, err := idnaProfile.ToASCII(ascii); err != nil || again != ascii {
			return "", invalid("domain %q is not a valid host name: its A-label form %s is not", name, ascii)
		}
	}
	if len(ascii) > 253 {
		return "", invalid("domain is %d octets, more than 253", len(ascii))
	}
	// Label by label without splitting: this runs for every row of a list.
	var tld string
	labels := 0
	for rest, more := ascii, true; more; {
		tld, rest, more = strings.Cut(rest, ".")
		if err := checkLabel(tld); err != nil {
			return "", err
		}
		labels++
	}
	if labels < 2 {
		return ascii, invalid("single-label domain %q is not a public mail domain", ascii)
	}
	if strings.IndexFunc(tld, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
		return "", invalid("domain %q has a numeric top-level label (an IP address must be written [in brackets])", ascii)
	}
	if specialUse[tld] {
		return ascii, invalid("%q is a special-use name (.%s) that never receives internet mail", ascii, tld)
	}
	return ascii, nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return invalid("domain has an empty label")
	case len(l) > 63:
		return invalid("domain label is %d octets, more than 63", len(l))
	case l[0] == '-' || l[len(l)-1] == '-':
		return invalid("domain label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return invalid("domain label %q has %q: only letters, digits and hyphens are allowed", l, c)
		}
	}
	return nil
}

// plainASCII lower-cases a name that UTS #46 would only lower-case: LDH
// bytes, no Punycode labels and no "--" at positions 3-4. Nearly every
// domain of a list is such a name, and skipping the IDNA tables for them
// halves the cost of parsing a row.
func plainASCII(name string) (string, bool) {
	upper := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.':
		case c == '-':
			start := strings.LastIndexByte(name[:i], '.') + 1
			if i-start == 2 || i-start == 3 {
				return "", false
			}
		case c >= 'A' && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		name = strings.ToLower(name)
	}
	return name, true
}

// Unicode is the Unicode form of a domain that Domain accepted: its
// A-labels decoded, the rest as it is.
func Unicode(domain string) string {
	if !strings.Contains(domain, "xn--") {
		return domain
	}
	u, err := idna.Punycode.ToUnicode(domain)
	if err != nil {
		return domain
	}
	return u
}
