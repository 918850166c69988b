// Package progress tells how far a run is and how long it has left. The
// run bumps a Meter's counts as it goes; an Estimator turns them, at each
// tick of a clock the caller supplies, into a Snapshot that a progress bar
// or a log line shows.
//
// The work is the inputs' bytes, read twice: once to collect the domains
// and once to write each row with its verdict. Both readings follow the
// resolution of the domains (the first waits for free workers, the second
// for verdicts), so the bytes they have read measure the run from its
// first second, when the number of domains is not known yet. The second
// reading ends last, with the run.
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
	size          int64 // bytes of one reading of the inputs; -1 if unknown
	first, later  atomic.Int64
	rows, domains atomic.Int64
	done          atomic.Bool
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

// AddDomains counts domains resolved (or taken from the cache).
func (m *Meter) AddDomains(n int) { m.domains.Add(int64(n)) }

// Finish marks the run complete: the next snapshot shows 100%, whatever
// the byte counts say (a list that grew while it was read, say).
func (m *Meter) Finish() { m.done.Store(true) }

// work is the bytes read by both readings, each at most the size, and the
// total they make at the end; total is -1 when the size is not known.
func (m *Meter) work() (work, total int64) {
	first, later := m.first.Load(), m.later.Load()
	if m.size < 0 {
		return first + later, -1
	}
	return min(first, m.size) + min(later, m.size), 2 * m.size
}

// Smoothing is the time constant of the rates' moving average: long
// enough that a burst of cached domains or a slow second does not swing
// the time left, short enough to follow a resolver that slows down.
const Smoothing = 10 * time.Second

// Estimator turns a Meter's counts into snapshots. It is used from one
// goroutine.
type Estimator struct {
	m     *Meter
	start time.Time

	last                            time.Time
	lastWork, lastRows, lastDomains int64
	rated                           bool    // the rates below have a first value
	rate, rowRate, domainRate       float64 // per second, smoothed
	left                            time.Duration
	hasLeft                         bool
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
	// not known. It is below 1 until the run is Done.
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
	work, total := e.m.work()
	rows, domains := e.m.rows.Load(), e.m.domains.Load()
	s := Snapshot{Rows: rows, Domains: domains, Fraction: -1, Elapsed: now.Sub(e.start)}

	if e.m.done.Load() {
		// The rates of the whole run: what a log's last line should say.
		s.Done = true
		s.Fraction = 1
		if sec := s.Elapsed.Seconds(); sec > 0 {
			s.RowsPerSecond, s.DomainsPerSecond = float64(rows)/sec, float64(domains)/sec
		}
		return s
	}

	dt := now.Sub(e.last).Seconds()
	if dt > 0 {
		inst := func(n, last int64) float64 { return float64(n-last) / dt }
		if !e.rated {
			e.rate, e.rowRate, e.domainRate = inst(work, e.lastWork), inst(rows, e.lastRows), inst(domains, e.lastDomains)
			e.rated = true
		} else {
			// An exponential moving average over irregular intervals.
			a := 1 - math.Exp(-dt/Smoothing.Seconds())
			e.rate += a * (inst(work, e.lastWork) - e.rate)
			e.rowRate += a * (inst(rows, e.lastRows) - e.rowRate)
			e.domainRate += a * (inst(domains, e.lastDomains) - e.domainRate)
		}
		e.last, e.lastWork, e.lastRows, e.lastDomains = now, work, rows, domains
	}
	s.RowsPerSecond, s.DomainsPerSecond = e.rowRate, e.domainRate

	if total < 0 {
		return s
	}
	s.Fraction = 0
	if total > 0 {
		// 100% is for a finished run only.
		s.Fraction = min(float64(work)/float64(total), 0.999)
	}
	left := math.Inf(1) // seconds
	if e.rate > 0 {
		left = float64(total-work) / e.rate
	}
	if e.hasLeft {
		// The smoothed rate already moves slowly; this bounds what it
		// lets through (a stall, the first seconds' noise) to the rise
		// that a slowdown followed at the smoothing's pace can make,
		// plus a second of rounding.
		left = min(left, e.left.Seconds()*(1+max(dt, 0)/Smoothing.Seconds())+1)
	}
	if left < math.Inf(1) {
		e.left, e.hasLeft = time.Duration(min(left, 1e8)*float64(time.Second)), true
	}
	s.Left, s.HasLeft = e.left, e.hasLeft
	return s
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
