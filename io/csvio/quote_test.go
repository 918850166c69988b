package csvio

import (
	"strings"
	"testing"
)

// FuzzHasSpecial checks the eight-bytes-at-a-time scan against the plain
// one, at every alignment.
func FuzzHasSpecial(f *testing.F) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefg,", "abcdefgh\r", "é,\"\n", "\x80\x7f\xff\x01 ;\t"} {
		f.Add(s, byte(','))
	}
	f.Add("a\tb", byte('\t'))
	f.Fuzz(func(t *testing.T, s string, comma byte) {
		for i := range min(len(s), 9) {
			s := s[i:]
			want := strings.ContainsAny(s, "\"\r\n") || strings.IndexByte(s, comma) >= 0
			if got := hasSpecial(s, comma); got != want {
				t.Fatalf("hasSpecial(%q, %q) = %v, want %v", s, comma, got, want)
			}
		}
	})
}
