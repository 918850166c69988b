// Package pipeline verifies mailing lists: it reads the rows, resolves each
// distinct domain once, and writes one output row per input row, in input
// order, with its domain's verdict. It is the one place where goroutines
// fan out. Formats are the io packages' business: the pipeline sees only
// rowio's Reader and Writer.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/shard"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// Output columns added after the input's own, always; the triage columns
// (TriageColumns) come between and after them.
const (
	ColDomain = "mx_domain"
	ColStatus = "mx_status"
	ColReason = "mx_reason" // in plain words, about the address
)

// ColRow is the column a sharded run adds after all others: the row's
// place in the input, "FILE:ROW" (the input's index from 0, the data row
// from 1), by which mxverify merge puts the shards' rows back in order.
const ColRow = "mx_row"

// Input is one list. Open is called twice, once to collect the domains and
// once to join the verdicts, so that no row is held in memory; an input
// that cannot be read twice (stdin) must spool itself.
type Input interface {
	Name() string
	Open() (rowio.Reader, error)
	// HeaderRow tells, after Open, whether the list's first record was
	// read as a header row; known is false for formats whose columns are
	// named by the format itself. A wrong guess changes what the run
	// verified, so the summary reports it.
	HeaderRow() (header, known bool)
}

// Verifier resolves one domain (verify.Resolver).
type Verifier interface {
	Verify(ctx context.Context, domain string) verify.Result
}

// ResultWriter takes per-domain results, each with the number of rows
// that name the domain. Close is called after the last one, while the
// join may still be writing rows: an output can finish its file then, in
// time the run spends anyway.
type ResultWriter interface {
	WriteResult(res verify.Result, rows int64) error
	Close() error
}

// Cache keeps results across runs. Lookup returns the last stored result,
// and whether it may still be used instead of asking DNS; an expired one
// still tells the changes report what the domain was. Put sees every new
// result, temp_error included, and decides what to keep.
type Cache interface {
	Lookup(domain string) (res verify.Result, found, fresh bool)
	Put(verify.Result)
}

// Progress hears how far the run is; cmd shows it. How much of the input
// has been read it learns from the inputs themselves (tableio counts the
// bytes of each reading).
type Progress interface {
	AddRows(n int)    // rows written with their verdict
	AddFound(n int)   // distinct domains found by the reader, each to get a result
	AddDomains(n int) // domains with a result, in first-seen order
}

// Config is one run.
type Config struct {
	Inputs []Input
	// Column names the email column; empty means detect it.
	Column string
	// Concurrency is how many domains are verified at once: the number
	// of queries the Verifier keeps in flight at most (--concurrency).
	Concurrency int
	Verifier    Verifier
	// Out makes the per-address writer once the columns are known.
	Out func(columns []string) (rowio.Writer, error)
	// Domains, when set, receives per-domain results in first-seen order.
	Domains ResultWriter
	Cache   Cache // optional
	// Changed, when set, hears each domain whose status differs from the
	// cached one, with the number of rows that use it. A domain that ended
	// temp_error has not changed: its cached status stands, and the
	// summary counts it as Unconfirmed.
	Changed  func(old, cur verify.Result, rows int64) error
	Progress Progress // optional
	Now      func() time.Time

	// AddColumns are the triage columns to add, of TriageColumns; nil
	// adds them all.
	AddColumns []string
	// SuppressIf are the flags that turn send into suppress.
	SuppressIf triage.Flags
	// Disposable is the list of disposable-address domains; nil is the
	// embedded one.
	Disposable *triage.Disposable
	// Tally, when set, hears every domain once, in first-seen order,
	// after the last row is read.
	Tally func(DomainRows) error

	// Shard, when enabled, limits the run to one shard's domains: only
	// their rows are counted and written, each with its place (ColRow).
	Shard shard.Spec
}

func (cfg Config) now() time.Time {
	if cfg.Now != nil {
		return cfg.Now()
	}
	return time.Now()
}

// ErrInput marks bad input (unreadable, malformed, no address column):
// the caller's exit status 1.
var ErrInput = errors.New("bad input")

