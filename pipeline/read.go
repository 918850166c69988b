package pipeline

import (
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// read reads every input once, in order: it spools each row's domain index
// for the join and sends each domain, the first time a row names it, to
// the workers.
func (r *run) read(ctx context.Context, todo *queue) error {
	for i, in := range r.cfg.Inputs {
		if err := r.readInput(ctx, i, in, todo); err != nil {
			return err
		}
		if err := r.spool.put(endOfInput); err != nil {
			return err
		}
	}
	if !r.early {
		// Every input's columns are known only now.
		r.header <- r.union.names
	}
	if err := r.spool.finish(); err != nil {
		return err
	}
	r.suggester = triage.NewSuggester().WithList(r.listCounts())
	close(r.readEnd)
	return nil
}

// readInput reads the rows of input i. The first input's email column is
// the run's: later inputs must have a column of its name. The output's
// columns are the union of the inputs' (see columns).
func (r *run) readInput(ctx context.Context, i int, in Input, todo *queue) (err error) {
	rd, err := in.Open()
	if err != nil {
		return badInput(err)
	}
	defer func() {
		if cerr := rd.Close(); err == nil && cerr != nil {
			err = badInput(fmt.Errorf("%s: %w", in.Name(), cerr))
		}
	}()
	header, known := in.HeaderRow()
	if known {
		r.sum.HeaderRows[in.Name()] = header
	}
	cols := rd.Columns()
	var sample []rowio.Row
	var col int // the email column in this input's rows
	if i == 0 {
		if r.col, sample, err = findColumn(rd, in.Name(), r.cfg.Column); err != nil {
			return err
		}
		col = r.col
		r.union.add(cols)
		r.sum.EmailColumn, r.sum.EmailColumnNumber = cols[r.col], r.col+1
		if len(r.cfg.Inputs) == 1 && !grows(rd) {
			// The join can start at once.
			r.early = true
			r.header <- cols
		}
	} else if col = slices.Index(r.union.add(cols), r.col); col < 0 {
		var why string
		if known && !header {
			why = " (its first record was read as a row, not as a header: see --header)"
		}
		return badInput(fmt.Errorf("%s: its header %q has no column %q, the email column of %s%s",
			in.Name(), cols, r.union.names[r.col], r.cfg.Inputs[0].Name(), why))
	}
	defer func() {
		if err == nil {
			// Complete now, also for a reader whose columns grew.
			r.maps = append(r.maps, r.union.add(rd.Columns()))
		}
	}()
	for _, row := range sample {
		if err := r.add(ctx, cell(row, r.col), todo); err != nil {
			return err
		}
	}
	for {
		// The address alone: a format that can read one value of a row
		// (CSV) then decodes no other.
		v, err := rowio.ReadValue(rd, col)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badInput(err)
		}
		if err := r.add(ctx, v, todo); err != nil {
			return err
		}
	}
}

// add takes one row's address: it counts the row, spools its domain's
// index, and sends a domain seen for the first time to the workers.
func (r *run) add(ctx context.Context, addr any, todo *queue) error {
	domain, bad := parseAddress(addr)
	if !r.cfg.Shard.Owns(domain) {
		// Typo suggestions weigh all of the list's domains by their rows,
		// so the other shards' domains are counted, not verified.
		if domain != "" && (bad == nil || domainInvalid(domain)) {
			if n, ok := r.others[domain]; ok {
				r.others[domain] = n + 1
			} else {
				r.others[strings.Clone(domain)] = 1
			}
		}
		return r.spool.put(otherShard)
	}
	r.sum.Rows++
	if bad != nil {
		r.sum.InvalidRows++
		if err := r.spool.put(invalidRow); err != nil {
			return err
		}
		// A rejected domain (special-use, one label) has a verdict of its
		// own in the per-domain output; a rejected local part does not.
		if domain == "" || !domainInvalid(domain) {
			return nil
		}
	}
	i, domain, isNew := r.index.add(domain)
	if isNew {
		r.uses = append(r.uses, 0)
	}
	r.uses[i]++
	if bad == nil {
		if err := r.spool.put(int(i)); err != nil {
			return err
		}
	}
	if !isNew {
		return nil
	}
	if r.cfg.Progress != nil {
		r.cfg.Progress.AddFound(1)
	}

	t := task{index: i, domain: domain}
	switch {
	case bad != nil:
		t.prior = &prior{known: &verify.Result{Domain: domain, Status: verify.Invalid, Reason: bad.Error(), CheckedAt: r.cfg.now().UTC()}}
	case r.cfg.Cache != nil:
		res, found, fresh := r.cfg.Cache.Lookup(domain)
		if fresh {
			t.prior = &prior{known: &res}
		} else if found {
			t.prior = &prior{cached: &res}
		}
	}
	todo.push(t)
	return ctx.Err()
}

// cell is value col of a row, nil when it has none.
func cell(row rowio.Row, col int) any {
	if col < len(row) {
		return row[col]
	}
	return nil
}

// parseAddress extracts the domain of an address cell (triage.Parse:
// display name, mailto: and brackets removed). The error is the reason
// the address is invalid.
func parseAddress(v any) (string, error) {
	a, err := parseCell(v)
	return a.Domain, err
}

// parseCell takes an address cell apart; a cell that is not text holds no
// address.
func parseCell(v any) (triage.Address, error) {
	s, ok := v.(string)
	if !ok && v != nil {
		return triage.Address{Problem: triage.NotAddress}, errNotText
	}
	return triage.Parse(s)
}

var errNotText = fmt.Errorf("%w: the address cell is not text", verify.ErrInvalid)

// domainInvalid tells a rejected domain (special-use, single label) from a
// rejected local part at a good domain: only the first makes the domain
// itself invalid.
func domainInvalid(domain string) bool {
	_, err := verify.Domain(domain)
	return err != nil
}

// findColumn picks the email column: the one named, else a header that
// names email, else the first column whose sampled values look like
// addresses. It returns the rows it read to decide.
func findColumn(r rowio.Reader, name, want string) (int, []rowio.Row, error) {
	cols := r.Columns()
	if want != "" {
		if i := slices.Index(cols, want); i >= 0 {
			return i, nil, nil
		}
		for i, c := range cols {
			if strings.EqualFold(c, want) {
				return i, nil, nil
			}
		}
		return -1, nil, badInput(fmt.Errorf("%s: no column %q (columns: %s)", name, want, strings.Join(cols, ", ")))
	}
	if i := slices.IndexFunc(cols, verify.EmailHeader); i >= 0 {
		return i, nil, nil
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

// listCounts are the row counts of the list's domains the suggester
// weighs: the shard's own, and in a sharded run the others' too, so that
// a shard suggests what the whole run would.
func (r *run) listCounts() iter.Seq2[string, int] {
	own := r.index.counts(r.uses, triage.MinRatio)
	return func(yield func(string, int) bool) {
		for d, n := range own {
			if !yield(d, n) {
				return
			}
		}
		for d, n := range r.others {
			if int(n) >= triage.MinRatio && !yield(d, int(n)) {
				return
			}
		}
	}
}
