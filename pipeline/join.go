package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// join reads the inputs again and writes each row with its domain's
// verdict. It starts once the columns are known and follows the
// resolution, waiting where a verdict is not in yet, so that writing
// overlaps reading and resolving instead of coming after them.
func (r *run) join(ctx context.Context) error {
	var cols []string
	select {
	case cols = <-r.header:
	case <-ctx.Done():
		return ctx.Err()
	}
	t := &rowTriage{cols: r.cfg.AddColumns, suppressIf: r.cfg.SuppressIf}
	if t.cols == nil {
		t.cols = TriageColumns
	}
	cols = append(slices.Clip(cols), t.header()...)
	if r.cfg.Shard.Enabled() {
		cols = append(cols, ColRow)
	}
	w, err := r.cfg.Out(cols)
	if err != nil {
		return err
	}
	for i, in := range r.cfg.Inputs {
		r.joining = i
		if err := r.joinInput(ctx, i, in, w, t); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}

// joinInput writes the rows of input i (r.joining, for ColRow).
func (r *run) joinInput(ctx context.Context, i int, in Input, w rowio.Writer, t *rowTriage) (err error) {
	rd, err := in.Open()
	if err != nil {
		return badInput(err)
	}
	if !r.early && (grows(rd) || !identity(r.maps[i], len(r.union.names))) {
		// Laid out in the union's columns; a growing reader's early
		// rows are also shorter than its last.
		rd = &remapped{Reader: rd, to: r.maps[i], names: r.union.names}
	}
	defer func() {
		if cerr := rd.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	rows := rowio.NewCopier(w, rd)
	var place []byte // ColRow's value
	row := 0
	// Rows are told to Progress in batches: a shared counter bumped per
	// row would cost more than a display refreshed a few times a second
	// needs.
	written := 0
	defer func() {
		if r.cfg.Progress != nil {
			r.cfg.Progress.AddRows(written)
		}
	}()
	for ; ; written++ {
		if r.cfg.Progress != nil && written == progressBatch {
			r.cfg.Progress.AddRows(written)
			written = 0
		}
		row++
		i, err := r.spool.next()
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name(), err)
		}
		if i == endOfInput {
			return nil
		}
		if i == otherShard {
			if _, err := rows.Read(false); err != nil {
				return badInput(fmt.Errorf("%s: the input changed during the run: %w", in.Name(), err))
			}
			continue
		}
		if _, err := rows.Read(false); err == io.EOF {
			return badInput(fmt.Errorf("%s: the input changed during the run: it has fewer rows than on the first read", in.Name()))
		} else if err != nil {
			return badInput(err)
		}
		var v verdict
		var a triage.Address
		if i == invalidRow {
			a, _ = parseCell(rows.Value(r.col))
			v.status, v.domain = verify.Invalid, a.Domain
		} else if v, err = r.verdicts.get(i); err != nil {
			return fmt.Errorf("%s: %w", in.Name(), err)
		} else {
			// The first pass found the address valid.
			a = triage.ParseValid(rows.Text(r.col), v.domain)
		}
		vals, err := t.row(ctx, r, i, v, a)
		if err != nil {
			return err
		}
		if r.cfg.Shard.Enabled() {
			place = strconv.AppendInt(append(strconv.AppendInt(place[:0], int64(r.joining), 10), ':'), int64(row), 10)
			vals = append(vals, string(place))
		}
		if err := rows.Write(vals...); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
}

// progressBatch is how many rows the join writes between two reports.
const progressBatch = 64

// verdict is what the join needs of a domain's result.
type verdict struct {
	domain     string
	status     verify.Status
	implicitMX bool
	free       bool // a free mailbox provider's
	disposable bool // on the disposable list, or under a name on it
}

// result is the part of the domain's result that actions and typo
// suggestions read.
func (v verdict) result() verify.Result {
	return verify.Result{Domain: v.domain, Status: v.status, ImplicitMX: v.implicitMX}
}

// table holds the verdicts by domain index, for the join, which waits on
// it for the ones still to come. It grows with domains, never with rows.
type table struct {
	ctx      context.Context
	mu       sync.Mutex
	cond     sync.Cond
	verdicts []verdict
	done     bool // no more verdicts will come
	// seen is the join's copy of verdicts: a verdict never changes once
	// added, so the join reads its copy without the lock, and locks only
	// to wait for more.
	seen []verdict
	// want is how many verdicts the join waits for: a batch past the one
	// it needs, since it mostly runs right behind the collector and a
	// wake-up per domain would cost a hand-off per domain.
	want int
}

const waitBatch = 64

func newTable(ctx context.Context) *table {
	t := &table{ctx: ctx}
	t.cond.L = &t.mu
	context.AfterFunc(ctx, t.wake)
	return t
}

// add appends the verdict of the next domain in first-seen order.
func (t *table) add(v verdict) {
	t.mu.Lock()
	t.verdicts = append(t.verdicts, v)
	if len(t.verdicts) >= t.want {
		t.cond.Broadcast()
	}
	t.mu.Unlock()
}

// finish wakes a join waiting for a verdict that will not come.
func (t *table) finish() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
	t.cond.Broadcast()
}

func (t *table) wake() {
	t.mu.Lock()
	t.cond.Broadcast()
	t.mu.Unlock()
}

// get returns the verdict on domain i, waiting for it if need be. Only
// the join calls it.
func (t *table) get(i int) (verdict, error) {
	if i < len(t.seen) {
		return t.seen[i], nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i >= len(t.verdicts) {
		switch {
		case t.ctx.Err() != nil:
			return verdict{}, t.ctx.Err()
		case t.done:
			return verdict{}, fmt.Errorf("domain %d of %d has no result", i, len(t.verdicts))
		}
		t.want = i + waitBatch
		t.cond.Wait()
	}
	t.seen = t.verdicts
	return t.seen[i], nil
}
