package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mxverify/mxverify/internal/intern"
	"github.com/mxverify/mxverify/verify"
)

// table holds what the join needs of each distinct domain, and nothing
// more: memory grows with domains, never with rows, and a list of ten
// million rows over a million domains must fit in a few hundred MB.
//
// The reader owns index. It appends to domains under mu,
// since the join, which runs behind it, reads them. The collector appends
// verdicts to entries in first-seen order (it reorders results); the join
// waits on cond for the one it needs.
type table struct {
	index   *domainIndex
	domains []string // by index
	rows    *spool   // each row's domain index, for the join
	columns []string
	column  int

	mu       sync.Mutex
	cond     sync.Cond
	entries  []entry
	finished bool // no more verdicts will come
	// want is how many entries the join waits for. It asks for a batch
	// beyond the one it needs: woken for each verdict, while it runs
	// right behind the first pass, it cost a hand-off per domain.
	want int
	// reasons interns reason texts: most domains share a handful.
	reasons *intern.Strings

	changed []change
}

// entry is 24 bytes: a status as its index in verify.Statuses, not as
// a 16-byte string, since a million of them live for the whole run.
type entry struct {
	reason string
	status uint8
}

func (e entry) Status() verify.Status { return verify.Statuses[e.status] }

type change struct {
	index    int
	old, cur verify.Result
}

func newTable() *table {
	t := &table{index: newDomainIndex(), reasons: intern.New(1 << 16)}
	t.cond.L = &t.mu
	return t
}

func (t *table) len() int { return t.index.len() }

// add registers a row's domain, new ones in first-seen order.
func (t *table) add(domain string) (int, bool) {
	i, isNew := t.index.add(domain)
	if isNew {
		// A copy: the parsed domain may point into the whole CSV record.
		domain = strings.Clone(domain)
		t.mu.Lock()
		t.domains = append(t.domains, domain)
		t.mu.Unlock()
	}
	return i, isNew
}

// rowCount is how many rows named domain i, for the changes report.
func (t *table) rowCount(i int) int {
	t.mu.Lock()
	d := t.domains[i]
	t.mu.Unlock()
	return t.index.rows(d)
}

// append records the verdict of the next domain in first-seen order.
func (t *table) append(i int, status verify.Status, reason string) error {
	reason = t.reasons.String(reason)
	t.mu.Lock()
	defer t.mu.Unlock()
	if i != len(t.entries) {
		return fmt.Errorf("internal error: result %d recorded as %d", i, len(t.entries))
	}
	t.entries = append(t.entries, entry{status: statusIndex(status), reason: reason})
	if len(t.entries) >= t.want {
		t.cond.Broadcast()
	}
	return nil
}

func statusIndex(s verify.Status) uint8 {
	for i, v := range verify.Statuses {
		if v == s {
			return uint8(i)
		}
	}
	return uint8(slices.Index(verify.Statuses[:], verify.TempError))
}

// finish wakes a join waiting for verdicts that will not come.
func (t *table) finish() {
	t.mu.Lock()
	t.finished = true
	t.mu.Unlock()
	t.cond.Broadcast()
}

// waitBatch is how many verdicts past the one it needs the join waits for.
const waitBatch = 64

// verdict is what the join writes for a domain.
type verdict struct {
	entry
	domain string
}

// view is the join's copy of the table's slices. An entry or domain below
// their lengths never changes once appended, so the join reads them without
// the lock, and takes it only to wait for more. A lock per row cost about
// 6% of BenchmarkJoin with no one else taking it; in a run the collector
// and the reader take it too, from the other core.
type view struct {
	t       *table
	entries []entry
	domains []string
}

// verdict returns the verdict on domain i once it is in.
func (v *view) verdict(ctx context.Context, i int) (verdict, error) {
	if i >= len(v.entries) {
		if err := v.wait(ctx, i); err != nil {
			return verdict{}, err
		}
	}
	return verdict{entry: v.entries[i], domain: v.domains[i]}, nil
}

// wait, under the table's lock, waits for the verdict on domain i and
// copies the slices again.
func (v *view) wait(ctx context.Context, i int) error {
	t := v.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if i >= len(t.domains) {
		return fmt.Errorf("row names domain %d of %d: the input changed during the run", i, len(t.domains))
	}
	if i >= len(t.entries) {
		t.want = i + waitBatch
		for i >= len(t.entries) && !t.finished {
			t.cond.Wait()
		}
	}
	// Entries never outnumber domains: a domain is added before it is
	// sent to be verified.
	v.entries, v.domains = t.entries, t.domains
	if i >= len(t.entries) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("domain %q has no result", t.domains[i])
	}
	return nil
}
