// Package intern keeps one copy of strings that repeat: a reason shared by
// thousands of domains, a provider's mail host named in thousands of
// answers.
package intern

// Strings maps each value to the copy of it kept. It stops keeping at its
// bound, so a stream of values that never repeat costs it lookups and no
// memory. It is not safe for concurrent use.
type Strings struct {
	m     map[string]string
	bound int
}

// New returns a Strings that keeps at most bound values.
func New(bound int) *Strings {
	return &Strings{m: make(map[string]string), bound: bound}
}

// String returns the kept copy of s, keeping s if there is none.
func (t *Strings) String(s string) string {
	if k, ok := t.m[s]; ok {
		return k
	}
	return t.keep(s)
}

// Bytes is String for b, without making a string of b when a copy is kept.
func (t *Strings) Bytes(b []byte) string {
	if k, ok := t.m[string(b)]; ok {
		return k
	}
	return t.keep(string(b))
}

func (t *Strings) keep(s string) string {
	if len(t.m) < t.bound {
		t.m[s] = s
	}
	return s
}
