package verify

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Evidence is what DNS said about a domain: the MX lookup and, depending on
// it, the exchanges' addresses or the domain's own (implicit MX).
type Evidence struct {
	Domain string
	MX     Lookup
	// Hosts are the exchanges' lookups, when MX was Found; Host.Name is
	// the exchange's lower-case name without the trailing dot.
	Hosts    []Host
	Implicit *Host // the domain's own addresses, when MX was NoData
}

// Classify turns evidence into a verdict. It is a pure function of its input,
// so every rule can be tested from zone text without a network; CheckedAt is
// left to the caller.
func Classify(in Evidence) Result {
	res := Result{Domain: in.Domain, Resolver: in.MX.Server}
	mx := in.MX
	alias := ""
	if c := mx.Canonical(); c != "" {
		alias = fmt.Sprintf(" (via alias %s)", strings.Join(mx.Chain, " → "))
	}
	switch mx.Outcome {
	case Failed:
		res.Status = TempError
		res.Reason = "MX lookup failed: " + errText(mx.Err)
		return res
	case NoName:
		res.Status = NXDomain
		res.TTL = mx.TTL
		if alias != "" {
			res.Reason = fmt.Sprintf("alias chain %s ends at a name that does not exist", strings.Join(mx.Chain, " → "))
		} else {
			res.Reason = "the domain does not exist (NXDOMAIN)"
		}
		return res
	case NoData:
		return classifyNoMX(res, mx, in.Implicit, alias)
	}
	return classifyExchanges(res, mx, in.Hosts, alias)
}

func classifyNoMX(res Result, mx Lookup, h *Host, alias string) Result {
	if h == nil {
		h = &Host{Outcome: Failed, Reason: "address lookup not done"}
	}
	switch {
	case h.Public():
		res.Status = NoMX
		res.ImplicitMX = true
		res.TTL = min(mx.TTL, h.TTL)
		res.Reason = "no MX records" + alias + "; mail goes to the domain's own address (implicit MX, RFC 5321 §5.1)"
	case h.Outcome == Failed:
		res.Status = TempError
		res.Resolver = h.Server
		res.Reason = "no MX records" + alias + ", and the address lookup failed: " + h.Reason
	default:
		res.Status = NoMX
		res.TTL = min(mx.TTL, h.TTL)
		if len(h.Addresses) > 0 {
			res.Reason = fmt.Sprintf("no MX records%s, and the domain's only addresses are not public (%s)", alias, joinAddrs(h))
		} else {
			res.Reason = "no MX records and no address" + alias + ": the domain takes no mail"
		}
	}
	return res
}

// findHost is the lookup of the exchange name. An MX set names a few
// hosts: a scan beats building a map per domain.
func findHost(hosts []Host, name string) *Host {
	for i := range hosts {
		if hosts[i].Name == name {
			return &hosts[i]
		}
	}
	return nil
}

// exchanges reads an MX set: each exchange once, at its best preference
// (RFC 5321 tries a host listed twice at its best), and the preferences
// of the null MX records ("MX 0 .", RFC 7505).
func exchanges(rrs []dns.RR) (xs []Exchange, nulls []uint16) {
	xs = make([]Exchange, 0, len(rrs))
	for _, rr := range rrs {
		r, ok := rr.(*dns.MX)
		if !ok {
			continue
		}
		if r.Mx == "." {
			nulls = append(nulls, r.Preference)
			continue
		}
		name := FoldName(r.Mx)
		// MX sets are small: a scan finds duplicates without a map.
		if i := slices.IndexFunc(xs, func(x Exchange) bool { return x.Host == name }); i >= 0 {
			xs[i].Preference = min(xs[i].Preference, r.Preference)
			continue
		}
		xs = append(xs, Exchange{Preference: r.Preference, Host: name})
	}
	return xs, nulls
}

