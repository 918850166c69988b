package dnstest

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// AllNames, passed as the name to a fault method, makes the fault apply
// to every query name (a per-name fault still takes precedence). It is
// the bare "*", not the wildcard owner "*.zone.".
const AllNames = "*"

// action is what a fault does instead of, or to, the normal answer.
// Actions replace each other; Delay and FailFirst combine with them.
type action uint8

const (
	actNone action = iota
	actServFail
	actRefuse
	actDrop
	actTruncate
	actMismatch
	actNotImp
	actNoEDNS
)

// faultKey selects queries: a lower-case FQDN (or AllNames) and a qtype,
// 0 meaning every type.
type faultKey struct {
	name  string
	qtype uint16
}

// fault is the configured misbehaviour for one key.
type fault struct {
	action    action
	delay     time.Duration
	failFirst int // SERVFAILs still to send before answering normally
	// failNow is set on the copy match returns when this query is one of
	// the failFirst ones.
	failNow bool
}

// faultTable holds the faults of one server. n lets the hot path skip
// the lock entirely while no fault is set, which is the benchmark case.
type faultTable struct {
	n  atomic.Int32
	mu sync.Mutex
	m  map[faultKey]*fault
}

func (t *faultTable) init() { t.m = make(map[faultKey]*fault) }

// match returns the fault for a query, most specific key first: name and
// type, name, AllNames and type, AllNames. Only that one entry applies.
// It also consumes one FailFirst failure.
func (t *faultTable) match(name string, qtype uint16) fault {
	if t.n.Load() == 0 {
		return fault{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range [...]faultKey{{name, qtype}, {name, 0}, {AllNames, qtype}, {AllNames, 0}} {
		f := t.m[k]
		if f == nil {
			continue
		}
		out := *f
		if f.failFirst > 0 {
			f.failFirst--
			out.failNow = true
		}
		return out
	}
	return fault{}
}

// update applies fn to the fault of every key for name and qtypes (no
// qtypes meaning every type), creating entries as needed.
func (t *faultTable) update(name string, qtypes []uint16, fn func(*fault)) {
	name = normalize(name)
	if len(qtypes) == 0 {
		qtypes = []uint16{0}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, qt := range qtypes {
		k := faultKey{name, qt}
		f := t.m[k]
		if f == nil {
			f = new(fault)
			t.m[k] = f
		}
		fn(f)
	}
	t.n.Store(int32(len(t.m)))
}

func normalize(name string) string {
	if name == AllNames {
		return name
	}
	return dns.Fqdn(strings.ToLower(name))
}

func (s *Server) setAction(name string, qtypes []uint16, a action) {
	s.faults.update(name, qtypes, func(f *fault) { f.action = a })
}

// ServFail makes the server answer SERVFAIL for name, as a broken or
// lame authoritative server does. qtypes limit it to those types; none
// means every type. The same holds for every fault method.
func (s *Server) ServFail(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actServFail)
}

// Refuse makes the server answer REFUSED for name, as a server that is
// not (or no longer) authoritative for it does.
func (s *Server) Refuse(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actRefuse)
}

// Drop makes the server never answer queries for name, so clients hit
// their timeout.
func (s *Server) Drop(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actDrop)
}

// Truncate makes UDP answers for name an empty reply with TC=1, which
// forces clients to retry over TCP; TCP still gets the full answer.
func (s *Server) Truncate(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actTruncate)
}

// Mismatch makes answers for name carry a different message ID, as a
// spoofed or stale packet would; clients must drop them (and so time
// out).
func (s *Server) Mismatch(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actMismatch)
}

// NotImp makes the server answer NOTIMP for name, as a server that does
// not implement the query's kind does.
func (s *Server) NotImp(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actNotImp)
}

// NoEDNS makes the server answer FORMERR, without an OPT record, to
// queries for name that carry one, as servers that predate EDNS do
// (RFC 6891 §7); queries without one get the normal answer.
func (s *Server) NoEDNS(name string, qtypes ...uint16) {
	s.setAction(name, qtypes, actNoEDNS)
}

// Delay holds answers for name back by d before any other fault applies.
// Each UDP query is served on its own goroutine, so a delay does not
// hold up other queries; over TCP it holds up later queries on the same
// connection, as the server reads one query at a time per connection.
// A zero d removes the delay.
func (s *Server) Delay(name string, d time.Duration, qtypes ...uint16) {
	s.faults.update(name, qtypes, func(f *fault) { f.delay = d })
}

// FailFirst makes the next n queries for name (counted over UDP and
// TCP) get SERVFAIL, and later ones the normal answer, to exercise
// retries.
func (s *Server) FailFirst(name string, n int, qtypes ...uint16) {
	s.faults.update(name, qtypes, func(f *fault) { f.failFirst = n })
}

// Clear removes the faults for name: for the given qtypes only, or, with
// none, for every qtype of name.
func (s *Server) Clear(name string, qtypes ...uint16) {
	t := &s.faults
	name = normalize(name)
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(qtypes) == 0 {
		for k := range t.m {
			if k.name == name {
				delete(t.m, k)
			}
		}
	}
	for _, qt := range qtypes {
		delete(t.m, faultKey{name, qt})
	}
	t.n.Store(int32(len(t.m)))
}

// ClearAll removes every fault.
func (s *Server) ClearAll() {
	t := &s.faults
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.m)
	t.n.Store(0)
}
