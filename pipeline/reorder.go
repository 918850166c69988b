package pipeline

// reorder puts results back in first-seen order. They arrive within a
// window after the next one due, as wide as the domains being verified, so
// a ring indexed by position does what a map did, without hashing and
// copying each result into and out of a map's slot: the map was a third
// of collect's time.
type reorder struct {
	next int    // the index due
	ring []done // index i at i % len(ring), for i in [next, next+len(ring))
	have []bool
}

func (r *reorder) put(d done) {
	for d.index-r.next >= len(r.ring) {
		r.grow()
	}
	k := d.index & (len(r.ring) - 1)
	r.ring[k], r.have[k] = d, true
}

// pop returns the result due, if it is in.
func (r *reorder) pop() (done, bool) {
	if len(r.ring) == 0 {
		return done{}, false
	}
	k := r.next & (len(r.ring) - 1)
	if !r.have[k] {
		return done{}, false
	}
	d := r.ring[k]
	r.ring[k], r.have[k] = done{}, false
	r.next++
	return d, true
}

// grow doubles the ring, keeping its length a power of two.
func (r *reorder) grow() {
	n := max(2*len(r.ring), 256)
	ring, have := make([]done, n), make([]bool, n)
	for i := r.next; i < r.next+len(r.ring); i++ {
		if k := i & (len(r.ring) - 1); r.have[k] {
			ring[i&(n-1)], have[i&(n-1)] = r.ring[k], true
		}
	}
	r.ring, r.have = ring, have
}