type inputError struct{ err error }

func (e *inputError) Error() string   { return e.err.Error() }
func (e *inputError) Unwrap() []error { return []error{ErrInput, e.err} }

func badInput(err error) error { return &inputError{err} }

// job is one distinct domain on its way through the stages.
type job struct {
	index  int // in first-seen order
	domain string
	res    verify.Result
	known  bool           // res is decided without DNS: invalid, or fresh in the cache
	cached *verify.Result // an expired cached result, for the changes report
}

// run is the state the stages share. Each field has one writer: the reader
// owns index, rows and the first input's columns; the collector owns
// changed; the summary's fields are split between the stages that count
// them.
type run struct {
	cfg      Config
	sum      *Summary
	spool    *spool        // each row's domain index, reader to join
	verdicts *table        // collector to join
	header   chan []string // the columns, reader to join
	col      int           // the email column, set before header is sent

	// union is the inputs' columns together, maps where each input's
	// go in it; the reader writes both before it sends the header, unless
	// early: one input whose columns are the run's, sent before its rows
	// are read so that the join overlaps the reading.
	union   *columns
	maps    [][]int
	early   bool
	index   *domainIndex // domain to index, first-seen order
	uses    []int32      // rows per domain
	changed []job

	// readEnd is closed when every row has been read: from then on index
	// and uses no longer change, and suggester knows the list's domains.
	readEnd     chan struct{}
	suggester   *triage.Suggester
	suggestions suggestions
	disposable  *triage.Disposable
	extra       extras
	joining     int              // the input the join is at, for ColRow
	others      map[string]int32 // rows of other shards' domains, by domain
}

// Run verifies every domain of the inputs and writes both outputs. On error
// the outputs are incomplete and the caller must discard them.
//
// Four stages run at once: read (every row once; each new domain goes to
// the workers), resolve (the workers), collect (results back in
// first-seen order) and join (every row again, with its verdict). The first
// error cancels the others, which then return the context's error: the
// first error is the run's.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	start := cfg.now()
	sum := newSummary(cfg.Inputs)
	if len(cfg.Inputs) == 0 {
		return sum, badInput(errors.New("no input"))
	}
	g, ctx := errgroup.WithContext(ctx)
	sp, err := newSpool(ctx)
	if err != nil {
		return sum, err
	}
	defer sp.close()
	r := &run{
		cfg: cfg, sum: &sum, spool: sp, verdicts: newTable(ctx),
		header: make(chan []string, 1), index: newDomainIndex(), union: newColumns(),
		readEnd: make(chan struct{}), disposable: cfg.Disposable, others: make(map[string]int32),
		extra: extras{v: cfg.Verifier},
	}
	if r.disposable == nil {
		if r.disposable, err = triage.LoadDisposable(); err != nil {
			return sum, err
		}
	}
	workers := max(1, cfg.Concurrency)
	todo := newQueue(ctx)
	results := make(chan job, workers)

	g.Go(func() error {
		defer todo.close()
		return r.read(ctx, todo)
	})
	var resolving sync.WaitGroup
	for range workers {
		resolving.Go(func() { r.resolve(ctx, todo, results) })
	}
	g.Go(func() error {
		resolving.Wait()
		close(results)
		return nil
	})
	g.Go(func() error { return r.collect(ctx, results) })
	g.Go(func() error { return r.join(ctx) })
	if err := g.Wait(); err != nil {
		return sum, err
	}

	// Counted here rather than row by row in the join. Rows of an
	// invalid domain are among InvalidRows already.
	sum.AddressesByStatus[verify.Invalid] += sum.InvalidRows
	for i, v := range r.verdicts.verdicts {
		if v.status != verify.Invalid {
			sum.AddressesByStatus[v.status] += int64(r.uses[i])
		}
	}

	if cfg.Changed != nil {
		for _, c := range r.changed {
			if err := cfg.Changed(*c.cached, c.res, int64(r.uses[c.index])); err != nil {
				return sum, fmt.Errorf("write changes: %w", err)
			}
		}
	}
	sum.ElapsedSeconds = cfg.now().Sub(start).Seconds()
	return sum, nil
}

