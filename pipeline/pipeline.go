// Package pipeline runs a verification over mailing lists: it streams the
// rows, resolves each distinct domain once while reading, and joins the
// verdicts back onto the rows in input order. It is the one place where
// goroutines fan out.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/verify"
)

// Output columns added after the input's own.
const (
	ColDomain = "mx_domain"
	ColStatus = "mx_status"
	ColReason = "mx_reason"
)

// headerReader is a reader that may have read its list's first record as
// a row rather than as column names (csvio.Reader): the summary says
// which, since a wrong guess changes what the run verified.
type headerReader interface {
	HasHeader() bool
}

// Input is one list. Open is called twice, once to collect the domains and
// once to join the verdicts, so that no row is held in memory; an input
// that cannot be read twice (stdin) must spool itself.
type Input interface {
	Name() string
	Open() (rowio.Reader, error)
}

// Verifier resolves one domain (verify.Resolver).
type Verifier interface {
	Verify(ctx context.Context, domain string) verify.Result
}

// ResultWriter takes per-domain results. Close is called after the last
// one, while the join may still be writing rows: an output can finish its
// file then (cmd syncs it to disk), in time the run spends anyway.
type ResultWriter interface {
	WriteResult(verify.Result) error
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

// Progress hears how far the run is; cmd adapts a progress bar to it.
type Progress interface {
	SetTotal(domains int64)
	Add(domains int)
}

// Config is one run.
type Config struct {
	Inputs []Input
	// Column names the email column; empty means detect it.
	Column string
	// Concurrency is the number of domains verified at once.
	Concurrency int
	Verifier    Verifier
	// Out makes the per-address writer once the columns are known.
	Out func(columns []string) (rowio.Writer, error)
	// Domains, when set, receives per-domain results in first-seen order.
	Domains ResultWriter
	Cache   Cache // optional
	// Changed, when set, hears each domain whose status differs from the
	// cached one, with the number of rows that use it.
	Changed  func(old, cur verify.Result, rows int64) error
	Progress Progress // optional
	Now      func() time.Time
}

// ErrInput marks bad input (unreadable, malformed, no address column):
// the caller's exit status 1.
var ErrInput = errors.New("bad input")

type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() []error {
	return []error{ErrInput, e.err}
}

func badInput(err error) error { return &inputError{err} }

// Run verifies every domain of the inputs and writes both outputs. On error
// the outputs are incomplete and the caller must discard them.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	start := cfg.now()
	sum := newSummary(cfg.Inputs)
	if len(cfg.Inputs) == 0 {
		return sum, badInput(errors.New("no input"))
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}

	// The join starts as soon as the header is known, and follows the
	// resolution row by row: the domains resolve roughly in the order the
	// rows first name them, so writing overlaps reading and resolving
	// instead of waiting for their end.
	t := newTable()
	rows, err := newSpool()
	if err != nil {
		return sum, err
	}
	defer rows.close()
	t.rows = rows
	g, gctx := errgroup.WithContext(ctx)
	defer context.AfterFunc(gctx, rows.wake)()
	header := make(chan struct{})
	var passErr error
	g.Go(func() error {
		defer t.finish()
		passErr = resolveAll(gctx, cfg, t, &sum, header)
		return passErr
	})
	g.Go(func() error {
		select {
		case <-header:
		case <-gctx.Done():
			return gctx.Err()
		}
		return join(gctx, cfg, t, &sum)
	})
	if err := g.Wait(); err != nil {
		// A join that runs into the end of what a failed or cancelled
		// first pass read may fail first; the first pass's error is the
		// cause. Only a first pass cancelled by the join's own failure
		// says less than the join.
		if passErr != nil && (errors.Is(err, errSpoolAborted) || !errors.Is(passErr, context.Canceled)) {
			err = passErr
		}
		return sum, err
	}
	if cfg.Changed != nil {
		for _, c := range t.changed {
			if err := cfg.Changed(c.old, c.cur, int64(t.rowCount(c.index))); err != nil {
				return sum, fmt.Errorf("write changes: %w", err)
			}
		}
	}
	sum.ElapsedSeconds = cfg.now().Sub(start).Seconds()
	return sum, nil
}

