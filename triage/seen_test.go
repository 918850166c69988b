package triage

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"hash/maphash"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

func mustParse(t testing.TB, raw string) Address {
	t.Helper()
	a, err := Parse(raw)
	if err != nil && !a.Problem.DomainOnly() && a.Problem == NoProblem {
		t.Fatalf("Parse(%q): %v", raw, err)
	}
	return a
}

func TestSeen(t *testing.T) {
	var s Seen
	for _, tt := range []struct {
		raw string
		dup bool
	}{
		{"anna@gmail.com", false},
		{"anna@gmail.com", true},
		{"ANNA@GMAIL.COM", true},              // ASCII case, both parts
		{"Anna Smith <Anna@Gmail.com>", true}, // what Parse peels off
		{"mailto:anna@gmail.com", true},
		{`"anna"@gmail.com`, true},     // quotes that add nothing
		{"anna+news@gmail.com", false}, // a +tag is another address
		{"a.nna@gmail.com", false},     // so are Gmail's dots
		{"anna@googlemail.com", false}, // and another domain
		{"anna@bücher.de", false},
		{"anna@xn--bcher-kva.de", true}, // the same domain as an A-label
		{"anna@BÜCHER.de", true},
		{"Ánna@gmail.com", false}, // only ASCII letters fold
		{"ánna@gmail.com", false},
		{"Ánna@gmail.com", true},
		{`"a b"@gmail.com`, false}, // quotes that matter stay
		{`"a b"@gmail.com`, true},
		{`"A B"@gmail.com`, true},
		{"a b@gmail.com", false}, // no address, never a duplicate
		{"a b@gmail.com", false},
		{"", false},
		{"", false},
		{"anna@gmail,com", false},
		{"anna@gmail,com", false},
	} {
		if got := s.Add(mustParse(t, tt.raw)); got != tt.dup {
			t.Errorf("Add(%q) = %v, want %v", tt.raw, got, tt.dup)
		}
	}
	if s.Len() != 8 {
		t.Errorf("Len() = %d, want 8", s.Len())
	}
}

// Many addresses: every one is new the first time and a duplicate the
// second, whatever order they come back in, and the shards stay sorted.
func TestSeenMany(t *testing.T) {
	var s Seen
	const n = 200_000
	addr := func(i int) Address {
		return Address{Local: "user" + strconv.Itoa(i), Domain: "example" + strconv.Itoa(i%997) + ".com"}
	}
	for i := range n {
		if s.Add(addr(i)) {
			t.Fatalf("address %d taken for a duplicate on first sight", i)
		}
	}
	for _, i := range rand.Perm(n) {
		if !s.Add(addr(i)) {
			t.Fatalf("address %d not a duplicate on second sight", i)
		}
	}
	if s.Len() != n {
		t.Errorf("Len() = %d, want %d", s.Len(), n)
	}
	for k, recs := range s.shards {
		for i := recordSize; i < len(recs); i += recordSize {
			a, b := recs[i-recordSize:], recs[i:]
			ha, hb := binary.LittleEndian.Uint64(a), binary.LittleEndian.Uint64(b)
			if ha > hb || ha == hb && binary.LittleEndian.Uint16(a[8:]) >= binary.LittleEndian.Uint16(b[8:]) {
				t.Fatalf("shard %d not strictly sorted at record %d", k, i/recordSize)
			}
		}
	}
	if per := float64(s.Bytes()) / n; per > 30 {
		t.Errorf("%.1f bytes an address at %d addresses", per, n)
	}
}

func TestSeenZeroValue(t *testing.T) {
	var s Seen
	if s.Len() != 0 || s.Bytes() != 0 {
		t.Errorf("a new Seen holds %d addresses in %d bytes", s.Len(), s.Bytes())
	}
}

func BenchmarkSeenAdd(b *testing.B) {
	// New addresses all along, as in a list, without allocating them in
	// the loop: 2^20 local parts times 64 domains.
	locals := make([]string, 1<<20)
	for i := range locals {
		locals[i] = "Firstname.Lastname" + strconv.Itoa(i)
	}
	var domains [64]string
	for i := range domains {
		domains[i] = "example" + strconv.Itoa(i) + ".com"
	}
	var s Seen
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Add(Address{Local: locals[i&(len(locals)-1)], Domain: domains[i>>20&63]})
		i++
	}
	b.ReportMetric(float64(s.Bytes())/float64(s.Len()), "bytes/address")
}

// BenchmarkSeen10M measures what Seen holds for 10 million different
// addresses: bytes/address is its own count (Bytes), heap-bytes/address
// the live heap it adds, after a collection. Run it alone:
//
//	go test -run '^$' -bench Seen10M -benchtime 1x ./triage/
func BenchmarkSeen10M(b *testing.B) {
	const n = 10_000_000
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		s := new(Seen)
		buf := make([]byte, 0, 64)
		for i := range n {
			buf = strconv.AppendInt(append(buf[:0], "user"...), int64(i), 10)
			s.Add(Address{Local: string(buf), Domain: "example.com"})
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(s.Bytes())/n, "bytes/address")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/address")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "allocated-bytes/address")
		runtime.KeepAlive(s)
	}
}

// BenchmarkKeyHash compares the hashes Seen could use on a typical key.
// maphash (two seeds for 128 bits) is what it uses.
func BenchmarkKeyHash(b *testing.B) {
	key := []byte("firstname.lastname1234@example.com")
	b.Run("maphash-2x64", func(b *testing.B) {
		s1, s2 := maphash.MakeSeed(), maphash.MakeSeed()
		b.ReportAllocs()
		for b.Loop() {
			_ = maphash.Bytes(s1, key) ^ maphash.Bytes(s2, key)
		}
	})
	b.Run("fnv-128a", func(b *testing.B) {
		h := fnv.New128a()
		var sum [16]byte
		b.ReportAllocs()
		for b.Loop() {
			h.Reset()
			h.Write(key)
			h.Sum(sum[:0])
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = sha256.Sum256(key)
		}
	})
}

func ExampleSeen_Add() {
	var seen Seen
	for _, cell := range []string{"anna@gmail.com", "Anna <ANNA@gmail.com>", "anna+news@gmail.com", "anna@gmail.com"} {
		a, _ := Parse(cell)
		fmt.Println(seen.Add(a))
	}
	// Output:
	// false
	// true
	// false
	// true
}
