package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// memInput is a list held in memory; each Open reads it from the start.
type memInput struct {
	name  string
	cols  []string
	rows  []rowio.Row
	opens int
}

func (m *memInput) Name() string                 { return m.name }
func (m *memInput) HeaderRow() (header, ok bool) { return false, false }
func (m *memInput) Open() (rowio.Reader, error) {
	m.opens++
	return &memReader{in: m}, nil
}

type memReader struct {
	in *memInput
	i  int
}

func (r *memReader) Columns() []string { return r.in.cols }
func (r *memReader) Close() error      { return nil }
func (r *memReader) Read() (rowio.Row, error) {
	if r.i >= len(r.in.rows) {
		return nil, io.EOF
	}
	r.i++
	return r.in.rows[r.i-1], nil
}

// memWriter collects output rows.
type memWriter struct {
	cols []string
	rows []rowio.Row
}

func (w *memWriter) Write(r rowio.Row) error { w.rows = append(w.rows, r); return nil }
func (w *memWriter) Close() error            { return nil }

// memResults collects per-domain results, and fails a result written
// after Close, which must come after the last one.
type memResults struct {
	res    []verify.Result
	rows   []int64
	closed int
}

func (m *memResults) WriteResult(r verify.Result, rows int64) error {
	if m.closed > 0 {
		return fmt.Errorf("result for %s after Close", r.Domain)
	}
	m.res = append(m.res, r)
	m.rows = append(m.rows, rows)
	return nil
}

func (m *memResults) Close() error { m.closed++; return nil }

// bigZone has n domains: even ones deliverable on a shared host, odd ones
// without MX or address.
func bigZone(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN big.net.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\nmx IN A 192.0.2.1\n")
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, "d%d IN MX 10 mx.big.net.\n", i)
		} else {
			fmt.Fprintf(&b, "d%d IN TXT \"none\"\n", i)
		}
	}
	return b.String()
}

