package verify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// MaxAliasHops bounds a CNAME chain. Resolvers use similar bounds (BIND 16,
// Unbound 11); 8 is plenty for mail and stops loops early.
const MaxAliasHops = 8

// ErrAliasLoop and ErrAliasChain end a lookup whose answer cannot be had
// because of the aliases themselves; like a SERVFAIL they leave the name's
// mail set-up unknown.
var (
	ErrAliasLoop  = errors.New("CNAME loop")
	ErrAliasChain = fmt.Errorf("CNAME chain longer than %d hops", MaxAliasHops)
)

// Outcome is what DNS said of a (name, type) question once aliases are
// followed.
type Outcome uint8

const (
	Found  Outcome = iota // records of the type at the end of the chain
	NoData                // the name exists without records of the type
	NoName                // NXDOMAIN for the end of the chain
	Failed                // no answer could be had: see Lookup.Err
)

// Lookup is the result of one question with its alias chain followed.
type Lookup struct {
	Outcome Outcome
	Records []dns.RR // records of the asked type at the canonical name
	Chain   []string // alias targets in order, without trailing dots
	TTL     uint32   // smallest TTL of the chain and the records (or negative TTL)
	Server  string
	Err     error // for Failed
}

// Canonical is the name the answer belongs to: the last alias target, or
// "" when the name was not an alias.
func (l Lookup) Canonical() string {
	if len(l.Chain) == 0 {
		return ""
	}
	return l.Chain[len(l.Chain)-1]
}

// resolve asks for name and qtype and follows CNAMEs. A recursive resolver
// returns the whole chain in one answer; an authoritative server stops at
// the edge of its zones, so an unfinished chain is asked for again from
// where it stopped.
func resolve(ctx context.Context, ex Exchanger, name string, qtype uint16) Lookup {
	l := Lookup{TTL: math.MaxUint32}
	cur := dns.Fqdn(name)
	for {
		m, server, err := ex.Exchange(ctx, cur, qtype)
		l.Server = server
		if err != nil {
			return l.fail(err)
		}
		owner, done, err := l.walk(m, cur, name, qtype)
		if err != nil {
			return l.fail(err)
		}
		if done {
			return l
		}
		if strings.EqualFold(owner, cur) || m.Rcode == dns.RcodeNameError || authoritySOA(m) != nil {
			// An empty answer for the name asked about, or a chain the
			// server finished (RFC 6604: the rcode and the SOA belong to
			// the last name): a negative answer.
			return l.negative(m)
		}
		cur = owner
	}
}

// walk collects, from one message, the alias chain starting at cur and the
// records of qtype at its end. It returns the last owner reached, and done
// when records were found. start is the name first asked for: with it,
// l.Chain holds every name seen, and a target already among them is a loop.
func (l *Lookup) walk(m *dns.Msg, cur, start string, qtype uint16) (string, bool, error) {
	for {
		var cname *dns.CNAME
		for _, rr := range m.Answer {
			h := rr.Header()
			if h.Class != dns.ClassINET || !strings.EqualFold(h.Name, cur) {
				continue
			}
			if h.Rrtype == qtype {
				if l.Records == nil {
					l.Records = make([]dns.RR, 0, len(m.Answer))
				}
				l.Records = append(l.Records, rr)
				l.TTL = min(l.TTL, h.Ttl)
			} else if c, ok := rr.(*dns.CNAME); ok && cname == nil {
				cname = c
			}
		}
		if len(l.Records) > 0 {
			l.Outcome = Found
			return cur, true, nil
		}
		if cname == nil {
			return cur, false, nil
		}
		l.TTL = min(l.TTL, cname.Hdr.Ttl)
		target := FoldName(cname.Target)
		// The chain is at most MaxAliasHops long: a scan is cheaper than
		// a map per question, and most questions meet no alias at all.
		loop := target == FoldName(start) || slices.Contains(l.Chain, target)
		l.Chain = append(l.Chain, target)
		if loop {
			return "", false, fmt.Errorf("%w: %s", ErrAliasLoop, strings.Join(l.Chain, " → "))
		}
		if len(l.Chain) > MaxAliasHops {
			return "", false, ErrAliasChain
		}
		cur = cname.Target
	}
}

func (l Lookup) fail(err error) Lookup {
	l.Outcome = Failed
	l.Err = err
	l.Records = nil
	l.TTL = 0
	return l
}

// negative is the outcome of an answer without records of the type. Its
// TTL is how long that may be cached (RFC 2308 §5): the smaller of the
// SOA record's TTL and its MINIMUM field, or 0 without an SOA.
func (l Lookup) negative(m *dns.Msg) Lookup {
	if m.Rcode == dns.RcodeNameError {
		l.Outcome = NoName
	} else {
		l.Outcome = NoData
	}
	neg := uint32(0)
	if soa := authoritySOA(m); soa != nil {
		neg = min(soa.Hdr.Ttl, soa.Minttl)
	}
	l.TTL = min(l.TTL, neg)
	return l
}

func authoritySOA(m *dns.Msg) *dns.SOA {
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return soa
		}
	}
	return nil
}

// FoldName is the form every name takes in results, caches and
// comparisons: lower case, without the trailing dot. The cache keys its
// entries by it too.
func FoldName(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}
