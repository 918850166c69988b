package verify

import (
	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/internal/intern"
)

// Reply is what the resolver reads of a DNS response. Answers are unpacked
// on the socket's reading goroutine, and a full dns.Msg of a typical
// authoritative answer is two dozen allocations, most of them authority
// and glue records that nothing reads: more than half of all a run
// allocated. parseReply decodes what is read, checks the rest, and leaves
// any message it does not fully understand to miekg/dns (replyOf), so the
// two always agree (FuzzParseReply).
type Reply struct {
	ID                                 uint16
	Rcode                              int
	Response, Authoritative, Truncated bool
	// EDNS tells that the server sent an OPT record: a FORMERR without
	// one is the mark of a server that does not know EDNS.
	EDNS bool
	// Question is the first question, Questions how many there were.
	Question  dns.Question
	Questions int
	// Answer holds the answer section's A, AAAA, MX and CNAME records,
	// the only types the resolver asks for or follows; Answers counts
	// every record of the section.
	Answer  []dns.RR
	Answers int
	// NS and SOA tell whether the authority section holds records of
	// those types: a referral has NS without SOA.
	NS, SOA bool
	// NegTTL is how long a negative answer may be cached (RFC 2308 §5):
	// the smaller of the first SOA record's TTL and its MINIMUM field, or
	// 0 without an SOA.
	NegTTL uint32

	// answer is Answer's storage for the usual one or two records, so
	// that a reply is one allocation.
	answer [2]dns.RR
}

// replyOf takes what the resolver reads from a message miekg/dns unpacked
// (the TCP path, and answers parseReply leaves to it).
func replyOf(m *dns.Msg) *Reply {
	r := &Reply{
		ID:            m.Id,
		Rcode:         m.Rcode,
		Response:      m.Response,
		Authoritative: m.Authoritative,
		Truncated:     m.Truncated,
		EDNS:          m.IsEdns0() != nil,
		Questions:     len(m.Question),
		Answers:       len(m.Answer),
	}
	r.Answer = r.answer[:0]
	if len(m.Question) > 0 {
		r.Question = m.Question[0]
	}
	for _, rr := range m.Answer {
		switch rr.(type) {
		case *dns.A, *dns.AAAA, *dns.MX, *dns.CNAME:
			r.Answer = append(r.Answer, rr)
		}
	}
	for _, rr := range m.Ns {
		switch rr := rr.(type) {
		case *dns.SOA:
			if !r.SOA {
				r.SOA = true
				r.NegTTL = min(rr.Hdr.Ttl, rr.Minttl)
			}
		case *dns.NS:
			r.NS = true
		}
	}
	return r
}

// unpackReply reads a response from the wire: parseReply when it can,
// miekg/dns otherwise.
func unpackReply(b []byte, qname string, names *intern.Strings) (*Reply, error) {
	if r, ok := parseReply(b, qname, names); ok {
		return r, nil
	}
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		return nil, err
	}
	return replyOf(m), nil
}

// Limits miekg/dns puts on names (RFC 1035 §2.3.4): a name whose labels
// and their length octets reach 255 octets is refused, and so is one that
// follows more than 126 compression pointers.
const (
	maxNameBudget = 255
	maxPointers   = (maxNameBudget+1)/2 - 2
)

// parseReply decodes a response without miekg/dns. It takes only what it
// can decode exactly as miekg would: one question, every section complete,
// records of types A, AAAA, MX, CNAME, NS and SOA, a bare OPT record, and
// names that need no escaping in presentation form. Anything else (ok
// false) goes to miekg/dns, which decodes it or reports what is wrong.
//
// qname is the name the query asked for: a name in the reply spelled the
// same way shares its string instead of allocating a copy, and so do names
// in names, which remembers mail hosts across replies: a socket's reader
// keeps one, since provider hosts recur in thousands of answers.
func parseReply(b []byte, qname string, names *intern.Strings) (r *Reply, ok bool) {
	if len(b) < 12 {
		return nil, false
	}
	qd, an := u16(b[4:]), int(u16(b[6:]))
	ns, ar := int(u16(b[8:])), int(u16(b[10:]))
	if qd != 1 {
		return nil, false
	}
	p := parser{b: b, off: 12, qname: qname, names: names}
	bits := u16(b[2:])
	r = &Reply{
		ID:            u16(b),
		Rcode:         int(bits & 0xF),
		Response:      bits&(1<<15) != 0,
		Authoritative: bits&(1<<10) != 0,
		Truncated:     bits&(1<<9) != 0,
		Questions:     1,
		Answers:       an,
	}
	r.Answer = r.answer[:0]
	name, ok := p.name()
	if !ok || p.off+4 > len(b) {
		return nil, false
	}
	r.Question = dns.Question{Name: p.str(name), Qtype: u16(b[p.off:]), Qclass: u16(b[p.off+2:])}
	p.off += 4
	for i := range an + ns + ar {
		var section byte
		switch {
		case i < an:
			section = 'a'
		case i < an+ns:
			section = 'n'
		default:
			section = 'x'
		}
		if !p.record(r, section) {
			return nil, false
		}
	}
	return r, true
}

// parser walks a message, keeping the offset of the next field.
type parser struct {
	b     []byte
	off   int
	qname string
	names *intern.Strings
	// buf holds the presentation form of the last name read.
	buf [maxNameBudget + 1]byte
}

