// Package progress tells how far a run is and how long it has left. The
// run bumps a Meter's counts as it goes; an Estimator turns them, at each
// tick of a clock the caller supplies, into a Snapshot that a progress bar
// or a log line shows.
//
// A run has three parts. The first reading of the inputs finds the
// distinct domains; it runs ahead of DNS and ends within seconds. The
// resolution of those domains takes most of the time. The second reading
// writes each row with its verdict; it follows the resolution and ends
// last, with the run. The inputs' size in bytes is known from the start,
// so the first reading's bytes measure its part, and the domains found
// over the share of bytes read estimate how many there are to resolve
// until the first reading has found them all.
package progress

import (
	"context"
	"math"
	"sync/atomic"
	"time"
)

// Meter holds the counts of a run. It is safe for concurrent use: the
// readers, the pipeline and the display each touch it from their own
// goroutine.
type Meter struct {
	size                 int64 // bytes of one reading of the inputs; -1 if unknown
	first, later         atomic.Int64
	rows, domains, found atomic.Int64
	done                 atomic.Bool
}

// NewMeter measures a run over inputs of size bytes; -1 means the size is
// not known (a pipe), and the snapshots then have counts and rates only.
func NewMeter(size int64) *Meter { return &Meter{size: size} }

// FirstRead counts the bytes of the first reading of the inputs.
func (m *Meter) FirstRead() *atomic.Int64 { return &m.first }

// LaterReads counts the bytes of the second reading.
func (m *Meter) LaterReads() *atomic.Int64 { return &m.later }

// AddRows counts rows written with their verdict.
func (m *Meter) AddRows(n int) { m.rows.Add(int64(n)) }

// AddFound counts distinct domains found by the first reading: the
// domains the run has to resolve (or take from the cache).
func (m *Meter) AddFound(n int) { m.found.Add(int64(n)) }

// AddDomains counts domains resolved (or taken from the cache).
func (m *Meter) AddDomains(n int) { m.domains.Add(int64(n)) }

// Finish marks the run complete: the next snapshot shows 100%, whatever
// the counts say (a list that grew while it was read, say).
func (m *Meter) Finish() { m.done.Store(true) }

// counts is a Meter's counts at one moment.
type counts struct {
	first, later, rows, domains, found int64
}

func (m *Meter) load() counts {
	// Found before domains: a domain is resolved only once found, so the
	// domains left are never below zero.
	found := m.found.Load()
	return counts{
		first: m.first.Load(), later: m.later.Load(),
		rows: m.rows.Load(), domains: m.domains.Load(), found: found,
	}
}

// The parts' weights in the fraction of the run done: on a first run of a
// 1M-row list (docs/notes/19a.md) the first reading took under 2 s of
// 61 and the rows written after the last verdict about 2 s, so each
// weighs 5% and the resolution the rest (a cached run, where every part
// keeps the first reading's pace, is right whatever the weights).
const (
	firstWeight  = 0.05
	domainWeight = 0.90
	laterWeight  = 1 - firstWeight - domainWeight
)

// Smoothing is the time constant of the rates' moving average: long
// enough that a burst of cached domains or a slow second does not swing
// the time left, short enough to follow a resolver that slows down.
const Smoothing = 10 * time.Second

// Estimator turns a Meter's counts into snapshots. It is used from one
// goroutine.
type Estimator struct {
	m     *Meter
	start time.Time

	last  time.Time
	prev  counts
	rated bool // the rates below have a first value
	// Per second, smoothed: the bytes of each reading, rows, domains.
	firstRate, laterRate, rowRate, domainRate float64
	laterNow                                  float64 // the second reading's last interval, unsmoothed
	shown                                     float64 // the largest fraction shown
	left                                      time.Duration
	hasLeft                                   bool
}

// NewEstimator estimates the run that m measures, which began at start.
func NewEstimator(m *Meter, start time.Time) *Estimator {
	return &Estimator{m: m, start: start, last: start}
}

// Snapshot is the state of a run at one moment.
type Snapshot struct {
	Rows, Domains    int64
	RowsPerSecond    float64
	DomainsPerSecond float64
	// Fraction of the work done, 0 to 1; -1 when the inputs' size is
	// not known. It is below 1 until the run is Done, and never falls.
	Fraction float64
	// Left is the time left, when HasLeft: the work left at the
	// smoothed rate.
	Left    time.Duration
	HasLeft bool
	Elapsed time.Duration
	Done    bool
}

