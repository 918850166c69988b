package shard

import (
	"fmt"
	"hash/fnv"
	"testing"
)

// The vectors come from an implementation outside Go (Python:
// h = 0xcbf29ce484222325; for b in s: h = ((h ^ b) * 0x100000001b3) % 2**64),
// so that a team's own tooling can check its shard split against them.
func TestOfVectors(t *testing.T) {
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
			if got := Of(tt.domain, count); got != want {
				t.Errorf("Of(%q, %d) = %d, want %d", tt.domain, count, got, want)
			}
		}
		if got := Of(tt.domain, 1); got != 0 {
			t.Errorf("Of(%q, 1) = %d, want 0", tt.domain, got)
		}
	}
}

// Every domain has exactly one owner among the shards of a split.
func TestOwnsOnce(t *testing.T) {
	for _, count := range []int{1, 2, 3, 7} {
		for _, d := range []string{"", "a", "b.example.net", "xn--bcher-kva.example"} {
			owners := 0
			for i := range count {
				if (Spec{Index: i, Count: count}).Owns(d) {
					owners++
				}
			}
			if owners != 1 {
				t.Errorf("%q has %d owners among %d shards", d, owners, count)
			}
		}
	}
	if !(Spec{}).Owns("a") {
		t.Error("an unsharded run does not own every domain")
	}
}

// The shards of a split get about as many domains each, even when the
// domains differ in one character only (as generated lists do), so that no
// machine waits on another.
func TestOfSpread(t *testing.T) {
	const domains = 20_000
	tests := []struct {
		name   string
		domain func(i int) string
	}{
		{"numbered", func(i int) string { return fmt.Sprintf("d%d.gen.example.net", i) }},
		{"prefix", func(i int) string { return fmt.Sprintf("shop-%05d.com", i) }},
	}
	for _, tt := range tests {
		for _, count := range []int{2, 3, 7, 16} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, count), func(t *testing.T) {
				per := make([]int, count)
				for i := range domains {
					d := tt.domain(i)
					s := Of(d, count)
					if s != Of(d, count) {
						t.Fatalf("Of(%q, %d) changed between calls", d, count)
					}
					per[s]++
				}
				mean := domains / count
				for s, n := range per {
					// 10% either side: a plain modulo of a poor hash
					// (or of the length) would leave shards nearly empty.
					if n < mean*9/10 || n > mean*11/10 {
						t.Errorf("shard %d of %d has %d of %d domains, want about %d", s, count, n, domains, mean)
					}
				}
			})
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		text  string
		want  Spec
		err   bool
		valid bool
	}{
		{text: "0/4", want: Spec{Index: 0, Count: 4}, valid: true},
		{text: "3/4", want: Spec{Index: 3, Count: 4}, valid: true},
		{text: "0/1", want: Spec{Index: 0, Count: 1}, valid: true},
		// Well formed but out of range: Valid, not Parse, says so.
		{text: "4/4", want: Spec{Index: 4, Count: 4}},
		{text: "-1/4", want: Spec{Index: -1, Count: 4}},
		{text: "0/0", want: Spec{Index: 0, Count: 0}},
		{text: "1-4", err: true},
		{text: "", err: true},
		{text: "off", err: true},
		{text: "1/", err: true},
		{text: "/4", err: true},
		{text: "a/4", err: true},
		{text: "1/b", err: true},
		{text: "1/2/3", err: true},
		{text: " 1/4", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if tt.err {
				want := fmt.Sprintf("%q: want I/N, such as 0/4", tt.text)
				if err == nil || err.Error() != want {
					t.Fatalf("Parse(%q) = %+v, %v; want the error %q", tt.text, got, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
			if got.Valid() != tt.valid {
				t.Errorf("%+v.Valid() = %t, want %t", got, got.Valid(), tt.valid)
			}
		})
	}
}
