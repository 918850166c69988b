package dnstest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// maxChain bounds how many CNAMEs one answer follows. Real servers stop
// somewhere too (BIND follows 16); without a bound a long chain would
// make one query arbitrarily expensive.
const maxChain = 16

// ErrNoZone is returned by Load and Parse when the input holds no SOA
// record, so there is no zone to serve.
var ErrNoZone = errors.New("dnstest: no zone (no SOA record)")

// Zones is a set of authoritative zones parsed from RFC 1035 zone text.
// It is read-only once built, so one Zones may back several servers at
// once without locking.
type Zones struct {
	zones map[string]*zone // by lower-case apex
}

// zone is the data of one apex. Owner names are stored lower case so a
// lookup costs one map access and, for already lower-case queries, no
// allocation.
type zone struct {
	apex string
	soa  *dns.SOA
	// neg is the SOA put in the authority section of negative answers,
	// with its TTL lowered to min(TTL, MINIMUM) as RFC 2308 §3 requires.
	neg   *dns.SOA
	nodes map[string]*node // includes empty non-terminals
}

// node is one owner name. An empty rrsets map means an empty
// non-terminal: the name exists (NODATA, not NXDOMAIN) because a name
// below it has records.
type node struct {
	rrsets map[uint16][]dns.RR
}

// sourced is a parsed record with the place it came from, so that checks
// made after every file is read can still point at a file and line.
type sourced struct {
	rr   dns.RR
	file string
	line int
}

func (s sourced) where() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

// Load reads zone files and merges them. A zone is rooted at each name
// that has an SOA record; one file may hold several zones ($ORIGIN), and
// a zone's records may be spread over several files. Relative names need
// an $ORIGIN; $INCLUDE is not allowed. Errors name the file and line.
func Load(paths ...string) (*Zones, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("dnstest: load: no zone files given: %w", ErrNoZone)
	}
	var rrs []sourced
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("dnstest: load zone: %w", err)
		}
		rrs, err = readZone(rrs, f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return build(rrs)
}

// Parse builds Zones from zone text held in memory, which keeps a test's
// fixture next to its assertions. name stands for the file name in
// errors.
func Parse(name, text string) (*Zones, error) {
	rrs, err := readZone(nil, strings.NewReader(text), name)
	if err != nil {
		return nil, err
	}
	return build(rrs)
}

// Apexes returns the served zone apexes, lower case and sorted.
func (zs *Zones) Apexes() []string {
	out := make([]string, 0, len(zs.zones))
	for apex := range zs.zones {
		out = append(out, apex)
	}
	slices.Sort(out)
	return out
}

// lineCounter lets us tell which line a record came from: the zone
// parser reads byte by byte through an io.ByteReader and returns a record
// as soon as it has read the newline that ends it, so the newlines read
// so far are the record's (last) line.
type lineCounter struct {
	r    *bufio.Reader
	line int  // newlines read
	last byte // last byte read
	eof  bool
}

func (l *lineCounter) Read(p []byte) (int, error) { return l.r.Read(p) }

func (l *lineCounter) ReadByte() (byte, error) {
	b, err := l.r.ReadByte()
	switch {
	case err == io.EOF:
		l.eof = true
	case err == nil:
		l.last = b
		if b == '\n' {
			l.line++
		}
	}
	return b, err
}

// recordLine is the line of the record the parser just returned.
func (l *lineCounter) recordLine() int {
	if l.eof && l.last != '\n' {
		return l.line + 1 // the last line has no newline
	}
	return l.line
}

func readZone(rrs []sourced, r io.Reader, file string) ([]sourced, error) {
	lc := &lineCounter{r: bufio.NewReader(r)}
	zp := dns.NewZoneParser(lc, "", file)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, sourced{rr: rr, file: file, line: lc.recordLine()})
	}
	if err := zp.Err(); err != nil {
		// dns.ParseError already reads "file: dns: msg: token at line: L:C".
		return nil, fmt.Errorf("dnstest: %w", err)
	}
	return rrs, nil
}

