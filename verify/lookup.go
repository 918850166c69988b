package verify

import (
	"context"
	"errors"
	"fmt"
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
func resolve(ctx context.Context, c *Client, name string, qtype uint16) Lookup {
	ans, err := c.Query(ctx, dns.Fqdn(name), qtype)
	return follow(ctx, c, name, qtype, ans, err)
}

// follow is resolve from the answer to its first question, which the
// caller asked.
func follow(ctx context.Context, c *Client, name string, qtype uint16, ans Answer, err error) Lookup {
	var l Lookup
	l.TTL = ^uint32(0)
	cur := dns.Fqdn(name)
	for first := true; ; first = false {
		if !first {
			ans, err = c.Query(ctx, cur, qtype)
		}
		if err != nil {
			var qe *QueryError
			if errors.As(err, &qe) {
				l.Server = qe.Server
			}
			return l.fail(err)
		}
		l.Server = ans.Server
		owner, done, err := l.walk(ans.Reply, cur, name, qtype)
		if err != nil {
			return l.fail(err)
		}
		if done {
			return l
		}
		if strings.EqualFold(owner, cur) {
			// An empty answer for the name asked about: a negative answer.
			return l.negative(ans.Reply)
		}
		if ans.Reply.Rcode == dns.RcodeNameError || ans.Reply.SOA {
			// The server finished the chain (RFC 6604: the rcode and the
			// SOA belong to the last name).
			return l.negative(ans.Reply)
		}
		cur = owner
	}
}

// walk collects, from one message, the alias chain starting at cur and the
// records of qtype at its end. It returns the last owner reached, and done
// when records were found. start is the name first asked for: with it,
// l.Chain holds every name seen, and a target already among them is a loop.
func (l *Lookup) walk(m *Reply, cur, start string, qtype uint16) (string, bool, error) {
	for {
		var cname *dns.CNAME
		for _, rr := range m.Answer {
			h := rr.Header()
			if h.Class != dns.ClassINET || !strings.EqualFold(h.Name, cur) {
				continue
			}
			if h.Rrtype == qtype {
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
		target := strings.ToLower(cname.Target)
		l.TTL = min(l.TTL, cname.Hdr.Ttl)
		bare := strings.TrimSuffix(target, ".")
		// The chain is at most MaxAliasHops long: a scan is cheaper than
		// a map per question, and most questions meet no alias at all.
		loop := strings.EqualFold(bare, strings.TrimSuffix(start, ".")) || slices.Contains(l.Chain, bare)
		l.Chain = append(l.Chain, bare)
		if loop {
			return "", false, fmt.Errorf("%w: %s", ErrAliasLoop, strings.Join(l.Chain, " → "))
		}
		if len(l.Chain) > MaxAliasHops {
			return "", false, ErrAliasChain
		}
		cur = target
	}
}

func (l Lookup) fail(err error) Lookup {
	l.Outcome = Failed
	l.Err = err
	l.Records = nil
	l.TTL = 0
	return l
}

func (l Lookup) negative(m *Reply) Lookup {
	if m.Rcode == dns.RcodeNameError {
		l.Outcome = NoName
	} else {
		l.Outcome = NoData
	}
	l.TTL = min(l.TTL, m.NegTTL)
	return l
}
