package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// benchDraws draws the domain of each of rows rows from 100k domains as
// the benchmark harness's lists are: half from a Zipf head, half uniformly.
func benchDraws(rows int) []int {
	const domains = 100_000
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.2, 1, domains-1)
	draws := make([]int, rows)
	for i := range draws {
		d := r.IntN(domains)
		if r.IntN(2) == 0 {
			d = int(z.Uint64())
		}
		draws[i] = d
	}
	return draws
}

// benchList is a CSV list of a million rows over 100k domains, drawn as
// in benchDraws, and the rows' domains.
func benchList() (list []byte, domains []string) {
	const rows = 1_000_000
	var in bytes.Buffer
	in.WriteString("email,id\n")
	for i, d := range benchDraws(rows) {
		domain := fmt.Sprintf("d%d.mxbench.net", d)
		fmt.Fprintf(&in, "u%d@%s,%d\n", i, domain, i)
		domains = append(domains, domain)
	}
	return in.Bytes(), domains
}

// csvInput reads a list from memory as CSV.
type csvInput struct{ list []byte }

func (c csvInput) Name() string                 { return "list.csv" }
func (c csvInput) HeaderRow() (header, ok bool) { return true, true }
func (c csvInput) Open() (rowio.Reader, error) {
	return csvio.NewReader(bytes.NewReader(c.list), "list.csv", ',')
}

// newBenchRun is a run over one list, with its spool.
func newBenchRun(tb testing.TB, in Input) *run {
	tb.Helper()
	ctx := context.Background()
	sp, err := newSpool(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sp.close() })
	sum := newSummary([]Input{in})
	d, err := triage.LoadDisposable()
	if err != nil {
		tb.Fatal(err)
	}
	return &run{cfg: Config{Inputs: []Input{in}}, sum: &sum, spool: sp, verdicts: newTable(ctx),
		header: make(chan []string, 1), index: newDomainIndex(), readEnd: make(chan struct{}),
		suggester: triage.NewSuggester(), disposable: d, union: newColumns(), early: true}
}

// BenchmarkRead measures the reader's work per row (the address parsed,
// its domain numbered and spooled) on the list of BenchmarkJoin.
func BenchmarkRead(b *testing.B) {
	list, _ := benchList()
	b.ReportAllocs()
	b.SetBytes(int64(len(list)))
	for b.Loop() {
		r := newBenchRun(b, csvInput{list})
		todo := newQueue(context.Background())
		if err := r.read(context.Background(), todo); err != nil {
			b.Fatal(err)
		}
		todo.close()
	}
}

// BenchmarkJoin measures the join's work per row with every verdict in:
// a million rows over 100k domains drawn as in benchDraws, read from CSV
// and written with their three columns (and the spool of row indexes
// written first).
func BenchmarkJoin(b *testing.B) {
	list, domains := benchList()
	statuses := []verify.Status{verify.Deliverable, verify.Deliverable, verify.NullMX, verify.NoMX}
	index := make(map[string]int)
	var verdicts []verdict
	rows := make([]int, len(domains))
	for k, d := range domains {
		i, seen := index[d]
		if !seen {
			i = len(verdicts)
			index[d] = i
			// Implicit MX: no typo suggestion, which the collector makes.
			verdicts = append(verdicts, verdict{domain: d, status: statuses[i%len(statuses)], implicitMX: true})
		}
		rows[k] = i
	}
	t := &rowTriage{cols: TriageColumns}
	cols := append([]string{"email", "id"}, t.header()...)
	b.ReportAllocs()
	b.SetBytes(int64(len(list)))
	for b.Loop() {
		r := newBenchRun(b, csvInput{list})
		r.verdicts.verdicts = verdicts
		r.verdicts.finish()
		close(r.readEnd)
		for _, i := range rows {
			r.spool.put(i)
		}
		r.spool.put(endOfInput)
		r.spool.finish()
		w, err := csvio.NewWriter(io.Discard, cols, ',')
		if err != nil {
			b.Fatal(err)
		}
		if err := r.joinInput(context.Background(), 0, csvInput{list}, w, &rowTriage{cols: TriageColumns}); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
}

// TestJoinFollowsVerdicts has the join's table read every verdict, in
// order, while another goroutine adds them as the collector does; as the
// spool does, a channel tells the join of each domain first. Each verdict
// must come back as added, whether it was in already or waited for, and
// -race must find no read racing with an append.
func TestJoinFollowsVerdicts(t *testing.T) {
	t.Parallel()
	const n = 20_000
	tb := newTable(context.Background())
	statuses := []verify.Status{verify.Deliverable, verify.NullMX, verify.NoMX, verify.TempError}
	rows := make(chan int, n)
	go func() {
		defer close(rows)
		for i := range n {
			rows <- i
			// Unevenly: the join both catches up and waits.
			if i%97 == 0 {
				time.Sleep(10 * time.Microsecond)
			}
			tb.add(verdict{domain: fmt.Sprintf("d%d.example", i), status: statuses[i%len(statuses)], free: i%5 == 0})
		}
		tb.finish()
	}()
	for i := range n {
		idx, ok := <-rows
		if !ok {
			t.Fatalf("the adding goroutine stopped after %d domains", i)
		}
		got, err := tb.get(idx)
		if err != nil {
			t.Fatal(err)
		}
		if got.domain != fmt.Sprintf("d%d.example", i) || got.status != statuses[i%len(statuses)] || got.free != (i%5 == 0) {
			t.Fatalf("verdict %d = %q %s %v", i, got.domain, got.status, got.free)
		}
	}
	if _, err := tb.get(n); err == nil {
		t.Errorf("verdict past the last domain: no error")
	}
}

// TestJoinStopsOnCancel: a join waiting for a verdict or for the reader's
// next row returns the context's error once the run is cancelled.
func TestJoinStopsOnCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	tb := newTable(ctx)
	sp, err := newSpool(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	errs := make(chan error, 2)
	go func() { _, err := tb.get(0); errs <- err }()
	go func() { _, err := sp.next(); errs <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	for range 2 {
		if err := <-errs; err != context.Canceled {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	}
}
