package pipeline

import (
	"hash/maphash"
	"iter"
	"strings"
)

// domainIndex numbers distinct domains in first-seen order. Every row
// looks its domain up, and a list's long tail names domains at random: a
// map[string]int32 misses the CPU's caches for its slot and again for the
// key's bytes, which live elsewhere. Here a slot holds the key's bytes
// beside its hash and index, 32 bytes in one cache line. Domains too long
// for a slot go to a map; most are short.
type domainIndex struct {
	seed  maphash.Seed
	slots []indexSlot // a power of two long, at most three quarters full
	short int         // domains in slots
	long  map[string]int32
}

// inlineLen makes an indexSlot 32 bytes.
const inlineLen = 23

type indexSlot struct {
	tag   uint32 // the hash's high half with the low bit set; 0 if free
	index int32
	n     uint8 // key length
	key   [inlineLen]byte
}

func newDomainIndex() *domainIndex {
	return &domainIndex{seed: maphash.MakeSeed(), slots: make([]indexSlot, 1024), long: make(map[string]int32)}
}

func (x *domainIndex) len() int { return x.short + len(x.long) }

// add returns domain's index. A domain not seen before gets the next one,
// and key is the index's copy of it: the parsed domain may point into a
// whole record.
func (x *domainIndex) add(domain string) (i int32, key string, isNew bool) {
	n := int32(x.len())
	if len(domain) > inlineLen {
		if i, ok := x.long[domain]; ok {
			return i, domain, false
		}
		key = strings.Clone(domain)
		x.long[key] = n
		return n, key, true
	}
	k, tag, found := x.find(domain)
	if found {
		return x.slots[k].index, domain, false
	}
	x.slots[k] = indexSlot{tag: tag, index: n, n: uint8(len(domain))}
	copy(x.slots[k].key[:], domain)
	if x.short++; 4*x.short > 3*len(x.slots) {
		x.grow()
	}
	return n, strings.Clone(domain), true
}

// grow doubles the slots, to keep probes short.
func (x *domainIndex) grow() {
	old := x.slots
	x.slots = make([]indexSlot, 2*len(old))
	mask := len(x.slots) - 1
	for _, s := range old {
		if s.tag == 0 {
			continue
		}
		k := int(maphash.Bytes(x.seed, s.key[:s.n])) & mask
		for x.slots[k].tag != 0 {
			k = (k + 1) & mask
		}
		x.slots[k] = s
	}
}

// find returns the slot of a short domain, or the free slot where it
// would go, with the tag it has.
func (x *domainIndex) find(domain string) (k int, tag uint32, found bool) {
	h := maphash.String(x.seed, domain)
	tag = uint32(h>>32) | 1
	mask := len(x.slots) - 1
	for k = int(h) & mask; x.slots[k].tag != 0; k = (k + 1) & mask {
		if s := &x.slots[k]; s.tag == tag && string(s.key[:s.n]) == domain {
			return k, tag, true
		}
	}
	return k, tag, false
}

// lookup returns domain's index, if it has one.
func (x *domainIndex) lookup(domain string) (int32, bool) {
	if len(domain) > inlineLen {
		i, ok := x.long[domain]
		return i, ok
	}
	k, _, found := x.find(domain)
	return x.slots[k].index, found
}

// counts yields each domain named by at least min rows, with its count
// from uses.
func (x *domainIndex) counts(uses []int32, min int) iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		for _, s := range x.slots {
			if s.tag != 0 && int(uses[s.index]) >= min && !yield(string(s.key[:s.n]), int(uses[s.index])) {
				return
			}
		}
		for d, i := range x.long {
			if int(uses[i]) >= min && !yield(d, int(uses[i])) {
				return
			}
		}
	}
}
