package report

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// TestCollectorKeepsTheLeaders: of many domains, the kept ones are those a
// full sort would pick, in its order, and only those to suppress or retry.
func TestCollectorKeepsTheLeaders(t *testing.T) {
	statuses := verify.Statuses[:]
	rng := rand.New(rand.NewPCG(1, 2))
	c := NewCollector()
	type dom struct {
		name string
		rows int64
		st   verify.Status
	}
	var all []dom
	for i := range 5000 {
		d := dom{fmt.Sprintf("d%04d.test", i), int64(rng.IntN(300)), statuses[rng.IntN(len(statuses))]}
		all = append(all, d)
		sugg := ""
		if i%3 == 0 {
			sugg = "meant.test"
		}
		c.Domain(verify.Result{Domain: d.name, Status: d.st}, d.rows, sugg)
	}
	var d Data
	c.Fill(&d)

	order := func(a, b dom) int {
		if a.rows != b.rows {
			return int(b.rows - a.rows)
		}
		if a.name < b.name {
			return -1
		}
		return 1
	}
	var want []string
	slices.SortFunc(all, order)
	for _, x := range all {
		if triage.ActionOf(verify.Result{Status: x.st}) != triage.Send && x.rows > 0 && len(want) < TopDomains {
			want = append(want, fmt.Sprintf("%s %d %s", x.name, x.rows, x.st))
		}
	}
	var got []string
	for _, x := range d.Top {
		got = append(got, fmt.Sprintf("%s %d %s", x.Name, x.Rows, x.Status))
	}
	if !slices.Equal(got, want) {
		t.Errorf("top:\n got %v\nwant %v", got, want)
	}
	if len(d.Suggestions) != TopSuggestions {
		t.Errorf("%d suggestions kept, want %d", len(d.Suggestions), TopSuggestions)
	}
	for i := 1; i < len(d.Suggestions); i++ {
		if d.Suggestions[i].Rows > d.Suggestions[i-1].Rows {
			t.Errorf("suggestions out of order at %d", i)
		}
	}
}

func TestCollectorGroupsChanges(t *testing.T) {
	c := NewCollector()
	r := func(d string, st verify.Status) verify.Result { return verify.Result{Domain: d, Status: st} }
	for i := range 30 {
		c.Change(r("", verify.Deliverable), r(fmt.Sprintf("x%02d.test", i), verify.NXDomain), int64(i))
	}
	c.Change(r("", verify.NXDomain), r("back.test", verify.Deliverable), 1000)
	var d Data
	c.Fill(&d)
	if len(d.Changes) != 2 {
		t.Fatalf("%d groups, want 2", len(d.Changes))
	}
	first, second := d.Changes[0], d.Changes[1]
	if first.Old != verify.NXDomain || first.Rows != 1000 || first.Domains != 1 {
		t.Errorf("first group = %+v", first)
	}
	if second.Domains != 30 || second.Rows != 435 || len(second.Examples) != ChangeExamples ||
		second.Examples[0] != (Example{"x29.test", 29}) || second.Examples[ChangeExamples-1] != (Example{"x20.test", 20}) {
		t.Errorf("second group = %+v", second)
	}
}
