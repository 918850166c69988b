package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// The per-address columns that say what to do with each address, added
// after mx_domain and mx_status; --add-columns picks among them.
const (
	ColAction     = "mx_action"
	ColAddress    = "mx_address"
	ColDuplicate  = "mx_duplicate"
	ColSuggestion = "mx_suggestion"
	ColRole       = "mx_role"
	ColFree       = "mx_free"
	ColDisposable = "mx_disposable"
)

// TriageColumns are the columns --add-columns chooses from, in the order
// they are written: mx_action goes between mx_status and mx_reason, the
// rest after mx_reason.
var TriageColumns = []string{ColAction, ColAddress, ColDuplicate, ColSuggestion, ColRole, ColFree, ColDisposable}

// ParseColumns reads --add-columns: a comma-separated list of
// TriageColumns, with or without their mx_ prefix. The result keeps the
// output's order whatever the list's; "" adds none.
func ParseColumns(s string) ([]string, error) {
	want := make(map[string]bool)
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !strings.HasPrefix(name, "mx_") {
			name = "mx_" + name
		}
		if !slices.Contains(TriageColumns, name) {
			return nil, fmt.Errorf("unknown column %q: want some of %s", name, strings.Join(TriageColumns, ", "))
		}
		want[name] = true
	}
	cols := []string{}
	for _, c := range TriageColumns {
		if want[c] {
			cols = append(cols, c)
		}
	}
	return cols, nil
}

// DomainRows is one domain's verdict with the number of input rows that
// name it.
type DomainRows struct {
	Result     verify.Result
	Rows       int64
	Suggestion string // the domain this one is most likely a typo of, or ""
}

// rowTriage is the join's per-row work: it owns the duplicate set and the
// counts of the triage columns, as rows must be seen in list order.
type rowTriage struct {
	cols       []string // of TriageColumns, in order
	suppressIf triage.Flags
	seen       triage.Seen
	suggested  map[string]string // by the domain part of addresses invalid only in it
	values     []string          // the row's added values, reused
}

// header is the columns the join adds.
func (t *rowTriage) header() []string {
	h := []string{ColDomain, ColStatus}
	if slices.Contains(t.cols, ColAction) {
		h = append(h, ColAction)
	}
	h = append(h, ColReason)
	for _, c := range t.cols {
		if c != ColAction {
			h = append(h, c)
		}
	}
	return h
}