func u16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

func u32(b []byte) uint32 { return uint32(u16(b))<<16 | uint32(u16(b[2:])) }

// record reads one resource record of the section ('a'nswer,
// authority 'n', or e'x'tra) into r.
func (p *parser) record(r *Reply, section byte) bool {
	owner, ok := p.name()
	if !ok || p.off+10 > len(p.b) {
		return false
	}
	h := dns.RR_Header{
		Rrtype:   u16(p.b[p.off:]),
		Class:    u16(p.b[p.off+2:]),
		Ttl:      u32(p.b[p.off+4:]),
		Rdlength: u16(p.b[p.off+8:]),
	}
	start := p.off + 10
	end := start + int(h.Rdlength)
	if end > len(p.b) {
		return false
	}
	keep := section == 'a'
	if keep {
		h.Name = p.str(owner)
	}
	p.off = start
	var rr dns.RR
	switch h.Rrtype {
	case dns.TypeA:
		if h.Rdlength != 4 {
			return false
		}
		if keep {
			a := new(rrA)
			copy(a.ip[:], p.b[start:end])
			a.rr = dns.A{Hdr: h, A: a.ip[:]}
			rr = &a.rr
		}
		p.off = end
	case dns.TypeAAAA:
		if h.Rdlength != 16 {
			return false
		}
		if keep {
			a := new(rrAAAA)
			copy(a.ip[:], p.b[start:end])
			a.rr = dns.AAAA{Hdr: h, AAAA: a.ip[:]}
			rr = &a.rr
		}
		p.off = end
	case dns.TypeMX:
		if h.Rdlength < 3 {
			return false
		}
		p.off += 2
		host, ok := p.name()
		if !ok {
			return false
		}
		if keep {
			rr = &dns.MX{Hdr: h, Preference: u16(p.b[start:]), Mx: p.names.Bytes(host)}
		}
	case dns.TypeCNAME, dns.TypeNS:
		target, ok := p.name()
		if !ok {
			return false
		}
		if h.Rrtype == dns.TypeNS {
			r.NS = r.NS || section == 'n'
		} else if keep {
			rr = &dns.CNAME{Hdr: h, Target: p.str(target)}
		}
	case dns.TypeSOA:
		if _, ok := p.name(); !ok {
			return false
		}
		if _, ok := p.name(); !ok || p.off+20 != end {
			return false
		}
		if section == 'n' && !r.SOA {
			r.SOA = true
			r.NegTTL = min(h.Ttl, u32(p.b[p.off+16:]))
		}
		p.off = end
	case dns.TypeOPT:
		// Options, and the extended rcode in the TTL, change what miekg
		// reports: those replies are its to read.
		if section != 'x' || h.Rdlength != 0 || h.Ttl>>24 != 0 || r.EDNS {
			return false
		}
		r.EDNS = true
	default:
		return false
	}
	if p.off != end {
		return false
	}
	// An NS or SOA record in the answer section is counted in Answers,
	// not kept: the resolver never asks for those types.
	if rr != nil {
		r.Answer = append(r.Answer, rr)
	}
	return true
}

// rrA and rrAAAA hold a record and its address in one allocation.
type rrA struct {
	rr dns.A
	ip [4]byte
}

type rrAAAA struct {
	rr dns.AAAA
	ip [16]byte
}

// name reads the name at p.off into p.buf in presentation form and moves
// p.off past it. It refuses (false) names that miekg would escape or
// refuse, and compression pointers that do not point back, which no
// server needs and which would make loops possible.
func (p *parser) name() ([]byte, bool) {
	b, off, n := p.b, p.off, 0
	next := -1
	budget, pointers := maxNameBudget, 0
	for {
		if off >= len(b) {
			return nil, false
		}
		c := int(b[off])
		switch c & 0xC0 {
		case 0x00:
			if c == 0 {
				if next < 0 {
					next = off + 1
				}
				p.off = next
				if n == 0 {
					p.buf[0] = '.'
					n = 1
				}
				return p.buf[:n], true
			}
			off++
			if off+c > len(b) {
				return nil, false
			}
			if budget -= c + 1; budget <= 0 {
				return nil, false
			}
			for _, x := range b[off : off+c] {
				if !plainNameByte[x] {
					return nil, false
				}
			}
			n += copy(p.buf[n:], b[off:off+c])
			p.buf[n] = '.'
			n++
			off += c
		case 0xC0:
			if off+1 >= len(b) {
				return nil, false
			}
			target := (c&0x3F)<<8 | int(b[off+1])
			if next < 0 {
				next = off + 2
			}
			if pointers++; pointers > maxPointers || target >= off {
				return nil, false
			}
			off = target
		default:
			return nil, false
		}
	}
}

// plainNameByte marks the bytes miekg/dns writes into a name as they are:
// printable ASCII other than its special characters.
var plainNameByte = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = true
	}
	for _, c := range []byte(".'@;()\"\\") {
		t[c] = false
	}
	return t
}()

// str returns name as a string, sharing the query's own name when they
// are spelled the same.
func (p *parser) str(name []byte) string {
	if string(name) == p.qname {
		return p.qname
	}
	return p.names.Bytes(name)
}
