package pipeline

import (
	"hash/fnv"
	"testing"
)

// The vectors come from an implementation outside Go (Python:
// h = 0xcbf29ce484222325; for b in s: h = ((h ^ b) * 0x100000001b3) % 2**64),
// so that a team's own tooling can check its shard split against them.
func TestShardOfVectors(t *testing.T) {
	tests := []struct {
		domain string
		hash   uint64
		shards map[int]int // count -> shard
	}{
		{"a", 0xaf63dc4c8601ec8c, map[int]int{2: 0, 3: 1, 7: 5, 1000: 996}},
		{"example.com", 0x576846634e2714c6, map[int]int{2: 0, 3: 2, 7: 1, 1000: 350}},
		{"gmail.com", 0x0f0238c606d7e732, map[int]int{2: 0, 3: 2, 7: 3, 1000: 138}},
		{"xn--bcher-kva.example", 0x7b26509724e3d0d4, map[int]int{2: 0, 3: 1, 7: 0, 1000: 740}},
		{"mxdemo.net", 0x44f55d026fc3276e, map[int]int{2: 0, 3: 2, 7: 1, 1000: 718}},
		// A row without a domain belongs to shard 0 whatever the hash.
		{"", 0xcbf29ce484222325, map[int]int{2: 0, 3: 0, 7: 0, 1000: 0}},
	}
	for _, tt := range tests {
		h := fnv.New64a()
		h.Write([]byte(tt.domain))
		if got := h.Sum64(); got != tt.hash {
			t.Errorf("FNV-1a 64 of %q = %#x, want %#x", tt.domain, got, tt.hash)
		}
		for count, want := range tt.shards {
			if got := ShardOf(tt.domain, count); got != want {
				t.Errorf("ShardOf(%q, %d) = %d, want %d", tt.domain, count, got, want)
			}
		}
		if got := ShardOf(tt.domain, 1); got != 0 {
			t.Errorf("ShardOf(%q, 1) = %d, want 0", tt.domain, got)
		}
	}
}

// Every domain has exactly one owner among the shards of a split.
func TestShardOwnsOnce(t *testing.T) {
	for _, count := range []int{1, 2, 3, 7} {
		for _, d := range []string{"", "a", "b.example.net", "xn--bcher-kva.example"} {
			owners := 0
			for i := range count {
				if (Shard{Index: i, Count: count}).owns(d) {
					owners++
				}
			}
			if owners != 1 {
				t.Errorf("%q has %d owners among %d shards", d, owners, count)
			}
		}
	}
	if !(Shard{}).owns("a") {
		t.Error("an unsharded run does not own every domain")
	}
}