func newVerifier(t *testing.T, srv *dnstest.Server, inFlight int) *verify.Resolver {
	t.Helper()
	r, err := verify.New(verify.Config{ClientConfig: verify.ClientConfig{
		Servers: []string{srv.Addr()}, Timeout: 2 * time.Second, Retries: 2, MaxInFlight: inFlight}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Thousands of domains with the reader far ahead of the resolvers: every
// row gets its own domain's verdict, in input order, each domain once.
func TestRunManyDomains(t *testing.T) {
	t.Parallel()
	const n = 3000
	srv := dnstest.NewFromText(t, bigZone(n))
	in := &memInput{name: "mem", cols: []string{"id", "email"}}
	for i := range 2 * n {
		d := i % n
		in.rows = append(in.rows, rowio.Row{fmt.Sprint(i), fmt.Sprintf("u%d@D%d.big.net", i, d)})
	}
	out := &memWriter{}
	doms := &memResults{}
	sum, err := pipeline.Run(context.Background(), pipeline.Config{
		Inputs:      []pipeline.Input{in},
		Concurrency: 64,
		Verifier:    newVerifier(t, srv, 64),
		Out: func(cols []string) (rowio.Writer, error) {
			out.cols = cols
			return out, nil
		},
		Domains: doms,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.cols, []string{"id", "email", "mx_domain", "mx_status", "mx_action", "mx_reason",
		"mx_address", "mx_duplicate", "mx_suggestion", "mx_role", "mx_free", "mx_disposable"}) {
		t.Errorf("columns %q", out.cols)
	}
	if len(out.rows) != 2*n {
		t.Fatalf("%d rows out, want %d", len(out.rows), 2*n)
	}
	for i, row := range out.rows {
		d := i % n
		want := verify.Deliverable
		if d%2 == 1 {
			want = verify.NoMX
		}
		if row[0] != fmt.Sprint(i) || row[2] != fmt.Sprintf("d%d.big.net", d) || row[3] != string(want) {
			t.Fatalf("row %d: %q, want d%d %s", i, row, d, want)
		}
	}
	for i, r := range doms.res {
		if r.Domain != fmt.Sprintf("d%d.big.net", i) {
			t.Fatalf("domain result %d is %s: not in first-seen order", i, r.Domain)
		}
	}
	if len(doms.res) != n || doms.closed != 1 {
		t.Errorf("%d domain results, closed %d times; want %d, once", len(doms.res), doms.closed, n)
	}
	if sum.Rows != 2*n || sum.Domains != n || sum.DomainsByStatus[verify.Deliverable] != n/2 {
		t.Errorf("summary %+v", sum)
	}
	for d := range n {
		if got := srv.Queries(fmt.Sprintf("d%d.big.net", d), dns.TypeMX); got != 1 {
			t.Fatalf("d%d: %d MX queries, want 1", d, got)
		}
	}
	if in.opens != 2 {
		t.Errorf("input opened %d times, want 2", in.opens)
	}
}

func TestColumnDetection(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, bigZone(4))
	tests := []struct {
		name   string
		cols   []string
		rows   []rowio.Row
		column string
		want   int // index of the email column in the output's mx_domain source, -1 for an error
	}{
		{"by header", []string{"name", "E-Mail"}, []rowio.Row{{"x", "a@d0.big.net"}}, "", 1},
		{"email_address", []string{"EMAIL_ADDRESS", "x"}, []rowio.Row{{"a@d0.big.net", "b@d2.big.net"}}, "", 0},
		{"by content", []string{"name", "contact"}, []rowio.Row{{"Ann", "a@d0.big.net"}, {"Bob", "bad"}, {"Cy", "c@d2.big.net"}}, "", 1},
		{"named", []string{"work", "home"}, []rowio.Row{{"a@d0.big.net", "b@d2.big.net"}}, "home", 1},
		{"named, other case", []string{"work", "Home"}, []rowio.Row{{"a@d0.big.net", "b@d2.big.net"}}, "home", 1},
		{"named missing", []string{"work"}, []rowio.Row{{"a@d0.big.net"}}, "home", -1},
		{"no addresses", []string{"a", "b"}, []rowio.Row{{"1", "2"}}, "", -1},
		{"empty list", []string{"a"}, nil, "", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := &memInput{name: "list.csv", cols: tt.cols, rows: tt.rows}
			out := &memWriter{}
			_, err := pipeline.Run(context.Background(), pipeline.Config{
				Inputs: []pipeline.Input{in}, Column: tt.column, Concurrency: 2, Verifier: newVerifier(t, srv, 4),
				Out: func(cols []string) (rowio.Writer, error) { out.cols = cols; return out, nil },
			})
			if tt.want < 0 {
				if !errors.Is(err, pipeline.ErrInput) || !strings.Contains(err.Error(), "list.csv") {
					t.Fatalf("err = %v, want an input error naming the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			row := out.rows[0]
			col := slices.Index(out.cols, "mx_domain")
			if domain, _ := verify.Address(row[tt.want].(string)); row[col] != domain {
				t.Errorf("mx_domain %q from the wrong column", row[col])
			}
		})
	}
}

// A cancelled run stops promptly and returns the cancellation.
func TestRunCancel(t *testing.T) {
	t.Parallel()
	srv := dnstest.NewFromText(t, bigZone(200))
	srv.Drop(dnstest.AllNames)
	in := &memInput{name: "mem", cols: []string{"email"}}
	for i := range 200 {
		in.rows = append(in.rows, rowio.Row{fmt.Sprintf("a@d%d.big.net", i)})
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		_, err := pipeline.Run(ctx, pipeline.Config{
			Inputs: []pipeline.Input{in}, Concurrency: 16, Verifier: newVerifier(t, srv, 16),
			Out: func([]string) (rowio.Writer, error) { return &memWriter{}, nil },
		})
		done <- err
	}()
	for srv.Total() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	once.Do(cancel)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}

// countProgress counts what the pipeline reports, checking as it goes that
// no domain gets a result before the reader has reported it found: the
// progress display divides the one by the other.
type countProgress struct {
	mu                   sync.Mutex
	rows, domains, found int
	early                int // results reported before their domain was found
}

func (p *countProgress) AddRows(n int)  { p.mu.Lock(); p.rows += n; p.mu.Unlock() }
func (p *countProgress) AddFound(n int) { p.mu.Lock(); p.found += n; p.mu.Unlock() }
func (p *countProgress) AddDomains(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.domains += n
	if p.domains > p.found {
		p.early++
	}
}

// Progress hears of every row written, invalid ones too, across inputs
// and batches, and of every domain once when found and once with its
// result.
func TestRunProgress(t *testing.T) {
	t.Parallel()
	const n = 40
	srv := dnstest.NewFromText(t, bigZone(n))
	var inputs []pipeline.Input
	rows := 0
	for k, count := range []int{2500, 1} {
		in := &memInput{name: fmt.Sprint("mem", k), cols: []string{"email"}}
		for i := range count {
			addr := fmt.Sprintf("u%d@d%d.big.net", i, (i*7)%n)
			if i%100 == 3 {
				addr = "not an address"
			}
			in.rows = append(in.rows, rowio.Row{addr})
			rows++
		}
		inputs = append(inputs, in)
	}
	p := &countProgress{}
	sum, err := pipeline.Run(context.Background(), pipeline.Config{
		Inputs:      inputs,
		Concurrency: 8,
		Verifier:    newVerifier(t, srv, 8),
		Out:         func([]string) (rowio.Writer, error) { return &memWriter{}, nil },
		Progress:    p,
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.rows != rows || p.domains != int(sum.Domains) || sum.Domains != n {
		t.Errorf("progress heard %d rows and %d domains, want %d and %d (summary: %d domains)", p.rows, p.domains, rows, n, sum.Domains)
	}
	if p.found != p.domains || p.early > 0 {
		t.Errorf("progress heard %d domains found and %d with a result (%d before they were found), want as many found, none before", p.found, p.domains, p.early)
	}
}
