package pipeline

import (
	"fmt"

	"github.com/mxverify/mxverify/verify"
)

// table holds what the join needs of each distinct domain, and nothing
// more: memory grows with domains, never with rows, and a list of ten
// million rows over a million domains must fit in a few hundred MB.
//
// During pass one the reader owns index and the collector owns entries:
// the collector appends in index order (it reorders results), so neither
// touches the other's half until both are done.
type table struct {
	index   map[string]int32
	entries []entry
	columns []string
	column  int
	// reasons interns reason texts: most domains share a handful.
	reasons map[string]string

	changed []change
	// changedRows counts the rows of domains whose status changed.
	changedRows map[string]int64
}

type entry struct {
	status verify.Status
	reason string
}

type change struct{ old, cur verify.Result }

func newTable() *table {
	return &table{index: make(map[string]int32), reasons: make(map[string]string)}
}

func (t *table) len() int { return len(t.index) }

// add registers a domain in first-seen order.
func (t *table) add(domain string) (int, bool) {
	if i, ok := t.index[domain]; ok {
		return int(i), false
	}
	i := len(t.index)
	t.index[domain] = int32(i)
	return i, true
}

const maxInterned = 1 << 16

// append records the verdict of the next domain in first-seen order.
func (t *table) append(i int, status verify.Status, reason string) error {
	if i != len(t.entries) {
		return fmt.Errorf("internal error: result %d recorded as %d", i, len(t.entries))
	}
	if r, ok := t.reasons[reason]; ok {
		reason = r
	} else if len(t.reasons) < maxInterned {
		t.reasons[reason] = reason
	}
	t.entries = append(t.entries, entry{status: status, reason: reason})
	return nil
}

func (t *table) get(domain string) (entry, bool) {
	i, ok := t.index[domain]
	if !ok || int(i) >= len(t.entries) {
		return entry{}, false
	}
	return t.entries[i], true
}

func (t *table) countRow(domain string) {
	if len(t.changed) == 0 {
		return
	}
	if t.changedRows == nil {
		t.changedRows = make(map[string]int64, len(t.changed))
		for _, c := range t.changed {
			t.changedRows[c.cur.Domain] = 0
		}
	}
	if _, ok := t.changedRows[domain]; ok {
		t.changedRows[domain]++
	}
}

func (t *table) rows(domain string) int64 { return t.changedRows[domain] }
