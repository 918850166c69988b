package triage

import (
	"math/bits"
	"slices"
)

// maxName is the longest domain name (RFC 1035: 253 octets in text form);
// longer strings are never within reach of one.
const maxName = 253

// osa returns the optimal string alignment distance between a and b, the
// Damerau–Levenshtein distance in which no substring is edited twice:
// insertions, deletions, substitutions and transpositions of adjacent
// bytes, each costing 1. It is computed over bytes, which is exact for
// A-labels. It returns limit+1 as soon as the distance is known to exceed
// limit: every row of the table then has a cell above limit, and since a
// transposition from two rows back costs at least as much as the
// diagonal step through the row between, no later cell can come back
// under it.
func osa(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	if len(a) > maxName || len(b) > maxName {
		return limit + 1
	}
	// Three rows of the table, on the stack: two back for transpositions.
	var rows [3][maxName + 1]int32
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = int32(j)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = int32(i)
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := int32(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if int(rowMin) > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := int(prev[len(b)]); d <= limit {
		return d
	}
	return limit + 1
}

// deleteIndex finds, among a fixed set of words, those within a small
// edit distance of a query without comparing the query with every word
// (the symmetric-delete method of SymSpell): two strings within k edits
// share a string reached from each by at most k deletions. Every word is
// entered under the hashes of its deletion variants; a query looks up
// its own variants and checks each word found with osa. A hash collision
// only adds a word that osa then rejects.
//
// Words of 10 bytes or more are entered with up to two deletions, shorter
// ones with one: a query is allowed two edits only from 12 bytes up (see
// limitFor), and a word within two edits of it is then 10 bytes or more.
type deleteIndex struct {
	words []string
	// keys holds hash<<32 | word number, sorted: 8 bytes a variant.
	keys []uint64
	// filter has a bit set for each hash in keys (its bits under mask):
	// most of a query's variants are in no word, and a bit test turns
	// them away before a binary search. It has eight bits or more a key,
	// so that a list's thousands of words do not fill it.
	filter []uint64
	mask   uint32
}

func newDeleteIndex(words []string) *deleteIndex {
	x := &deleteIndex{words: words}
	for id, w := range words {
		k := 1
		if len(w) >= 10 {
			k = 2
		}
		eachVariant(w, k, func(h uint32) {
			x.keys = append(x.keys, uint64(h)<<32|uint64(id))
		})
	}
	slices.Sort(x.keys)
	x.keys = slices.Compact(x.keys) // a word's repeated letters give repeated variants
	x.keys = slices.Clip(x.keys)
	size := max(1<<20, 1<<bits.Len(uint(8*len(x.keys))))
	x.filter, x.mask = make([]uint64, size/64), uint32(size-1)
	for _, k := range x.keys {
		b := uint32(k>>32) & x.mask
		x.filter[b/64] |= 1 << (b % 64)
	}
	return x
}

// near calls fn with each word within limit edits of q (q itself
// included, if it is a word), each word once, in no particular order.
func (x *deleteIndex) near(q string, limit int, fn func(w string, dist int)) {
	if x == nil || len(x.words) == 0 || len(q) > maxName {
		return
	}
	var seenBuf [32]uint32
	seen := seenBuf[:0]
	eachVariant(q, limit, func(h uint32) {
		if b := h & x.mask; x.filter[b/64]&(1<<(b%64)) == 0 {
			return
		}
		lo, _ := slices.BinarySearch(x.keys, uint64(h)<<32)
		for _, k := range x.keys[lo:] {
			if uint32(k>>32) != h {
				break
			}
			id := uint32(k)
			if slices.Contains(seen, id) {
				continue
			}
			seen = append(seen, id)
			w := x.words[id]
			if d := osa(q, w, limit); d <= limit {
				fn(w, d)
			}
		}
	})
}

// eachVariant calls fn with the hash of s and of every string made by
// deleting one, and (k ≥ 2) two, of its bytes. The hash is polynomial,
// so each variant's comes from s's prefix hashes in a few operations
// rather than a pass over the string; nothing is allocated. s is at most
// maxName bytes.
func eachVariant(s string, k int, fn func(uint32)) {
	const base = 16777619
	n := len(s)
	if n > maxName {
		return
	}
	// pre[i] is the hash of s[:i], pow[e] is base^e: the hash of s[a:c]
	// is pre[c] - pre[a]*pow[c-a], all modulo 2^32.
	var pre, pow [maxName + 1]uint32
	pow[0] = 1
	for i := range n {
		pre[i+1] = pre[i]*base + uint32(s[i])
		pow[i+1] = pow[i] * base
	}
	span := func(a, c int) uint32 { return pre[c] - pre[a]*pow[c-a] }
	fn(mix(pre[n]))
	if k < 1 {
		return
	}
	for i := range n {
		// s without s[i]: s[:i], then s[i+1:].
		fn(mix(pre[i]*pow[n-1-i] + span(i+1, n)))
		if k < 2 {
			continue
		}
		for j := i + 1; j < n; j++ {
			// s without s[i] and s[j].
			fn(mix(pre[i]*pow[n-2-i] + span(i+1, j)*pow[n-1-j] + span(j+1, n)))
		}
	}
}

// mix spreads a polynomial hash's bits (murmur3's finaliser): its low
// bits pick the filter's bit, and unmixed they depend on few of the
// string's. It is a bijection, so equal strings still hash equal.
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
