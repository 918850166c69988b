package report

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// maxMailHosts bounds the mail hosts kept per listed domain: a page
// lists a few, and a domain from the internet may publish hundreds.
const maxMailHosts = 5

// Collector picks, from every domain of a run, what the page lists. It
// keeps only the leaders (a bounded heap each), so its memory does not
// grow with the list. It has one owner: the caller feeds it in order.
type Collector struct {
	top     bounded[Domain]
	sugg    bounded[Suggestion]
	changes map[[2]verify.Status]*changeGroup
}

type changeGroup struct {
	c        Change
	examples bounded[Example]
}

// NewCollector returns an empty Collector.
func NewCollector() *Collector {
	return &Collector{
		top:     bounded[Domain]{n: TopDomains, less: func(a, b Domain) bool { return ranks(a.Rows, a.Name, b.Rows, b.Name) }},
		sugg:    bounded[Suggestion]{n: TopSuggestions, less: func(a, b Suggestion) bool { return ranks(a.Rows, a.Domain, b.Rows, b.Domain) }},
		changes: make(map[[2]verify.Status]*changeGroup),
	}
}

// ranks reports whether a ranks below b: fewer rows, or as many with a
// name later in order, so that ties are broken the same way every run.
func ranks(aRows int64, aName string, bRows int64, bName string) bool {
	if aRows != bRows {
		return aRows < bRows
	}
	return aName > bName
}

// Domain hears one domain's verdict, the rows that name it and the domain
// it is likely a typo of ("" if none).
func (c *Collector) Domain(res verify.Result, rows int64, suggestion string) {
	if suggestion != "" && rows > 0 {
		c.sugg.add(Suggestion{Domain: res.Domain, Meant: suggestion, Rows: rows}, func() Suggestion {
			return Suggestion{Domain: res.Domain, Meant: suggestion, Rows: rows}
		})
	}
	action := triage.ActionOf(res)
	if action == triage.Send || rows <= 0 {
		return
	}
	// The hosts slice is built only for a domain that makes the list.
	probe := Domain{Name: res.Domain, Rows: rows}
	c.top.add(probe, func() Domain {
		d := probe
		d.Status, d.Action, d.Reason = res.Status, action, Reason(res.Status, res.ImplicitMX)
		for _, mx := range res.MX {
			if len(d.MailHosts) == maxMailHosts {
				break
			}
			d.MailHosts = append(d.MailHosts, mx.Host)
		}
		return d
	})
}

// Change hears a domain whose status differs from the last run's.
func (c *Collector) Change(old, cur verify.Result, rows int64) {
	k := [2]verify.Status{old.Status, cur.Status}
	g := c.changes[k]
	if g == nil {
		g = &changeGroup{
			c:        Change{Old: old.Status, New: cur.Status},
			examples: bounded[Example]{n: ChangeExamples, less: func(a, b Example) bool { return ranks(a.Rows, a.Domain, b.Rows, b.Domain) }},
		}
		c.changes[k] = g
	}
	g.c.Domains++
	g.c.Rows += rows
	e := Example{Domain: cur.Domain, Rows: rows}
	g.examples.add(e, func() Example { return e })
}

// Fill sets the lists of d: Top, Suggestions and Changes (most rows
// first).
func (c *Collector) Fill(d *Data) {
	d.Top = c.top.sorted()
	d.Suggestions = c.sugg.sorted()
	d.Changes = d.Changes[:0]
	for _, g := range c.changes {
		ch := g.c
		ch.Examples = g.examples.sorted()
		d.Changes = append(d.Changes, ch)
	}
	slices.SortFunc(d.Changes, func(a, b Change) int {
		if r := cmp.Compare(b.Rows, a.Rows); r != 0 {
			return r
		}
		if r := cmp.Compare(a.Old, b.Old); r != 0 {
			return r
		}
		return cmp.Compare(a.New, b.New)
	})
}

// bounded keeps the n greatest values under less, in a min-heap whose
// root is the first to go.
type bounded[T any] struct {
	n    int
	less func(a, b T) bool
	h    []T
}

func (b *bounded[T]) Len() int           { return len(b.h) }
func (b *bounded[T]) Less(i, j int) bool { return b.less(b.h[i], b.h[j]) }
func (b *bounded[T]) Swap(i, j int)      { b.h[i], b.h[j] = b.h[j], b.h[i] }
func (b *bounded[T]) Push(x any)         { b.h = append(b.h, x.(T)) }
func (b *bounded[T]) Pop() any {
	x := b.h[len(b.h)-1]
	b.h = b.h[:len(b.h)-1]
	return x
}

// add offers probe, which carries what less compares; build makes the
// value kept, only when it gets in.
func (b *bounded[T]) add(probe T, build func() T) {
	if len(b.h) < b.n {
		heap.Push(b, build())
		return
	}
	if b.n == 0 || !b.less(b.h[0], probe) {
		return
	}
	b.h[0] = build()
	heap.Fix(b, 0)
}

// sorted returns the kept values, greatest first.
func (b *bounded[T]) sorted() []T {
	out := slices.Clone(b.h)
	slices.SortFunc(out, func(x, y T) int {
		switch {
		case b.less(y, x):
			return -1
		case b.less(x, y):
			return 1
		}
		return 0
	})
	return out
}