// build turns parsed records into zones: SOAs first (they define the
// apexes), then every record under its closest enclosing apex.
func build(rrs []sourced) (*Zones, error) {
	zs := &Zones{zones: make(map[string]*zone)}
	first := make(map[string]sourced)
	for _, s := range rrs {
		soa, ok := s.rr.(*dns.SOA)
		if !ok {
			continue
		}
		apex := strings.ToLower(soa.Hdr.Name)
		if prev, dup := first[apex]; dup {
			return nil, fmt.Errorf("dnstest: %s: second SOA for zone %s (first at %s)", s.where(), apex, prev.where())
		}
		first[apex] = s
		neg := dns.Copy(soa).(*dns.SOA)
		neg.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
		zs.zones[apex] = &zone{
			apex:  apex,
			soa:   soa,
			neg:   neg,
			nodes: map[string]*node{apex: {rrsets: make(map[uint16][]dns.RR)}},
		}
	}
	if len(zs.zones) == 0 {
		return nil, ErrNoZone
	}
	for _, s := range rrs {
		h := s.rr.Header()
		if h.Class != dns.ClassINET {
			return nil, fmt.Errorf("dnstest: %s: %s has class %s, only IN is served", s.where(), h.Name, dns.Class(h.Class))
		}
		name := strings.ToLower(h.Name)
		z := zs.zoneFor(name)
		if z == nil {
			return nil, fmt.Errorf("dnstest: %s: %s is outside every zone (no SOA at or above it)", s.where(), h.Name)
		}
		if err := z.add(name, s.rr); err != nil {
			return nil, fmt.Errorf("dnstest: %s: %w", s.where(), err)
		}
	}
	return zs, nil
}

// add stores rr at name, creating the empty non-terminals between name
// and the apex. It refuses what nsd and BIND refuse to load: a CNAME next
// to other data, or two CNAMEs at one name (RFC 1034 §3.6.2, RFC 2181
// §10.1), since answers for such names would be ambiguous.
func (z *zone) add(name string, rr dns.RR) error {
	n := z.nodes[name]
	if n == nil {
		n = &node{rrsets: make(map[uint16][]dns.RR)}
		z.nodes[name] = n
		for off, end := dns.NextLabel(name, 0); !end && name[off:] != z.apex; off, end = dns.NextLabel(name, off) {
			if z.nodes[name[off:]] == nil {
				z.nodes[name[off:]] = &node{rrsets: make(map[uint16][]dns.RR)}
			}
		}
	}
	t := rr.Header().Rrtype
	for _, old := range n.rrsets[t] {
		if dns.IsDuplicate(old, rr) {
			return nil // RFC 2181 §5: an RRset holds no duplicates
		}
	}
	if t == dns.TypeCNAME && len(n.rrsets[t]) > 0 {
		return fmt.Errorf("second CNAME at %s", rr.Header().Name)
	}
	if t != dns.TypeCNAME && !cnameCompanion(t) && len(n.rrsets[dns.TypeCNAME]) > 0 ||
		t == dns.TypeCNAME && hasNonCompanion(n) {
		return fmt.Errorf("CNAME and other data at %s", rr.Header().Name)
	}
	n.rrsets[t] = append(n.rrsets[t], rr)
	return nil
}

// cnameCompanion reports whether a type may live next to a CNAME (the
// DNSSEC records that sign or deny it).
func cnameCompanion(t uint16) bool {
	return t == dns.TypeRRSIG || t == dns.TypeNSEC
}

func hasNonCompanion(n *node) bool {
	for t, set := range n.rrsets {
		if len(set) > 0 && !cnameCompanion(t) {
			return true
		}
	}
	return false
}

// zoneFor returns the closest enclosing zone of a lower-case FQDN, or nil.
// It walks suffixes in place, so it does not allocate.
func (zs *Zones) zoneFor(name string) *zone {
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if z := zs.zones[name[off:]]; z != nil {
			return z
		}
	}
	return zs.zones["."]
}