// resolve is a worker: it verifies the domains it takes, and passes
// known results through so that they keep their place in the order.
func (r *run) resolve(ctx context.Context, todo *queue, results chan<- job) {
	for {
		t, ok := todo.pop()
		if !ok {
			return
		}
		j := job{index: int(t.index), domain: t.domain}
		if p := t.prior; p != nil {
			j.cached = p.cached
			if p.known != nil {
				j.known, j.res = true, *p.known
			}
		}
		if !j.known {
			j.res = r.cfg.Verifier.Verify(ctx, j.domain)
		}
		select {
		case results <- j:
		case <-ctx.Done():
			return
		}
	}
}

// collect puts results back in first-seen order: it stores each verdict
// for the join at once, and writes the per-domain output once the last
// row is read, since a domain's row count and its suggestion (which
// weighs the list's other domains by their rows) need every row.
func (r *run) collect(ctx context.Context, results <-chan job) error {
	pending := make(map[int]job) // arrived ahead of their turn
	var unwritten []job          // recorded before the read ended
	next := 0
	readEnd := r.readEnd
	for results != nil || readEnd != nil {
		select {
		case j, ok := <-results:
			if !ok {
				results = nil
				break
			}
			if !j.known && r.cfg.Cache != nil {
				// As it arrives, not in list order: a run killed now
				// must not ask again for what it already knows.
				r.cfg.Cache.Put(j.res)
			}
			pending[j.index] = j
		case <-readEnd:
			readEnd = nil
			for _, j := range unwritten {
				if err := r.writeDomain(ctx, j, pending); err != nil {
					return err
				}
			}
			unwritten = nil
		case <-ctx.Done():
			return ctx.Err()
		}
		for {
			j, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if readEnd == nil {
				// Made here, before the join needs it: the join is the
				// run's one goroutine per row, this one has time.
				r.suggestion(j.index, j.res, collectVerdicts{ctx: ctx, r: r, cur: j, pending: pending})
			}
			r.record(j)
			if readEnd != nil {
				unwritten = append(unwritten, j)
			} else if err := r.writeDomain(ctx, j, pending); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.verdicts.finish()
	if r.cfg.Domains != nil {
		if err := r.cfg.Domains.Close(); err != nil {
			return fmt.Errorf("write domain results: %w", err)
		}
	}
	return nil
}

// writeDomain writes a recorded domain's result and tells Tally, once the
// read has ended; pending holds the results that came ahead of their turn.
func (r *run) writeDomain(ctx context.Context, j job, pending map[int]job) error {
	rows := int64(r.uses[j.index])
	if r.cfg.Domains != nil {
		if err := r.cfg.Domains.WriteResult(j.res, rows); err != nil {
			return fmt.Errorf("write domain results: %w", err)
		}
	}
	if r.cfg.Tally != nil {
		s := r.suggestion(j.index, j.res, collectVerdicts{ctx: ctx, r: r, cur: j, pending: pending})
		if err := r.cfg.Tally(DomainRows{Result: j.res, Rows: rows, Suggestion: s}); err != nil {
			return err
		}
	}
	return nil
}

// record takes the next domain's result in first-seen order.
func (r *run) record(j job) {
	d := j.domain
	r.verdicts.add(verdict{
		domain: d, status: j.res.Status, implicitMX: j.res.ImplicitMX,
		free: triage.IsFree(d), disposable: r.disposable.Has(d),
	})
	r.sum.Domains++
	r.sum.DomainsByStatus[j.res.Status]++
	if r.cfg.Progress != nil {
		r.cfg.Progress.AddDomains(1)
	}
	switch {
	case j.cached == nil:
	case j.res.Status == verify.TempError:
		// DNS said nothing new: the last known status stands (the cache
		// keeps it), so this is no change.
		r.sum.Unconfirmed++
	case j.cached.Status != j.res.Status:
		r.changed = append(r.changed, j)
	}
}