// work is one domain to verify, or an already known result (invalid or
// cached) passing through in order.
type work struct {
	index  int
	domain string
	known  *verify.Result
	cached *verify.Result // the previous result, for the changes report
}

type done struct {
	index  int
	res    verify.Result
	cached *verify.Result
	fresh  bool
}

// resolveAll is pass one: read, dedupe, verify, and write per-domain results.
// It closes header once the columns are known.
func resolveAll(ctx context.Context, cfg Config, t *table, sum *Summary, header chan<- struct{}) error {
	g, ctx := errgroup.WithContext(ctx)
	todo := make(chan work, cfg.Concurrency)
	results := make(chan done, cfg.Concurrency)

	g.Go(func() error {
		defer close(todo)
		return t.rows.finish(readDomains(ctx, cfg, t, sum, todo, header))
	})
	workers, wctx := errgroup.WithContext(ctx)
	for range cfg.Concurrency {
		workers.Go(func() error {
			for w := range todo {
				d := done{index: w.index, cached: w.cached}
				switch {
				case w.known != nil:
					d.res = *w.known
				default:
					d.res = cfg.Verifier.Verify(wctx, w.domain)
					d.fresh = true
				}
				select {
				case results <- d:
				case <-wctx.Done():
					return wctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := workers.Wait()
		close(results)
		return err
	})
	g.Go(func() error {
		if err := collect(ctx, cfg, t, sum, results); err != nil {
			return err
		}
		if ctx.Err() == nil && cfg.Domains != nil {
			if err := cfg.Domains.Close(); err != nil {
				return fmt.Errorf("write domain results: %w", err)
			}
		}
		return nil
	})
	return g.Wait()
}

// readDomains reads every input once, in order, and sends each new domain
// to the workers.
func readDomains(ctx context.Context, cfg Config, t *table, sum *Summary, todo chan<- work, known chan<- struct{}) error {
	var header []string
	col := -1
	for i, in := range cfg.Inputs {
		r, err := in.Open()
		if err != nil {
			return badInput(err)
		}
		cur := r.Columns()
		hr, isCSV := r.(headerReader)
		if isCSV {
			sum.HeaderRows[in.Name()] = hr.HasHeader()
		}
		if i == 0 {
			header = cur
			t.columns = cur
		} else if !slices.Equal(cur, header) {
			r.Close()
			var why string
			if isCSV && !hr.HasHeader() {
				why = " (its first record was read as a row, not as a header: see --header)"
			}
			return badInput(fmt.Errorf("%s: header %q differs from %s's %q%s", in.Name(), cur, cfg.Inputs[0].Name(), header, why))
		}
		var buffered []rowio.Row
		if col < 0 {
			col, buffered, err = findColumn(r, in.Name(), cfg.Column)
			if err != nil {
				r.Close()
				return err
			}
			t.column = col
			sum.EmailColumn, sum.EmailColumnNumber = cur[col], col+1
			close(known)
		}
		err = eachAddress(r, buffered, col, func(addr string, bad error) error {
			sum.Rows++
			var domain string
			if bad == nil {
				domain, bad = verify.Address(addr)
			}
			if bad != nil {
				sum.InvalidRows++
				if err := t.rows.put(-1); err != nil {
					return err
				}
				if domain == "" || !domainInvalid(domain) {
					return nil
				}
			}
			idx, isNew := t.add(domain)
			if bad == nil {
				if err := t.rows.put(idx); err != nil {
					return err
				}
			}
			if !isNew {
				return nil
			}

			w := work{index: idx, domain: domain}
			if bad != nil {
				res := verify.Result{Domain: domain, Status: verify.Invalid, Reason: bad.Error(), CheckedAt: cfg.now().UTC()}
				w.known = &res
			} else if cfg.Cache != nil {
				res, found, fresh := cfg.Cache.Lookup(domain)
				switch {
				case fresh:
					sum.CacheHits++
					w.known = &res
				case found:
					sum.CacheExpired++
					sum.CacheMisses++
					w.cached = &res
				default:
					sum.CacheMisses++
				}
			}
			select {
			case todo <- w:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if cerr := r.Close(); err == nil && cerr != nil {
			err = badInput(fmt.Errorf("%s: %w", in.Name(), cerr))
		}
		if err == nil {
			err = t.rows.put(endOfInput)
		}
		if err != nil {
			return err
		}
	}
	if cfg.Progress != nil {
		cfg.Progress.SetTotal(int64(t.len()))
	}
	return nil
}

func (cfg Config) now() time.Time {
	if cfg.Now != nil {
		return cfg.Now()
	}
	return time.Now()
}

// eachAddress feeds fn the address cell of each row: first of the rows
// held back by column detection, then of the rest. bad is why a cell holds
// no address at all.
func eachAddress(r rowio.Reader, buffered []rowio.Row, col int, fn func(addr string, bad error) error) error {
	for _, row := range buffered {
		if err := fn(cellText(row, col)); err != nil {
			return err
		}
	}
	// Most lists are CSV, and reading the one column that holds the
	// address skips making a value of every other cell.
	fr, _ := r.(rowio.FieldReader)
	for {
		var addr string
		var bad error
		var err error
		if fr != nil {
			addr, err = fr.ReadField(col)
		} else {
			var row rowio.Row
			if row, err = r.Read(); err == nil {
				addr, bad = cellText(row, col)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badInput(err)
		}
		if err := fn(addr, bad); err != nil {
			return err
		}
	}
}

// cellText is the address cell of a row, or why there is none.
func cellText(row rowio.Row, col int) (string, error) {
	if col >= len(row) || row[col] == nil {
		return "", errNoAddress
	}
	s, ok := row[col].(string)
	if !ok {
		return "", errNotText
	}
	return s, nil
}

// parseRow extracts the domain of a row's address. The error is the
// reason the address is invalid.
func parseRow(row rowio.Row, col int) (string, error) {
	s, err := cellText(row, col)
	if err != nil {
		return "", err
	}
	return verify.Address(s)
}

var (
	errNoAddress = fmt.Errorf("%w: no address in this row", verify.ErrInvalid)
	errNotText   = fmt.Errorf("%w: the address cell is not text", verify.ErrInvalid)
)

// domainInvalid tells a rejected domain (special-use, single label) from a
// rejected local part at a good domain: only the first makes the domain
// itself invalid.
func domainInvalid(domain string) bool {
	_, err := verify.Domain(domain)
	return err != nil
}

// collect stores verdicts for the join and writes per-domain results in
// first-seen order; results arrive in completion order.
func collect(ctx context.Context, cfg Config, t *table, sum *Summary, results <-chan done) error {
	var pending reorder
	for d := range results {
		if d.fresh && cfg.Cache != nil {
			// As it arrives, not in list order: a run killed now must
			// not ask again for what it already knows.
			cfg.Cache.Put(d.res)
		}
		pending.put(d)
		for {
			cur, ok := pending.pop()
			if !ok {
				break
			}
			if err := record(cfg, t, sum, cur); err != nil {
				return err
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func record(cfg Config, t *table, sum *Summary, d done) error {
	res := d.res
	if err := t.append(d.index, res.Status, res.Reason); err != nil {
		return err
	}
	sum.Domains++
	sum.DomainsByStatus[res.Status]++
	if cfg.Domains != nil {
		if err := cfg.Domains.WriteResult(res); err != nil {
			return fmt.Errorf("write domain results: %w", err)
		}
	}
	if cfg.Progress != nil {
		cfg.Progress.Add(1)
	}
	if d.cached != nil && d.cached.Status != res.Status {
		t.changed = append(t.changed, change{index: d.index, old: *d.cached, cur: res})
	}
	return nil
}

// join is pass two: read the inputs again and write one row per input row,
// in order, with the domain's verdict, waiting where the verdict is not in
// yet.
func join(ctx context.Context, cfg Config, t *table, sum *Summary) error {
	columns := append(slices.Clip(t.columns), ColDomain, ColStatus, ColReason)
	w, err := cfg.Out(columns)
	if err != nil {
		return err
	}
	// CSV to CSV, a row the writer would write back unchanged is copied as
	// it was read, with the three columns added: no splitting, no quoting.
	rw, _ := w.(rowio.RawWriter)
	for _, in := range cfg.Inputs {
		r, err := in.Open()
		if err != nil {
			return badInput(err)
		}
		rr, _ := r.(rowio.RawReader)
		if rw == nil || rr == nil || rr.Encoding() != rw.Encoding() {
			rr = nil
		}
		err = joinInput(ctx, t, sum, in.Name(), r, rr, w, rw, len(columns))
		if cerr := r.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// joinInput writes the rows of one input. rr and rw, when set, copy rows
// raw.
func joinInput(ctx context.Context, t *table, sum *Summary, name string, r rowio.Reader, rr rowio.RawReader, w rowio.Writer, rw rowio.RawWriter, width int) error {
	// One slice for every row's added columns: built at each call,
	// WriteRaw's variadic arguments were an allocation per row.
	extra := make([]string, 3)
	// Counted by index and added to the summary's map once: a map
	// update per row cost more than the rest of the bookkeeping.
	var counts [len(verify.Statuses)]int64
	invalid := statusIndex(verify.Invalid)
	verdicts := view{t: t}
	defer func() {
		for i, n := range counts {
			if n > 0 {
				sum.AddressesByStatus[verify.Statuses[i]] += n
			}
		}
	}()
	for {
		// The index comes first: it says where the input ends, and
		// decides how the row is read.
		idx, err := t.rows.next(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if idx == endOfInput {
			return nil
		}
		var raw []byte
		var row rowio.Row
		if idx >= 0 && rr != nil {
			raw, row, err = rr.ReadRaw()
		} else {
			row, err = r.Read()
		}
		if err == io.EOF {
			return badInput(fmt.Errorf("%s: the input changed during the run: it has fewer rows than on the first read", name))
		}
		if err != nil {
			return badInput(err)
		}
		var domain, reason string
		status := invalid
		if idx < 0 {
			var bad error
			if domain, bad = parseRow(row, t.column); bad != nil {
				reason = bad.Error()
			}
		} else {
			e, err := verdicts.verdict(ctx, idx)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			domain, status, reason = e.domain, e.status, e.reason
		}
		counts[status]++
		if raw != nil {
			extra[0], extra[1], extra[2] = domain, string(verify.Statuses[status]), reason
			err = rw.WriteRaw(raw, extra...)
		} else {
			out := make(rowio.Row, 0, width)
			out = append(out, row...)
			for len(out) < width-3 {
				out = append(out, nil)
			}
			err = w.Write(append(out, domain, string(verify.Statuses[status]), reason))
		}
		if err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
}

// findColumn picks the email column: the one named, else a header that
// names email, else the first column whose sampled values look like
// addresses. It returns the rows it read to decide.
func findColumn(r rowio.Reader, name, want string) (int, []rowio.Row, error) {
	cols := r.Columns()
	if want != "" {
		for i, c := range cols {
			if c == want {
				return i, nil, nil
			}
		}
		for i, c := range cols {
			if strings.EqualFold(c, want) {
				return i, nil, nil
			}
		}
		return -1, nil, badInput(fmt.Errorf("%s: no column %q (columns: %s)", name, want, strings.Join(cols, ", ")))
	}
	for i, c := range cols {
		if verify.EmailHeader(c) {
			return i, nil, nil
		}
	}
	const sample = 1000
	var rows []rowio.Row
	for len(rows) < sample {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return -1, nil, badInput(err)
		}
		rows = append(rows, row)
	}
	for i := range cols {
		seen, ok := 0, 0
		for _, row := range rows {
			if i >= len(row) {
				continue
			}
			s, isText := row[i].(string)
			if !isText || strings.TrimSpace(s) == "" {
				continue
			}
			seen++
			if strings.Contains(s, "@") {
				if _, err := verify.Address(s); err == nil {
					ok++
				}
			}
		}
		// Most values, not all: lists carry a few bad addresses.
		if seen > 0 && ok*2 > seen {
			return i, rows, nil
		}
	}
	return -1, nil, badInput(fmt.Errorf("%s: no column of email addresses found among %s; name it with --column", name, strings.Join(cols, ", ")))
}
