package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// genInput makes n rows on the fly, so that the test's own memory stays
// out of the figure: row i names domain i%domains, and every tenth row
// repeats the address of the row nine before it in other letter cases.
type genInput struct{ n, domains int }

func (g genInput) Name() string                 { return "generated" }
func (g genInput) HeaderRow() (header, ok bool) { return false, false }
func (g genInput) Open() (rowio.Reader, error)  { return &genReader{g: g}, nil }

type genReader struct {
	g genInput
	i int
}

func (r *genReader) Columns() []string { return []string{"email"} }
func (r *genReader) Close() error      { return nil }
func (r *genReader) Read() (rowio.Row, error) {
	i := r.i
	if i >= r.g.n {
		return nil, io.EOF
	}
	r.i++
	if i%10 == 9 {
		k := i - 9
		return rowio.Row{fmt.Sprintf("U%d@D%d.BIG.NET", k, k%r.g.domains)}, nil
	}
	return rowio.Row{fmt.Sprintf("u%d@d%d.big.net", i, i%r.g.domains)}, nil
}

// dupCounter counts the rows marked duplicate.
type dupCounter struct {
	col      int
	rows, ok int
}

func (w *dupCounter) Write(r rowio.Row) error {
	w.rows++
	if r[w.col] == "true" {
		w.ok++
	}
	return nil
}
func (w *dupCounter) Close() error { return nil }

// TestDuplicatesAtScale: a million rows (a fifth of that under the race
// detector), every tenth a duplicate in other letter cases, are counted
// exactly, in a heap that stays small: the duplicate set costs bytes per
// address, not a string.
func TestDuplicatesAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("a million rows")
	}
	n := 1_000_000
	if raceEnabled {
		n = 200_000
	}
	const domains = 2000
	srv := dnstest.NewFromText(t, bigZone(domains))
	out := &dupCounter{}
	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := pipeline.Run(context.Background(), pipeline.Config{
		Inputs:      []pipeline.Input{genInput{n: n, domains: domains}},
		Concurrency: 64,
		Verifier:    newVerifier(t, srv, 64),
		Out: func(cols []string) (rowio.Writer, error) {
			out.col = slices.Index(cols, pipeline.ColDuplicate)
			return out, nil
		},
	})
	close(stop)
	sampled.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if out.rows != n || out.ok != n/10 || sum.Duplicates != int64(n/10) {
		t.Errorf("%d rows, %d marked duplicate, summary %d; want %d rows, %d duplicates", out.rows, out.ok, sum.Duplicates, n, n/10)
	}
	// 600 MB for 10M rows over 1M domains is the README's figure; a
	// tenth of the rows over a few domains must take far less than a tenth.
	grown := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("%d rows: heap grew by %.1f MB at most", n, float64(grown)/(1<<20))
	if grown > 60<<20 {
		t.Errorf("heap grew by %.0f MB over %d rows, want at most 60 MB", float64(grown)/(1<<20), n)
	}
}

// TestTally: every domain once, in first-seen order, with its rows and the
// same suggestion the rows get, whether the join or the collector made it.
func TestTally(t *testing.T) {
	t.Parallel()
	srv := dnstest.New(t, "../testdata/triage/providers.zone")
	in := &memInput{name: "mem", cols: []string{"email"}}
	for _, a := range []string{"a@gmial.com", "b@gmail.com", "c@gmial.com", "d@yaho.com", "e@gmail.com", "f@gmail.com"} {
		in.rows = append(in.rows, rowio.Row{a})
	}
	out := &memWriter{}
	var got []pipeline.DomainRows
	_, err := pipeline.Run(context.Background(), pipeline.Config{
		Inputs: []pipeline.Input{in}, Concurrency: 4, Verifier: newVerifier(t, srv, 4),
		Out:   func(cols []string) (rowio.Writer, error) { out.cols = cols; return out, nil },
		Tally: func(d pipeline.DomainRows) error { got = append(got, d); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		domain     string
		rows       int64
		suggestion string
	}{{"gmial.com", 2, "gmail.com"}, {"gmail.com", 3, ""}, {"yaho.com", 1, "yahoo.com"}}
	if len(got) != len(want) {
		t.Fatalf("%d domains tallied, want %d", len(got), len(want))
	}
	for i, w := range want {
		if g := got[i]; g.Result.Domain != w.domain || g.Rows != w.rows || g.Suggestion != w.suggestion {
			t.Errorf("tally %d: %s, %d rows, suggestion %q; want %+v", i, g.Result.Domain, g.Rows, g.Suggestion, w)
		}
	}
	col := slices.Index(out.cols, pipeline.ColSuggestion)
	for i, s := range []string{"a@gmail.com", "", "c@gmail.com", "d@yahoo.com", "", ""} {
		if out.rows[i][col] != s {
			t.Errorf("row %d: suggestion %q, want %q", i, out.rows[i][col], s)
		}
	}
}
