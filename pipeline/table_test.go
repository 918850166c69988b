package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/csvio"
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

// BenchmarkDedup measures the reader's per-row domain bookkeeping on a
// million rows over 100k domains, drawn as the benchmark harness's lists
// are: half from a Zipf head, half uniformly. Each row's domain is a
// string of its own, as the parser makes it, not the table's copy.
func BenchmarkDedup(b *testing.B) {
	const rows = 1_000_000
	keys := make([]string, rows)
	for i, d := range benchDraws(rows) {
		keys[i] = strings.Clone(fmt.Sprintf("d%d.mxbench.net", d))
	}
	b.ReportAllocs()
	t := newTable()
	i := 0
	for b.Loop() {
		t.add(keys[i%rows])
		i++
	}
}

// BenchmarkJoin measures the join's work per row with every verdict in:
// a million rows over 100k domains drawn as in BenchmarkDedup, read raw
// from CSV and written with their three columns (and the spool of row
// indexes written first). When the last answer of a 20 ms latency run
// comes, the join still has 85,000-170,000 rows to write, at about this
// cost each and more, as the machine is busy then.
func BenchmarkJoin(b *testing.B) {
	const rows = 1_000_000
	var in bytes.Buffer
	in.WriteString("email,id\n")
	t := newTable()
	idx := make([]int, rows)
	for i, d := range benchDraws(rows) {
		domain := fmt.Sprintf("d%d.mxbench.net", d)
		fmt.Fprintf(&in, "u%d@%s,%d\n", i, domain, i)
		idx[i], _ = t.add(domain)
	}
	statuses := []verify.Status{verify.Deliverable, verify.Deliverable, verify.NullMX, verify.NoMX}
	for i := range t.len() {
		reason := ""
		if i%7 == 0 {
			reason = "no MX records, and no address records for the domain"
		}
		if err := t.append(i, statuses[i%len(statuses)], reason); err != nil {
			b.Fatal(err)
		}
	}
	t.finish()
	cols := []string{"email", "id", ColDomain, ColStatus, ColReason}
	b.ReportAllocs()
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		sp, err := newSpool()
		if err != nil {
			b.Fatal(err)
		}
		for _, i := range idx {
			sp.put(i)
		}
		sp.put(endOfInput)
		sp.finish(nil)
		t.rows = sp
		rd, err := csvio.NewReader(bytes.NewReader(in.Bytes()), "list.csv", ',')
		if err != nil {
			b.Fatal(err)
		}
		w, err := csvio.NewWriter(io.Discard, cols, ',')
		if err != nil {
			b.Fatal(err)
		}
		sum := newSummary(nil)
		if err := joinInput(context.Background(), t, &sum, "list.csv", rd, rd, w, w, len(cols)); err != nil {
			b.Fatal(err)
		}
		w.Close()
		sp.close()
	}
}

// TestViewFollowsAppends has the join's view read every verdict, in
// order, while another goroutine adds domains and appends their verdicts
// as the reader and the collector do; as the spool does, a channel tells
// the join of each domain once it is added. Each verdict must come back as
// appended, whether the view had it already or waited for it, and -race
// must find no read of the slices the view copied racing with an append.
func TestViewFollowsAppends(t *testing.T) {
	t.Parallel()
	const n = 20_000
	tb := newTable()
	statuses := []verify.Status{verify.Deliverable, verify.NullMX, verify.NoMX, verify.TempError}
	rows := make(chan int, n)
	go func() {
		defer close(rows)
		for i := range n {
			idx, _ := tb.add(fmt.Sprintf("d%d.example", i))
			rows <- idx
			// Unevenly: the view both catches up and waits.
			if i%97 == 0 {
				time.Sleep(10 * time.Microsecond)
			}
			if err := tb.append(idx, statuses[i%len(statuses)], fmt.Sprint("reason ", i%5)); err != nil {
				t.Error(err)
				break
			}
		}
		tb.finish()
	}()
	v := view{t: tb}
	for i := range n {
		idx, ok := <-rows
		if !ok {
			t.Fatalf("the adding goroutine stopped after %d domains", i)
		}
		got, err := v.verdict(context.Background(), idx)
		if err != nil {
			t.Fatal(err)
		}
		if got.domain != fmt.Sprintf("d%d.example", i) || got.Status() != statuses[i%len(statuses)] || got.reason != fmt.Sprint("reason ", i%5) {
			t.Fatalf("verdict %d = %q %s %q", i, got.domain, got.Status(), got.reason)
		}
	}
	if _, err := v.verdict(context.Background(), n); err == nil {
		t.Errorf("verdict past the last domain: no error")
	}
}
