package dnstest

import (
	"sync"
)

// countKey is a query name (lower case, as asked) and type.
type countKey struct {
	name  string
	qtype uint16
}

// tally is the number of queries for one key, all and over TCP.
type tally struct {
	all, tcp int
}

// counter counts queries. A mutex around one map with a small value type
// costs one lock and no allocation per query after the first of a key,
// which is cheap enough for load tests at tens of thousands of queries
// per second.
type counter struct {
	mu    sync.Mutex
	m     map[countKey]tally
	total int
}

func (c *counter) init() { c.m = make(map[countKey]tally) }

func (c *counter) add(name string, qtype uint16, tcp bool) {
	k := countKey{name, qtype}
	c.mu.Lock()
	t := c.m[k]
	t.all++
	if tcp {
		t.tcp++
	}
	c.m[k] = t
	c.total++
	c.mu.Unlock()
}

// get sums the tallies of name for qtype, or for every type when qtype
// is 0.
func (c *counter) get(name string, qtype uint16) tally {
	name = normalize(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if qtype != 0 {
		return c.m[countKey{name, qtype}]
	}
	var sum tally
	for k, t := range c.m {
		if k.name == name {
			sum.all += t.all
			sum.tcp += t.tcp
		}
	}
	return sum
}

// Queries returns how many queries for name and qtype arrived over UDP
// and TCP, faulted ones included; qtype 0 counts every type. Names are
// compared case-insensitively. Tests use it to assert retries, caching
// and fallbacks.
func (s *Server) Queries(name string, qtype uint16) int {
	return s.counts.get(name, qtype).all
}

// QueriesTCP is Queries counting only queries that arrived over TCP, to
// assert a fallback after truncation.
func (s *Server) QueriesTCP(name string, qtype uint16) int {
	return s.counts.get(name, qtype).tcp
}

// Total returns the number of queries received, over both transports.
func (s *Server) Total() int {
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	return s.counts.total
}

// ResetCounts sets every counter back to zero, for example between the
// warm-up and the measured part of a benchmark.
func (s *Server) ResetCounts() {
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	clear(s.counts.m)
	s.counts.total = 0
}