// Sample reads the counts at now, a time after the previous sample's.
func (e *Estimator) Sample(now time.Time) Snapshot {
	c := e.m.load()
	s := Snapshot{Rows: c.rows, Domains: c.domains, Fraction: -1, Elapsed: now.Sub(e.start)}

	if e.m.done.Load() {
		// The rates of the whole run: what a log's last line should say.
		s.Done = true
		s.Fraction = 1
		if sec := s.Elapsed.Seconds(); sec > 0 {
			s.RowsPerSecond, s.DomainsPerSecond = float64(c.rows)/sec, float64(c.domains)/sec
		}
		return s
	}

	dt := now.Sub(e.last).Seconds()
	if dt > 0 {
		inst := func(n, last int64) float64 { return float64(n-last) / dt }
		a := 1.0 // the first rates are the first interval's
		if e.rated {
			// An exponential moving average over irregular intervals.
			a = 1 - math.Exp(-dt/Smoothing.Seconds())
		}
		e.firstRate += a * (inst(c.first, e.prev.first) - e.firstRate)
		e.laterNow = inst(c.later, e.prev.later)
		e.laterRate += a * (e.laterNow - e.laterRate)
		e.rowRate += a * (inst(c.rows, e.prev.rows) - e.rowRate)
		e.domainRate += a * (inst(c.domains, e.prev.domains) - e.domainRate)
		e.rated = true
		e.last, e.prev = now, c
	}
	s.RowsPerSecond, s.DomainsPerSecond = e.rowRate, e.domainRate

	size := e.m.size
	if size < 0 {
		return s
	}
	p := e.parts(c, size)
	// The bar never moves back, though a burst of new domains can raise
	// the estimate of those to resolve; 100% is for a finished run only.
	e.shown = max(e.shown, min(p.fraction(), 0.999))
	s.Fraction = e.shown

	left := p.left()
	if e.hasLeft {
		// The smoothed rates already move slowly; this bounds what they
		// let through (a stall, a late burst of new domains) to the rise
		// that a slowdown followed at the smoothing's pace can make, plus
		// a second of rounding.
		left = min(left, e.left.Seconds()*(1+max(dt, 0)/Smoothing.Seconds())+1)
	}
	if left < math.Inf(1) {
		e.left, e.hasLeft = time.Duration(min(left, 1e8)*float64(time.Second)), true
	}
	s.Left, s.HasLeft = e.left, e.hasLeft
	return s
}

// part is one part of a run: the share of it done, and that share's
// smoothed rate per second.
type part struct{ done, rate float64 }

type parts struct {
	first, domains, later part
	// counted: the domains to resolve are known or estimated; not before
	// the first reading has found one.
	counted bool
	// waiting: domains found wait for a verdict, so the second reading,
	// which writes a row only once its domain has one, waits with them.
	waiting bool
}

// parts measures the three parts of a run over inputs of size bytes.
func (e *Estimator) parts(c counts, size int64) parts {
	share := func(n int64, rate float64) part {
		if size == 0 {
			return part{done: 1}
		}
		return part{done: min(float64(n)/float64(size), 1), rate: rate / float64(size)}
	}
	p := parts{first: share(c.first, e.firstRate), later: share(c.later, e.laterRate)}
	// The domains to resolve: all those found once the first reading is
	// over, and until then as many more as the same pace over the bytes
	// left would find.
	toResolve := float64(c.found)
	if p.first.done < 1 {
		if p.first.done == 0 || c.found == 0 {
			// Nothing to extrapolate from yet.
			return p
		}
		toResolve /= p.first.done
	}
	p.counted = true
	if p.first.done >= 1 && c.domains >= c.found {
		// Every verdict is in: the second reading, which waited for
		// them, now writes at its own pace at once, which the smoothed
		// rate would take seconds to follow.
		p.later.rate = max(p.later.rate, e.laterNow/float64(size))
	}
	// More than a tenth of a second of resolution at the current pace:
	// the domains in flight, or decided without DNS (a cache), wait less.
	p.waiting = float64(c.found-c.domains) > 0.1*max(e.domainRate, 10)
	if toResolve == 0 {
		p.domains.done = 1
	} else {
		p.domains = part{done: min(float64(c.domains)/toResolve, 1), rate: e.domainRate / toResolve}
	}
	return p
}

// fraction is the share of the run done.
func (p parts) fraction() float64 {
	return firstWeight*p.first.done + domainWeight*p.domains.done + laterWeight*p.later.done
}

// left is the time left in seconds, +Inf when not known: the fraction
// left over the rate of the fraction. The first reading runs alongside
// the resolution instead of before it, so its part ends on its own
// clock: its fast pace must not be counted as the rest's.
func (p parts) left() float64 {
	if !p.counted {
		return math.Inf(1)
	}
	own := func(q part) float64 {
		switch {
		case q.done >= 1:
			return 0
		case q.rate <= 0:
			return math.Inf(1)
		}
		return (1 - q.done) / q.rate
	}
	var work, rate float64
	for _, q := range []struct {
		w float64
		part
	}{{domainWeight, p.domains}, {laterWeight, p.later}} {
		if q.done < 1 {
			work += q.w * (1 - q.done)
			rate += q.w * max(q.rate, 0)
		}
	}
	rest := 0.0
	if work > 0 {
		rest = math.Inf(1)
		if rate > 0 {
			rest = work / rate
		}
	}
	left := max(own(p.first), rest)
	if !p.waiting {
		// Its pace is its own (writing rows; a cached run), not that of
		// the verdicts, so it ends on its own clock too.
		left = max(left, own(p.later))
	}
	return left
}

// Follow renders a snapshot at every tick until ctx is done. The ticks
// carry the time (a time.Ticker's C, or a test's own).
func (e *Estimator) Follow(ctx context.Context, ticks <-chan time.Time, render func(Snapshot)) {
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticks:
			render(e.Sample(now))
		}
	}
}
