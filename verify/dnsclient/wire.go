package dnsclient

import (
	"encoding/binary"
	"slices"

	"github.com/miekg/dns"
)

// unpack reads a UDP reply as miekg/dns does, except that of the authority
// and additional sections it keeps only what a caller reads: SOA records
// (a negative answer's TTL), NS records beside an empty answer (a
// referral) and the OPT record. Servers add NS records and addresses to
// most answers, and building all of them as dns.RRs took a fifth of a
// direct run's CPU time (benchmarks/README.md).
func unpack(b []byte) (*dns.Msg, error) {
	if m, ok := unpackSome(b); ok {
		return m, nil
	}
	m := new(dns.Msg)
	err := m.Unpack(b)
	m.Ns = slices.DeleteFunc(m.Ns, func(rr dns.RR) bool { return !read(m, true, rr.Header().Rrtype) })
	m.Extra = slices.DeleteFunc(m.Extra, func(rr dns.RR) bool { return !read(m, false, rr.Header().Rrtype) })
	return m, err
}

// read tells the records of m's authority section, or of its additional
// one, that callers read.
func read(m *dns.Msg, authority bool, rrtype uint16) bool {
	if authority {
		return rrtype == dns.TypeSOA || rrtype == dns.TypeNS && len(m.Answer) == 0
	}
	return rrtype == dns.TypeOPT
}

// unpackSome reads the records a caller reads, and skips the others. It
// has miekg read the header, the names and each record's data as it
// would; only an owner that points at the question, as most do, shares
// its string. Whatever it does not expect (ok false) is left to miekg.
func unpackSome(b []byte) (m *dns.Msg, ok bool) {
	m = new(dns.Msg)
	if len(b) < 12 || m.Unpack(b[:12]) != nil || binary.BigEndian.Uint16(b[4:]) != 1 {
		return nil, false
	}
	an, ns, ar := int(binary.BigEndian.Uint16(b[6:])), int(binary.BigEndian.Uint16(b[8:])), int(binary.BigEndian.Uint16(b[10:]))
	qname, off, err := dns.UnpackDomainName(b, 12)
	if err != nil || off+4 > len(b) {
		return nil, false
	}
	m.Question = []dns.Question{{Name: qname, Qtype: binary.BigEndian.Uint16(b[off:]), Qclass: binary.BigEndian.Uint16(b[off+2:])}}
	off += 4
	if an > 0 {
		m.Answer = make([]dns.RR, 0, min(an, len(b)/11)) // a record takes 11 octets at least
	}
	for i := 0; i < an+ns+ar && off != len(b); i++ { // like miekg, stop at the end
		rrtype, next := skipRR(b, off)
		if next < 0 {
			return nil, false
		}
		if i < an || read(m, i < an+ns, rrtype) {
			owner, hdr := qname, off+2
			if b[off] != 0xC0 || b[off+1] != 12 {
				if owner, hdr, err = dns.UnpackDomainName(b, off); err != nil {
					return nil, false
				}
			}
			h := dns.RR_Header{Name: owner, Rrtype: rrtype, Class: binary.BigEndian.Uint16(b[hdr+2:]),
				Ttl: binary.BigEndian.Uint32(b[hdr+4:]), Rdlength: uint16(next - hdr - 10)}
			rr, _, err := dns.UnpackRRWithHeader(h, b[:next], hdr+10)
			if err != nil {
				return nil, false
			}
			switch {
			case i < an:
				m.Answer = append(m.Answer, rr)
			case i < an+ns:
				m.Ns = append(m.Ns, rr)
			default:
				m.Extra = append(m.Extra, rr)
			}
		}
		off = next
	}
	if opt := m.IsEdns0(); opt != nil {
		m.Rcode |= opt.ExtendedRcode()
	}
	return m, true
}

// skipRR returns the type of the record at off and the offset just past
// it, or -1 if it runs past the message.
func skipRR(b []byte, off int) (uint16, int) {
	off = skipName(b, off)
	if off < 0 || off+10 > len(b) {
		return 0, -1
	}
	end := off + 10 + int(binary.BigEndian.Uint16(b[off+8:]))
	if end > len(b) {
		return 0, -1
	}
	return binary.BigEndian.Uint16(b[off:]), end
}

// skipName returns the offset just past the name at off, or -1.
func skipName(b []byte, off int) int {
	for off >= 0 && off < len(b) {
		switch c := int(b[off]); c & 0xC0 {
		case 0x00:
			if c == 0 {
				return off + 1
			}
			off += 1 + c
		case 0xC0:
			return off + 2
		default:
			return -1
		}
	}
	return -1
}
