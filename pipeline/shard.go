package pipeline

// Shard selects the part of a run one process does when a batch engine
// splits a list across machines: the domains whose ShardOf is Index. The
// zero Shard (Count 0) is the whole run.
type Shard struct {
	Index, Count int
}

// Enabled tells a sharded run from a whole one.
func (s Shard) Enabled() bool { return s.Count > 0 }

// ColRow is the column a sharded run adds after all others: the row's
// place in the input, "FILE:ROW" (the input's index from 0, the data row
// from 1), by which mxverify merge puts the shards' rows back in order.
const ColRow = "mx_row"

// ShardOf is the shard, of count, that owns domain: FNV-1a 64 of the
// domain's bytes (the lower-case A-label without a trailing dot, as the
// mx_domain column has it) modulo count; the empty domain of a row without
// one is shard 0. It must give the same answer on every machine, version
// and language, so it is spelled out here rather than taken from
// hash/fnv, and pinned by a table of test vectors.
func ShardOf(domain string, count int) int {
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

// owns tells whether the shard owns a row whose domain is domain.
func (s Shard) owns(domain string) bool {
	return !s.Enabled() || ShardOf(domain, s.Count) == s.Index
}