// row gives the values the join adds to one row, and counts it. i is the
// row's domain index (invalidRow for a row without a valid address), v
// its verdict, a the parsed cell.
func (t *rowTriage) row(ctx context.Context, r *run, i int, v verdict, a triage.Address) ([]string, error) {
	var flags triage.Flags
	if t.seen.Add(a) {
		flags |= triage.FlagDuplicate
	}
	if a.Problem == triage.NoProblem && triage.IsRole(a.Local) {
		flags |= triage.FlagRole
	}
	if v.free {
		flags |= triage.FlagFree
	}
	if v.disposable {
		flags |= triage.FlagDisposable
	}
	res := v.result()
	suggestion := ""
	if i >= 0 && triage.Eligible(res) || i < 0 && a.Problem.DomainOnly() {
		// Suggestions weigh the list's domains by their rows.
		select {
		case <-r.readEnd:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if i >= 0 {
			suggestion = r.suggestion(i, res, joinVerdicts{ctx: ctx, r: r})
		} else {
			suggestion = t.suggestInvalid(ctx, r, a.DomainPart)
		}
	}
	if suggestion != "" {
		suggestion = a.Local + "@" + suggestion
	}
	action, reason := triage.Decide(triage.Row{Result: res, Problem: a.Problem, Flags: flags, Suggestion: suggestion}, t.suppressIf)

	s := r.sum
	s.RowsByAction[action]++
	count := func(f triage.Flags, n *int64) {
		if flags&f != 0 {
			*n++
		}
	}
	count(triage.FlagDuplicate, &s.Duplicates)
	count(triage.FlagRole, &s.RoleRows)
	count(triage.FlagFree, &s.FreeRows)
	count(triage.FlagDisposable, &s.DisposableRows)
	if suggestion != "" {
		s.Suggestions++
	}

	vals := append(t.values[:0], v.domain, string(v.status))
	if slices.Contains(t.cols, ColAction) {
		vals = append(vals, string(action))
	}
	vals = append(vals, reason)
	for _, c := range t.cols {
		switch c {
		case ColAddress:
			vals = append(vals, a.Sender)
		case ColDuplicate:
			vals = append(vals, boolText(flags&triage.FlagDuplicate != 0))
		case ColSuggestion:
			vals = append(vals, suggestion)
		case ColRole:
			vals = append(vals, boolText(flags&triage.FlagRole != 0))
		case ColFree:
			vals = append(vals, boolText(flags&triage.FlagFree != 0))
		case ColDisposable:
			vals = append(vals, boolText(flags&triage.FlagDisposable != 0))
		}
	}
	t.values = vals
	return vals, nil
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// suggestions are the domains' typo suggestions, made once each by the
// first of the join and the collector to need one. Most domains that may
// get one get none: a bit per domain says it was made, and only the
// suggestions themselves are kept.
type suggestions struct {
	mu   sync.Mutex
	made []uint64 // by domain index
	m    map[int]string
}

func (s *suggestions) get(i int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i/64 >= len(s.made) || s.made[i/64]&(1<<(i%64)) == 0 {
		return "", false
	}
	return s.m[i], true
}

// put keeps the first suggestion made for domain i and returns it.
func (s *suggestions) put(i int, sug string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i/64 >= len(s.made) {
		s.made = append(s.made, 0)
	}
	if s.made[i/64]&(1<<(i%64)) != 0 {
		return s.m[i]
	}
	s.made[i/64] |= 1 << (i % 64)
	if sug != "" {
		if s.m == nil {
			s.m = make(map[int]string)
		}
		s.m[i] = sug
	}
	return sug
}

// suggestion is the typo suggestion for domain i, whose result is res;
// only after the read has ended.
func (r *run) suggestion(i int, res verify.Result, v triage.Verdicts) string {
	if !triage.Eligible(res) {
		return ""
	}
	if s, ok := r.suggestions.get(i); ok {
		return s
	}
	return r.suggestions.put(i, r.suggester.Suggest(res.Domain, v))
}

// suggestInvalid is the suggestion for a domain part that is not a valid
// domain (gmail,com), once per distinct domain part.
func (t *rowTriage) suggestInvalid(ctx context.Context, r *run, domainPart string) string {
	if s, ok := t.suggested[domainPart]; ok {
		return s
	}
	if t.suggested == nil {
		t.suggested = make(map[string]string)
	}
	s := r.suggester.Suggest(domainPart, joinVerdicts{ctx: ctx, r: r})
	t.suggested[domainPart] = s
	return s
}

// joinVerdicts are the run's verdicts as the join sees them: list domains
// from the table (waiting for them), others asked of DNS once.
type joinVerdicts struct {
	ctx context.Context
	r   *run
}

func (v joinVerdicts) Result(domain string) (verify.Result, bool) {
	if i, ok := v.r.index.lookup(domain); ok {
		d, err := v.r.verdicts.get(int(i))
		if err != nil {
			return verify.Result{}, false
		}
		return d.result(), true
	}
	return v.r.extra.get(v.ctx, domain), true
}

func (v joinVerdicts) Rows(domain string) int { return v.r.rows(domain) }

// collectVerdicts are the verdicts as the collector sees them when it
// records job cur: those before it are in the table, those after it may
// be pending; the rest are asked of DNS once.
type collectVerdicts struct {
	ctx     context.Context
	r       *run
	cur     job
	pending map[int]job
}

func (v collectVerdicts) Result(domain string) (verify.Result, bool) {
	if i, ok := v.r.index.lookup(domain); ok {
		if int(i) == v.cur.index {
			return v.cur.res, true
		}
		if int(i) < len(v.r.verdicts.verdicts) {
			return v.r.verdicts.verdicts[i].result(), true
		}
		if j, ok := v.pending[int(i)]; ok {
			return j.res, true
		}
	}
	return v.r.extra.get(v.ctx, domain), true
}

func (v collectVerdicts) Rows(domain string) int { return v.r.rows(domain) }

// rows is how many rows name a domain; only after the read.
func (r *run) rows(domain string) int {
	if i, ok := r.index.lookup(domain); ok {
		return int(r.uses[i])
	}
	return int(r.others[domain])
}

// extras resolves, once each, the domains a suggestion needs that the
// list does not name (or names later than the collector has reached).
type extras struct {
	v  Verifier
	mu sync.Mutex
	m  map[string]*extra
}

type extra struct {
	once sync.Once
	res  verify.Result
}

func (e *extras) get(ctx context.Context, domain string) verify.Result {
	e.mu.Lock()
	if e.m == nil {
		e.m = make(map[string]*extra)
	}
	x, ok := e.m[domain]
	if !ok {
		x = new(extra)
		e.m[domain] = x
	}
	e.mu.Unlock()
	x.once.Do(func() { x.res = e.v.Verify(ctx, domain) })
	return x.res
}
