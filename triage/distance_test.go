package triage

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestOSA(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"gmail.com", "gmail.com", 0},
		{"gmial.com", "gmail.com", 1}, // transposition
		{"gmai.com", "gmail.com", 1},  // deletion
		{"gmaill.com", "gmail.com", 1},
		{"gmsil.com", "gmail.com", 1}, // substitution
		{"gamil.com", "gmail.com", 1},
		{"hotmial.com", "hotmail.com", 1},
		{"gmial.con", "gmail.com", 2},
		{"ab", "ba", 1},
		{"ca", "abc", 3}, // 2 in unrestricted Damerau–Levenshtein: OSA edits no substring twice
		{"abc", "", 3},
		{"gmx.de", "gmx.net", 2},
	}
	for _, tt := range tests {
		if got := osa(tt.a, tt.b, 10); got != tt.want {
			t.Errorf("osa(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := osa(tt.b, tt.a, 10); got != tt.want {
			t.Errorf("osa(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
		// Above the limit, limit+1.
		for limit := range 3 {
			if got, want := osa(tt.a, tt.b, limit), min(tt.want, limit+1); got != want {
				t.Errorf("osa(%q, %q, limit %d) = %d, want %d", tt.a, tt.b, limit, got, want)
			}
		}
	}
	if got := osa(strings.Repeat("a", 300), strings.Repeat("a", 300), 2); got != 3 {
		t.Errorf("osa of names too long to be domains = %d, want 3", got)
	}
}

// fullOSA is the textbook table, for checking osa's early exit.
func fullOSA(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// randomTypo makes up to n random edits of s over a small alphabet, so
// that near strings are common.
func randomTypo(r *rand.Rand, s string, n int) string {
	const alphabet = "abc."
	b := []byte(s)
	for range r.IntN(n + 1) {
		i := r.IntN(len(b) + 1)
		switch r.IntN(4) {
		case 0:
			b = slices.Insert(b, i, alphabet[r.IntN(len(alphabet))])
		case 1:
			if i < len(b) {
				b = slices.Delete(b, i, i+1)
			}
		case 2:
			if i < len(b) {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
		case 3:
			if i+1 < len(b) {
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
	}
	return string(b)
}

func randomWord(r *rand.Rand) string {
	b := make([]byte, 1+r.IntN(14))
	for i := range b {
		b[i] = "abc."[r.IntN(4)]
	}
	return string(b)
}

func TestOSAMatchesTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a := randomWord(r)
		b := randomTypo(r, a, 4)
		full := fullOSA(a, b)
		for limit := range 4 {
			if got, want := osa(a, b, limit), min(full, limit+1); got != want {
				t.Fatalf("osa(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
			}
		}
	}
}

// The index finds exactly the words a scan of all of them finds.
func TestDeleteIndexMatchesScan(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := make([]string, 0, 500)
	for range cap(words) {
		if w := randomWord(r); !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	x := newDeleteIndex(words)
	for range 20000 {
		q := randomTypo(r, words[r.IntN(len(words))], 3)
		limit := limitFor(q)
		var got, want []string
		x.near(q, limit, func(w string, d int) {
			if d != osa(q, w, limit) {
				t.Fatalf("near(%q) gave %q at %d, osa says %d", q, w, d, osa(q, w, limit))
			}
			got = append(got, w)
		})
		for _, w := range words {
			// Only words long enough to be within the limit are indexed
			// with two deletions (see deleteIndex).
			if osa(q, w, limit) <= limit {
				want = append(want, w)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("near(%q, %d) = %q, scan finds %q", q, limit, got, want)
		}
	}
}

// Each deletion variant hashes as the string it is, so the index and a
// query meet on equal strings however each was reached.
func TestEachVariantHashesTheString(t *testing.T) {
	hash := func(s string) (h uint32) {
		eachVariant(s, 0, func(v uint32) { h = v })
		return h
	}
	for _, s := range []string{"", "a", "ab", "gmail.com", "gmial.com", "a-much-longer-name.example.co.uk"} {
		want := []uint32{hash(s)}
		for i := range len(s) {
			want = append(want, hash(s[:i]+s[i+1:]))
			for j := i + 1; j < len(s); j++ {
				want = append(want, hash(s[:i]+s[i+1:j]+s[j+1:]))
			}
		}
		var got []uint32
		eachVariant(s, 2, func(h uint32) { got = append(got, h) })
		if !slices.Equal(got, want) {
			t.Errorf("%q: variants hash %v, their strings %v", s, got, want)
		}
	}
	if hash("gmail.com") == hash("gmial.com") || hash("ab") == hash("ba") {
		t.Error("different strings hash equal")
	}
}
