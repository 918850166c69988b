package pipeline

import "github.com/mxverify/mxverify/verify"

// table holds what the join needs of each distinct domain, and nothing
// more: memory grows with domains, never with rows, and a list of ten
// million rows over a million domains must fit in a few hundred MB.
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

func (t *table) len() int { return len(t.entries) }

// add registers a domain in first-seen order.
func (t *table) add(domain string) (int, bool) {
	if i, ok := t.index[domain]; ok {
		return int(i), false
	}
	i := len(t.entries)
	t.index[domain] = int32(i)
	t.entries = append(t.entries, entry{})
	return i, true
}

const maxInterned = 1 << 16

func (t *table) set(i int, status verify.Status, reason string) {
	if r, ok := t.reasons[reason]; ok {
		reason = r
	} else if len(t.reasons) < maxInterned {
		t.reasons[reason] = reason
	}
	t.entries[i] = entry{status: status, reason: reason}
}

func (t *table) get(domain string) (entry, bool) {
	i, ok := t.index[domain]
	if !ok || t.entries[i].status == "" {
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
