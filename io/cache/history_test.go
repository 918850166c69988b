package cache

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

func TestHistoryKeepsTheLastRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	c, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Runs(30); err != nil || len(got) != 0 {
		t.Fatalf("new cache: Runs = %d, %v", len(got), err)
	}
	if _, err := c.LastReport(); !errors.Is(err, ErrNoReport) {
		t.Fatalf("new cache: LastReport error %v, want ErrNoReport", err)
	}
	const total = HistoryRuns + 17
	for i := range total {
		var page []byte
		if i%2 == 0 { // a run without a page keeps the last one
			page = fmt.Appendf(nil, "page %d", i)
		}
		if err := c.AddRun(fmt.Appendf(nil, "run %d", i), page); err != nil {
			t.Fatal(err)
		}
	}
	c.Put(verify.Result{Domain: "a.test", Status: verify.Deliverable})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, as the next night's run and the report command see it.
	c, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, n := range []int{0, 1, 30, HistoryRuns, HistoryRuns + 100} {
		got, err := c.Runs(n)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := total - min(n, HistoryRuns); i < total; i++ {
			want = append(want, fmt.Sprintf("run %d", i))
		}
		var gotS []string
		for _, r := range got {
			gotS = append(gotS, string(r))
		}
		if !slices.Equal(gotS, want) {
			t.Errorf("Runs(%d) = %d runs %v…, want %d from %v", n, len(gotS), first(gotS), len(want), first(want))
		}
	}
	page, err := c.LastReport()
	if err != nil || string(page) != fmt.Sprintf("page %d", total-1-(total-1)%2) {
		t.Errorf("LastReport = %q, %v", page, err)
	}
	if _, found, _ := c.Lookup("a.test"); !found {
		t.Error("the domain results are gone")
	}
}

func first(s []string) []string { return s[:min(len(s), 2)] }