// find returns the node answering name (lower case, inside z) and whether
// it was synthesised from a wildcard. It implements the basic RFC 4592
// rule: a missing name is answered by "*.<closest encloser>" if that
// exists; the closest encloser is the nearest existing ancestor, empty
// non-terminals included, so they block wildcards as RFC 4592 §2.2.2
// says.
func (z *zone) find(name string) (*node, bool) {
	if n := z.nodes[name]; n != nil {
		return n, false
	}
	if name == z.apex {
		return nil, false
	}
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		if z.nodes[name[off:]] == nil {
			continue
		}
		if w := z.nodes["*."+name[off:]]; w != nil {
			return w, true
		}
		return nil, false
	}
	return nil, false
}

// result is the outcome of one lookup before it becomes a message.
type result struct {
	rcode  int
	aa     bool
	answer []dns.RR
	ns     []dns.RR
}

// lookup answers qname/qtype the way an authoritative server does:
// REFUSED outside every zone; the records, or a CNAME chain followed
// through every zone served here; and for the last name of the chain,
// NODATA or NXDOMAIN with the zone's SOA (RFC 2308, RFC 6604).
func (zs *Zones) lookup(qname string, qtype uint16) result {
	name := qname
	lname := strings.ToLower(qname)
	z := zs.zoneFor(lname)
	if z == nil {
		return result{rcode: dns.RcodeRefused}
	}
	res := result{rcode: dns.RcodeSuccess, aa: true}
	var seen []string // a chain is at most maxChain long: a slice beats a map
	for {
		n, wild := z.find(lname)
		if n == nil {
			res.rcode = dns.RcodeNameError
			res.ns = []dns.RR{z.neg}
			return res
		}
		if set := n.rrsets[qtype]; len(set) > 0 {
			res.answer = appendSet(res.answer, set, name, wild)
			return res
		}
		cn := n.rrsets[dns.TypeCNAME]
		if len(cn) == 0 || qtype == dns.TypeCNAME {
			res.ns = []dns.RR{z.neg}
			return res
		}
		res.answer = appendSet(res.answer, cn, name, wild)
		seen = append(seen, lname)
		name = cn[0].(*dns.CNAME).Target
		lname = strings.ToLower(name)
		if len(seen) >= maxChain || slices.Contains(seen, lname) {
			return res // a loop or an over-long chain ends with what we have
		}
		if z = zs.zoneFor(lname); z == nil {
			return res // the client must ask the target's servers
		}
	}
}

// appendSet appends an RRset; records from a wildcard are copied with the
// queried name as owner (RFC 4592 §3.4.1), others are shared read-only.
func appendSet(dst, set []dns.RR, owner string, wild bool) []dns.RR {
	if !wild {
		return append(dst, set...)
	}
	for _, rr := range set {
		c := dns.Copy(rr)
		c.Header().Name = owner
		dst = append(dst, c)
	}
	return dst
}

// Reply builds the authoritative answer to req from the zones alone: no
// faults, no EDNS and no truncation (the Server adds those, as they
// depend on the transport). It lets a test answer queries without a
// socket.
func (zs *Zones) Reply(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	switch {
	case req.Opcode != dns.OpcodeQuery:
		m.Rcode = dns.RcodeNotImplemented
	case q.Qclass != dns.ClassINET:
		m.Rcode = dns.RcodeRefused
	case q.Qtype == dns.TypeANY:
		// RFC 8482 allows refusing ANY; NOTIMP keeps it simple.
		m.Rcode = dns.RcodeNotImplemented
	case q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR:
		m.Rcode = dns.RcodeRefused // transfers are not allowed, as on most servers
	default:
		res := zs.lookup(q.Name, q.Qtype)
		m.Rcode = res.rcode
		m.Authoritative = res.aa
		m.Answer = res.answer
		m.Ns = res.ns
	}
	return m
}