func classifyExchanges(res Result, mx Lookup, hosts []Host, alias string) Result {
	xs, nulls := exchanges(mx.Records)
	if len(xs) == 0 && len(nulls) == 0 {
		// A found answer without one readable MX record says nothing
		// about the domain, so it must not become a verdict.
		res.Status = TempError
		res.Reason = "MX lookup failed: the answer" + alias + " held no MX record that could be read"
		return res
	}
	if len(xs) == 0 {
		res.Status = NullMX
		res.TTL = mx.TTL
		res.Reason = "null MX" + alias + ": the domain accepts no mail (RFC 7505)"
		if len(nulls) > 1 || nulls[0] != 0 {
			res.Reason += "; the record should be exactly \"MX 0 .\""
		}
		return res
	}

	slices.SortFunc(xs, func(a, b Exchange) int {
		return cmp.Or(cmp.Compare(a.Preference, b.Preference), strings.Compare(a.Host, b.Host))
	})
	// The hosts by what they are worth to a sender, best first; pointers,
	// as a Host is large and most domains are classified in this loop.
	var direct, aliased, failed, dead []*Host
	for i, x := range xs {
		xs[i].Role = RoleBackup
		if x.Preference == xs[0].Preference {
			xs[i].Role = RolePrimary
		}
		h := findHost(hosts, x.Host)
		if h == nil {
			h = &Host{Name: x.Host, Outcome: Failed, Reason: "not looked up"}
		}
		xs[i].Addresses, xs[i].CNAME = h.Addresses, h.CNAME
		switch {
		case h.Public() && h.CNAME == "":
			direct = append(direct, h)
		case h.Public():
			aliased = append(aliased, h)
		case h.Outcome == Failed:
			failed = append(failed, h)
		default:
			dead = append(dead, h)
		}
	}

	var notes []string
	if len(nulls) > 0 {
		notes = append(notes, "a null MX is published beside real exchanges, which RFC 7505 §3 forbids")
	}
	res.TTL = mx.TTL
	switch {
	case len(direct) > 0:
		res.Status = Deliverable
		res.MX = xs
		res.TTL = minTTL(res.TTL, direct)
		res.Reason = strconv.Itoa(len(direct)) + " of " + strconv.Itoa(len(xs)) + " exchanges have a public address"
		if len(aliased) > 0 {
			notes = append(notes, describeAliases(aliased))
		}
	case len(aliased) > 0:
		res.Status = CNAMEMisconfigured
		res.MX = xs
		res.TTL = minTTL(res.TTL, aliased)
		res.Reason = describeAliases(aliased) + ", which RFC 2181 §10.3 forbids for an MX target"
	case len(failed) > 0:
		res.Status = TempError
		res.MX = nil
		res.TTL = 0
		res.Resolver = failed[0].Server
		res.Reason = fmt.Sprintf("no exchange resolved, and the lookup of %s failed: %s", failed[0].Name, failed[0].Reason)
		return res
	default:
		res.Status = DanglingMX
		res.MX = xs
		res.TTL = minTTL(res.TTL, dead)
		parts := make([]string, 0, len(dead))
		for _, h := range dead {
			parts = append(parts, describeDead(h))
		}
		res.Reason = "no exchange has a public address: " + strings.Join(parts, "; ")
	}
	if alias != "" {
		notes = append(notes, "MX found"+alias)
	}
	if len(notes) > 0 {
		res.Reason += "; " + strings.Join(notes, "; ")
	}
	return res
}

func describeAliases(hs []*Host) string {
	parts := make([]string, 0, len(hs))
	for _, h := range hs {
		parts = append(parts, h.Name+" → "+h.CNAME)
	}
	return "exchange is an alias (CNAME): " + strings.Join(parts, ", ")
}

func describeDead(h *Host) string {
	switch {
	case h.Reason != "":
		return h.Name + ": " + h.Reason
	case len(h.Addresses) > 0:
		return fmt.Sprintf("%s has only non-public addresses (%s)", h.Name, joinAddrs(h))
	case h.Outcome == NoName:
		return h.Name + " does not exist"
	}
	return h.Name + " has no A or AAAA record"
}

func joinAddrs(h *Host) string {
	s := make([]string, len(h.Addresses))
	for i, a := range h.Addresses {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func minTTL(ttl uint32, hs []*Host) uint32 {
	for _, h := range hs {
		ttl = min(ttl, h.TTL)
	}
	return ttl
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
