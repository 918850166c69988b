// Package shard splits one run across machines by domain, so that each
// process verifies only its share of the list's domains; its subpackage
// merge joins the shards' outputs back into what the unsharded run would
// have written.
package shard

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec selects the part of a run one process does when a batch engine
// splits a list across machines: the domains whose Of is Index. The zero
// Spec (Count 0) is the whole run.
type Spec struct {
	Index, Count int
}

// Enabled tells a sharded run from a whole one.
func (s Spec) Enabled() bool { return s.Count > 0 }

// Valid tells whether Index is one of Count shards. Parse leaves it to the
// caller, which may take the count from elsewhere (a batch engine's
// variables) and name that source in its message.
func (s Spec) Valid() bool { return s.Count >= 1 && s.Index >= 0 && s.Index < s.Count }

// Owns tells whether the shard owns a row whose domain is domain; a
// whole run owns every row.
func (s Spec) Owns(domain string) bool {
	return !s.Enabled() || Of(domain, s.Count) == s.Index
}

// Parse reads the I/N form of a shard (2/4: the third of four). It checks
// the form only; see Valid.
func Parse(text string) (Spec, error) {
	i, n, ok := strings.Cut(text, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Spec{}, fmt.Errorf("%q: want I/N, such as 0/4", text)
	}
	return Spec{Index: index, Count: count}, nil
}

// Of is the shard, of count, that owns domain: FNV-1a 64 of the domain's
// bytes (the lower-case A-label without a trailing dot, as the mx_domain
// column has it) modulo count; the empty domain of a row without one is
// shard 0. It must give the same answer on every machine, version and
// language, so it is spelled out here rather than taken from hash/fnv,
// and pinned by a table of test vectors.
func Of(domain string, count int) int {
	if domain == "" || count <= 1 {
		return 0
	}
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(domain); i++ {
		h ^= uint64(domain[i])
		h *= prime
	}
	return int(h % uint64(count))
}
