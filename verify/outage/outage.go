// Package outage tells a resolver outage from a bad night: it counts, per
// resolver, the queries sent and what became of them, and decides when the
// resolvers as a whole have stopped answering. A run that goes on through
// an outage would record every domain as temp_error; one that stops can be
// run again once the resolvers are back.
package outage

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mxverify/mxverify/verify/dnsclient"
)

// Defaults of Config, the --outage-* flags'.
const (
	DefaultMinQueries = 200
	DefaultAnswerRate = 0.05
	DefaultWindow     = 10 * time.Second
)

// slots is how many parts the window is kept in: the window slides by a
// tenth of its length.
const slots = 10

// Config sets the thresholds. Zero fields take the defaults.
type Config struct {
	Servers []string // as the client has them, by index
	// MinQueries: no answer to the first MinQueries queries is an outage,
	// and so is a window in which at least MinQueries were sent and fewer
	// than AnswerRate of them answered.
	MinQueries int
	AnswerRate float64
	Window     time.Duration
	Now        func() time.Time
	// OnOutage hears the outage once, from the goroutine whose query
	// decided it; it must not block (cancelling a context is what it is
	// for).
	OnOutage func(*Error)
}

// Counts is what became of the queries sent to one resolver.
type Counts struct {
	Sent, Answered, Refused, TimedOut, Failed int64
}

func (c *Counts) add(o dnsclient.Outcome) {
	c.Sent++
	switch o {
	case dnsclient.Answered:
		c.Answered++
	case dnsclient.ConnRefused:
		c.Refused++
	case dnsclient.TimedOut:
		c.TimedOut++
	default:
		c.Failed++
	}
}

func (c *Counts) plus(o Counts) {
	c.Sent += o.Sent
	c.Answered += o.Answered
	c.Refused += o.Refused
	c.TimedOut += o.TimedOut
	c.Failed += o.Failed
}

// Error is an outage: which rule saw it, and each resolver's counts over
// the queries the rule looked at.
type Error struct {
	Rule    string // "answered none of the first 200 queries", ...
	Servers []string
	Counts  []Counts
}

// Error is one line: the rule, then each resolver and what it did, e.g.
// "127.0.0.1:5399: connection refused (ICMP port unreachable) for 200 of
// 200 queries".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("resolver outage: the resolvers ")
	b.WriteString(e.Rule)
	for i, s := range e.Servers {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(s)
		b.WriteString(": ")
		b.WriteString(e.Counts[i].String())
	}
	return b.String()
}

// String says what the resolver did with its queries.
func (c Counts) String() string {
	if c.Sent == 0 {
		return "not asked"
	}
	var parts []string
	if c.Answered > 0 {
		parts = append(parts, fmt.Sprintf("answered %d", c.Answered))
	}
	if c.Refused > 0 {
		parts = append(parts, fmt.Sprintf("%s for %d", dnsclient.ErrConnRefused, c.Refused))
	}
	if c.TimedOut > 0 {
		parts = append(parts, fmt.Sprintf("%s for %d", dnsclient.ErrTimeout, c.TimedOut))
	}
	if c.Failed > 0 {
		parts = append(parts, fmt.Sprintf("failed otherwise for %d", c.Failed))
	}
	return fmt.Sprintf("%s of %d queries", strings.Join(parts, ", "), c.Sent)
}

// slot is one part of the window: the counts of the queries that ended in
// it, per resolver.
type slot struct {
	n      int64 // which part of time it holds, in window/slots units
	counts []Counts
}

// Detector decides from the queries' outcomes. It is safe for concurrent
// use; Observe is its one hot path, a lock and a few additions.
type Detector struct {
	cfg   Config
	width int64 // of a slot, in nanoseconds

	mu    sync.Mutex
	total []Counts // since the start
	ring  [slots]slot
	err   *Error // once seen, the outage
}

// New returns a Detector for cfg.Servers.
func New(cfg Config) *Detector {
	if cfg.MinQueries <= 0 {
		cfg.MinQueries = DefaultMinQueries
	}
	if cfg.AnswerRate <= 0 {
		cfg.AnswerRate = DefaultAnswerRate
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Detector{cfg: cfg, width: max(1, int64(cfg.Window/slots)), total: make([]Counts, len(cfg.Servers))}
	for i := range d.ring {
		d.ring[i] = slot{n: -1, counts: make([]Counts, len(cfg.Servers))}
	}
	return d
}

// Observe takes what became of one query sent to server (an index into
// Config.Servers): it is a dnsclient.Config.Observe. After an outage it
// counts nothing more.
func (d *Detector) Observe(server int, o dnsclient.Outcome) {
	if server < 0 || server >= len(d.total) {
		return
	}
	now := d.cfg.Now().UnixNano() / d.width
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		return
	}
	err := d.observe(now, server, o)
	d.mu.Unlock()
	if err != nil && d.cfg.OnOutage != nil {
		d.cfg.OnOutage(err)
	}
}

// observe counts one outcome at slot now and applies both rules. Called
// with mu held.
func (d *Detector) observe(now int64, server int, o dnsclient.Outcome) *Error {
	d.total[server].add(o)
	s := &d.ring[now%slots]
	if s.n != now {
		s.n = now
		clear(s.counts)
	}
	s.counts[server].add(o)

	var all Counts
	for _, c := range d.total {
		all.plus(c)
	}
	if all.Sent == int64(d.cfg.MinQueries) && all.Answered == 0 {
		d.err = d.outage(fmt.Sprintf("answered none of the first %d queries", all.Sent), d.total)
		return d.err
	}
	var sum Counts
	d.window(now, func(_ int, c Counts) { sum.plus(c) })
	if sum.Sent < int64(d.cfg.MinQueries) || float64(sum.Answered) >= d.cfg.AnswerRate*float64(sum.Sent) {
		return nil
	}
	per := make([]Counts, len(d.total))
	d.window(now, func(i int, c Counts) { per[i].plus(c) })
	d.err = d.outage(fmt.Sprintf("answered %d of %d queries (%.1f%%, under %.1f%%) in the last %s",
		sum.Answered, sum.Sent, 100*float64(sum.Answered)/float64(sum.Sent), 100*d.cfg.AnswerRate, d.cfg.Window), per)
	return d.err
}

// window calls fn with each resolver's counts of each slot in the window
// that ends at slot now.
func (d *Detector) window(now int64, fn func(server int, c Counts)) {
	for i := range d.ring {
		if r := &d.ring[i]; r.n > now-slots && r.n <= now {
			for j, c := range r.counts {
				fn(j, c)
			}
		}
	}
}

// Finish applies the rule for a run that sent fewer than MinQueries
// queries: none answered is an outage. It returns the outage seen during
// the run, if any, or nil.
func (d *Detector) Finish() *Error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	var all Counts
	for _, c := range d.total {
		all.plus(c)
	}
	if all.Sent > 0 && all.Answered == 0 {
		d.err = d.outage(fmt.Sprintf("answered none of the run's %d queries", all.Sent), d.total)
	}
	return d.err
}

// Totals reports each resolver's counts since the start.
func (d *Detector) Totals() []Counts {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Counts(nil), d.total...)
}

func (d *Detector) outage(rule string, counts []Counts) *Error {
	return &Error{Rule: rule, Servers: d.cfg.Servers, Counts: append([]Counts(nil), counts...)}
}
