package triage

import (
	"encoding/binary"
	"hash/maphash"
	"reflect"

	"github.com/mxverify/mxverify/verify"
)

// Seen tells the second and later rows with an address from the first.
// Two addresses are the same when their domains' A-labels are equal and
// their local parts are equal but for the case of ASCII letters, and but
// for quotes that add nothing ("anna"@x.com is anna@x.com). A +tag makes
// another address, and so do a provider's own equivalences (dots in
// Gmail): those are rules of one provider, not of mail.
//
// It keeps 96 bits of a hash of each address, not the address: the
// chance that two of 100 million different addresses are taken for one
// is 5×10¹⁵/2⁹⁶, about 6×10⁻¹⁴. The hash's top 16 bits pick one of
// 65,536 sorted arrays, which hold the other 80 bits in 10 bytes with no
// empty slots: at 10 million addresses, 10.9 bytes an address by its own
// count and 11.9 of live heap (BenchmarkSeen10M), where a Go map of
// 12-byte hashes takes 24, and as fast, since either costs a cache miss
// an address.
//
// The hash is hash/maphash, seeded at random per Seen: it is the fastest
// hash the standard library has, and a random seed means no list can be
// built to collide. The result does not depend on the seed except in the
// collision case above.
//
// The zero value is ready to use. A Seen is not safe for concurrent use:
// one goroutine owns it, as rows must be seen in list order anyway.
type Seen struct {
	seed1, seed2 maphash.Seed
	shards       *[1 << shardBits][]byte // sorted records, made on first use
	n            int
	buf          []byte // the key being hashed
}

const (
	shardBits  = 16
	recordSize = 10 // 64 + 16 bits; with the 16 of the shard, 96
)

// Add records a valid address and reports whether it was recorded
// before. An address with a Problem is never a duplicate, and is not
// recorded.
func (s *Seen) Add(a Address) (dup bool) {
	if a.Problem != NoProblem || a.Domain == "" {
		return false
	}
	if s.shards == nil {
		s.seed1, s.seed2 = maphash.MakeSeed(), maphash.MakeSeed()
		s.shards = new([1 << shardBits][]byte)
	}
	key := s.key(a)
	h1 := maphash.Bytes(s.seed1, key)
	hi, lo := maphash.Bytes(s.seed2, key), uint16(h1)
	shard := &s.shards[h1>>(64-shardBits)]
	recs := *shard
	i := search(recs, hi, lo)
	at := i * recordSize
	if at < len(recs) && binary.LittleEndian.Uint64(recs[at:]) == hi && binary.LittleEndian.Uint16(recs[at+8:]) == lo {
		return true
	}
	if n := len(recs) / recordSize; len(recs)+recordSize > cap(recs) {
		// Grow by an eighth, not append's quarter or double: memory
		// matters more here than the copies, which stay small.
		grown := make([]byte, len(recs), (n+n/8+4)*recordSize)
		copy(grown, recs)
		recs = grown
	}
	recs = recs[:len(recs)+recordSize]
	copy(recs[at+recordSize:], recs[at:])
	binary.LittleEndian.PutUint64(recs[at:], hi)
	binary.LittleEndian.PutUint16(recs[at+8:], lo)
	*shard = recs
	s.n++
	return false
}

// search returns the index of the first record in recs not below
// (hi, lo). Its cost is the first cache miss in the shard, as it would be
// in any table of this size: starting from where a uniform hash should
// be and galloping out saved nothing measurable (BenchmarkSeenAdd).
func search(recs []byte, hi uint64, lo uint16) int {
	n := len(recs) / recordSize
	below := func(m int) bool { // record m < (hi, lo)
		r := recs[m*recordSize:]
		h := binary.LittleEndian.Uint64(r)
		return h < hi || h == hi && binary.LittleEndian.Uint16(r[8:]) < lo
	}
	i, j := 0, n
	for i < j {
		m := int(uint(i+j) >> 1)
		if below(m) {
			i = m + 1
		} else {
			j = m
		}
	}
	return i
}

// Len is the number of different addresses recorded.
func (s *Seen) Len() int { return s.n }

// Bytes is the memory the records and their index hold, for memory
// accounting: capacity of the arrays plus the index of them.
func (s *Seen) Bytes() int {
	if s.shards == nil {
		return 0
	}
	n := int(reflect.TypeFor[[1 << shardBits][]byte]().Size())
	for _, r := range s.shards {
		n += cap(r)
	}
	return n
}

// key writes the comparison form of an address into s.buf.
func (s *Seen) key(a Address) []byte {
	local := a.Local
	if plain, ok := unquoteLocal(local); ok {
		local = plain
	}
	b := s.buf[:0]
	for i := 0; i < len(local); i++ {
		c := local[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, '@')
	b = append(b, a.Domain...)
	s.buf = b
	return b
}

// unquoteLocal returns the content of a quoted local part that needs no
// quotes: the quotes are not part of a quoted string (RFC 5322 §3.2.4),
// so "anna" and anna are the same local part.
func unquoteLocal(local string) (string, bool) {
	if len(local) < 3 || local[0] != '"' || local[len(local)-1] != '"' {
		return "", false
	}
	plain := local[1 : len(local)-1]
	for i := 0; i < len(plain); i++ {
		if plain[i] == '"' || plain[i] == '\\' {
			return "", false
		}
	}
	if _, err := verify.Address(plain + "@" + standIn); err != nil {
		return "", false
	}
	return plain, true
}
