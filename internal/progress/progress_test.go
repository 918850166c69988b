package progress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxverify/mxverify/internal/progress"
	"github.com/mxverify/mxverify/io/tableio"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// pace is a fake run: every second of its fake clock, each reading moves
// by so many bytes, and so many rows are written and domains found and
// resolved.
type pace struct {
	first, later, rows, domains, found int64
}

func (p pace) step(m *progress.Meter, seconds float64) {
	n := func(perSecond int64) int64 { return int64(math.Round(float64(perSecond) * seconds)) }
	m.FirstRead().Add(n(p.first))
	m.LaterReads().Add(n(p.later))
	m.AddRows(int(n(p.rows)))
	m.AddFound(int(n(p.found)))
	m.AddDomains(int(n(p.domains)))
}

// At a steady pace the percentage and the time left are right from the
// first second, and the bar reaches 100% only when the run is finished.
func TestSteadyPace(t *testing.T) {
	const size = 1_000_000 // each part takes 200 s: 5,000 bytes/s, 10 domains/s of 2,000
	m := progress.NewMeter(size)
	e := progress.NewEstimator(m, t0)
	p := pace{first: 5_000, later: 5_000, rows: 100, domains: 10, found: 10}
	prev := -1.0
	for sec := 1; sec < 200; sec++ {
		p.step(m, 1)
		s := e.Sample(t0.Add(time.Duration(sec) * time.Second))
		if want := float64(sec) / 200; s.Fraction < want-1e-9 || s.Fraction > want+1e-9 {
			t.Fatalf("at %ds: fraction %v, want %v", sec, s.Fraction, want)
		}
		if s.Fraction < prev {
			t.Fatalf("at %ds: fraction fell from %v to %v", sec, prev, s.Fraction)
		}
		prev = s.Fraction
		if want := time.Duration(200-sec) * time.Second; !s.HasLeft || s.Left < want-time.Second || s.Left > want+time.Second {
			t.Fatalf("at %ds: %v left (known %v), want %v", sec, s.Left, s.HasLeft, want)
		}
		if sec == 20 {
			want := "2,000 rows · 100 rows/s · 200 domains · 10 domains/s · 10% · 3m00s left"
			if got := s.String(); got != want {
				t.Errorf("at 10%%:\n got %q\nwant %q", got, want)
			}
		}
	}
	p.step(m, 1)
	if s := e.Sample(t0.Add(200 * time.Second)); s.Done || s.Fraction >= 1 {
		t.Errorf("all bytes read and domains resolved but not finished: %v (done %v), want below 100%%", s, s.Done)
	}
	m.Finish()
	s := e.Sample(t0.Add(201 * time.Second))
	want := "20,000 rows · 100 rows/s · 2,000 domains · 10 domains/s · 100% · done in 3m21s"
	if got := s.String(); got != want || !s.Done {
		t.Errorf("finished:\n got %q\nwant %q", got, want)
	}
}

// When the pace changes (a resolver slows, stalls, recovers), the time
// left follows it but never jumps up between two refreshes by more than a
// slowdown followed at the smoothing's pace allows, plus a second.
func TestLeftNeverJumps(t *testing.T) {
	const size = 5_000_000 // a domain every 50 bytes: 100,000 to resolve
	m := progress.NewMeter(size)
	e := progress.NewEstimator(m, t0)
	phases := []struct {
		seconds float64
		pace    pace
	}{
		{30, pace{first: 20_000, later: 20_000, rows: 400, domains: 400, found: 400}},
		{60, pace{first: 2_000, later: 2_000, rows: 40, domains: 40, found: 40}}, // ten times slower
		{20, pace{}}, // stalled
		{60, pace{first: 30_000, later: 30_000, rows: 600, domains: 600, found: 600}},
	}
	// Irregular refreshes, as a busy machine's ticker gives.
	steps := []float64{0.5, 1.3, 0.2, 2, 1}
	now, i := t0, 0
	var prev progress.Snapshot
	for _, ph := range phases {
		for spent := 0.0; spent < ph.seconds; i++ {
			dt := steps[i%len(steps)]
			spent += dt
			ph.pace.step(m, dt)
			now = now.Add(time.Duration(dt * float64(time.Second)))
			s := e.Sample(now)
			if !s.HasLeft {
				t.Fatalf("at %v: no time left shown", s.Elapsed)
			}
			if prev.HasLeft {
				limit := prev.Left + time.Duration(float64(prev.Left)*dt/progress.Smoothing.Seconds()) + time.Second
				if s.Left > limit {
					t.Fatalf("at %v: time left rose from %v to %v in %.1fs, above %v", s.Elapsed, prev.Left, s.Left, dt, limit)
				}
			}
			if s.Fraction < prev.Fraction {
				t.Fatalf("at %v: fraction fell from %v to %v", s.Elapsed, prev.Fraction, s.Fraction)
			}
			prev = s
		}
		if ph.pace.first > 0 {
			// After a while at one pace, the time left is that pace's.
			want := time.Duration(float64(size-m.FirstRead().Load()) / float64(ph.pace.first) * float64(time.Second))
			if d := prev.Left - want; d > want/10+time.Second || -d > want/10+time.Second {
				t.Errorf("after a phase at %d bytes/s: %v left, want about %v", ph.pace.first, prev.Left, want)
			}
		}
	}
}

// Standard input from a pipe has no size: counts and rates, no percentage.
func TestUnknownSize(t *testing.T) {
	m := progress.NewMeter(-1)
	e := progress.NewEstimator(m, t0)
	pace{first: 50_000, later: 40_000, rows: 1_200, domains: 150}.step(m, 2)
	s := e.Sample(t0.Add(2 * time.Second))
	want := "2,400 rows · 1,200 rows/s · 300 domains · 150 domains/s · 2s so far"
	if got := s.String(); got != want || s.Fraction != -1 || s.HasLeft {
		t.Errorf("got %q (fraction %v, left %v), want %q and no fraction or time left", got, s.Fraction, s.HasLeft, want)
	}
	m.Finish()
	if got := e.Sample(t0.Add(4 * time.Second)).String(); !strings.HasSuffix(got, "100% · done in 4s") {
		t.Errorf("finished: %q, want 100%% and the time taken", got)
	}
}

// A list that grows while it is read does not take the bar to 100%.
func TestGrownInput(t *testing.T) {
	m := progress.NewMeter(1000)
	e := progress.NewEstimator(m, t0)
	pace{first: 1500, later: 1500}.step(m, 1)
	if s := e.Sample(t0.Add(time.Second)); s.Fraction >= 1 || !strings.Contains(s.String(), "99%") {
		t.Errorf("more bytes than the size: %q, want 99%%", s)
	}
}

// The counts come from real reads of a real list: its size is the total
// from the start, the first reading (here with every domain resolved as it
// is found, as from a cache) takes the bar to the first two parts' share,
// the second to the end, and the bar only rises.
func TestCountedList(t *testing.T) {
	var list strings.Builder
	list.WriteString("email\n")
	for i := range 10_000 {
		fmt.Fprintf(&list, "user%d@domain%d.example\n", i, i%300)
	}
	path := filepath.Join(t.TempDir(), "l.csv")
	if err := os.WriteFile(path, []byte(list.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := tableio.OpenSource(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := progress.NewMeter(src.Size())
	src.CountBytes(m.FirstRead(), m.LaterReads())
	e := progress.NewEstimator(m, t0)
	found := map[string]bool{}
	now, prev := t0, 0.0
	ends := []float64{progress.FirstWeight + progress.DomainWeight, 1}
	for pass, end := range ends {
		r, err := src.Open()
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			row, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, d, _ := strings.Cut(row[0].(string), "@"); pass == 0 && !found[d] {
				found[d] = true
				m.AddFound(1)
				m.AddDomains(1)
			}
			if n%500 == 0 {
				now = now.Add(time.Second)
				s := e.Sample(now)
				if s.Fraction < prev || s.Fraction > end {
					t.Fatalf("reading %d, row %d: fraction %v after %v", pass+1, n, s.Fraction, prev)
				}
				prev = s.Fraction
			}
		}
		r.Close()
		now = now.Add(time.Second)
		if s := e.Sample(now); s.Fraction < min(end, 0.999)-0.001 {
			t.Errorf("after reading %d: fraction %v, want %v", pass+1, s.Fraction, min(end, 0.999))
		}
	}
}

func TestFormat(t *testing.T) {
	s := progress.Snapshot{
		Rows: 412_000, RowsPerSecond: 9_812.4, Domains: 38_110, DomainsPerSecond: 2_150.2,
		Fraction: 0.4199, Left: 72*time.Second + 400*time.Millisecond, HasLeft: true,
	}
	if got, want := s.String(), "412,000 rows · 9,812 rows/s · 38,110 domains · 2,150 domains/s · 41% · 1m12s left"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{0, "0s"}, {59 * time.Second, "59s"}, {61 * time.Second, "1m01s"}, {3725 * time.Second, "1h02m"}} {
		if got := progress.Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := progress.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLog(t *testing.T) {
	s := progress.Snapshot{
		Rows: 412_000, RowsPerSecond: 9_812.44, Domains: 38_110, DomainsPerSecond: 2_150.2,
		Fraction: 0.4123, Left: 72 * time.Second, HasLeft: true, Elapsed: 50 * time.Second,
	}
	var text bytes.Buffer
	if err := (progress.Log{W: &text}).Write(t0, s); err != nil {
		t.Fatal(err)
	}
	if got, want := text.String(), "mxverify: progress: 412,000 rows · 9,812 rows/s · 38,110 domains · 2,150 domains/s · 41% · 1m12s left\n"; got != want {
		t.Errorf("text: got %q\nwant %q", got, want)
	}

	var js bytes.Buffer
	unknown := s
	unknown.Fraction, unknown.HasLeft = -1, false
	for _, snap := range []progress.Snapshot{s, unknown} {
		if err := (progress.Log{W: &js, JSON: true}).Write(t0, snap); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(js.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("JSON: %d lines, want 2: %q", len(lines), js.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"time": "2026-01-02T03:04:05Z", "level": "INFO", "msg": "progress",
		"rows": 412000.0, "rows_per_second": 9812.4, "domains": 38110.0, "domains_per_second": 2150.2,
		"percent": 41.2, "seconds_left": 72.0, "elapsed_seconds": 50.0, "done": false,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("JSON: got  %v\nwant %v", got, want)
	}
	if strings.Contains(lines[1], "percent") || strings.Contains(lines[1], "seconds_left") {
		t.Errorf("JSON of a run of unknown size: %s, want no percent or seconds_left", lines[1])
	}
}

// Follow renders at each tick, with the tick's time, until it is stopped.
func TestFollow(t *testing.T) {
	m := progress.NewMeter(100)
	e := progress.NewEstimator(m, t0)
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	var got []time.Duration
	var wg sync.WaitGroup
	wg.Go(func() { e.Follow(ctx, ticks, func(s progress.Snapshot) { got = append(got, s.Elapsed) }) })
	for i := 1; i <= 3; i++ {
		m.FirstRead().Add(10)
		ticks <- t0.Add(time.Duration(i) * time.Second)
	}
	cancel()
	wg.Wait()
	if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rendered at %v, want %v", got, want)
	}
}

// run is a fake run of the pipeline, stepped on a fake clock: the first
// reading goes through the list at its own speed, finding domains as the
// list's curve says; the resolution takes them in first-seen order at a
// steady rate; the second reading writes each row once its domain is
// resolved, as fast as it can write.
type run struct {
	size, domains, rows float64
	read, write         float64 // bytes per second of the two readings
	resolve             float64 // domains per second; +Inf when all are cached
	// curve is the share of the domains that the first x of the list
	// names; inverse is its inverse.
	curve, inverse func(x float64) float64
}

// frontLoaded is a list whose new domains come mostly near its start, as
// mxgen's do: a tenth of the list names a third of its domains.
func frontLoaded(x float64) float64 { return 1 - math.Pow(1-x, 4) }
func frontInverse(y float64) float64 {
	return 1 - math.Pow(1-y, 0.25)
}

// state is a run's counts at one moment.
type state struct {
	at                                time.Duration
	first, later, rows, found, solved int64
}

// states steps the run every dt and returns its counts at each step, the
// last when the second reading has written every row.
func (r run) states(dt time.Duration) []state {
	var first, later, solved float64
	var out []state
	for at := dt; ; at += dt {
		sec := dt.Seconds()
		first = min(r.size, first+r.read*sec)
		found := math.Floor(r.domains * r.curve(first/r.size))
		solved = min(found, solved+r.resolve*sec)
		// The rows up to the first one naming a domain not resolved yet.
		upTo := r.size
		if solved < r.domains {
			upTo = min(first, r.size*r.inverse(solved/r.domains))
		}
		later = min(upTo, later+r.write*sec)
		out = append(out, state{at: at, first: int64(first), later: int64(later),
			rows: int64(r.rows * later / r.size), found: int64(found), solved: int64(solved)})
		if later >= r.size {
			return out
		}
	}
}

// The time left is right (within a quarter, and a second of rounding)
// from the moment the first reading has found every domain, on a first
// run of a list with most new domains near its start and on a cached one;
// it never rises by more than the smoothing lets through, the bar never
// falls, and it shows 100% only once the run is finished.
func TestRunShapes(t *testing.T) {
	const mb = 1 << 20
	for _, tt := range []struct {
		name string
		run  run
	}{
		// The 1M-row list of docs/notes/19a.md: its first reading takes
		// seconds, its resolution a minute.
		{"front-loaded first run", run{size: 33.6 * mb, domains: 100_000, rows: 1_000_000,
			read: 10 * mb, write: 20 * mb, resolve: 1_600, curve: frontLoaded, inverse: frontInverse}},
		{"even first run", run{size: 33.6 * mb, domains: 100_000, rows: 1_000_000,
			read: 10 * mb, write: 20 * mb, resolve: 1_600,
			curve: func(x float64) float64 { return x }, inverse: func(y float64) float64 { return y }}},
		// Every domain from the cache: writing the rows sets the pace.
		{"cached run", run{size: 33.6 * mb, domains: 100_000, rows: 1_000_000,
			read: 2 * mb, write: 1.5 * mb, resolve: math.Inf(1), curve: frontLoaded, inverse: frontInverse}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			states := tt.run.states(500 * time.Millisecond)
			total := states[len(states)-1].at
			m := progress.NewMeter(int64(tt.run.size))
			e := progress.NewEstimator(m, t0)
			var last state
			var prev progress.Snapshot
			checked := 0
			for _, st := range states {
				m.FirstRead().Add(st.first - last.first)
				m.LaterReads().Add(st.later - last.later)
				m.AddRows(int(st.rows - last.rows))
				m.AddFound(int(st.found - last.found))
				m.AddDomains(int(st.solved - last.solved))
				last = st
				s := e.Sample(t0.Add(st.at))
				if s.Fraction < prev.Fraction || s.Fraction >= 1 || s.Done {
					t.Fatalf("at %v: fraction %v after %v (done %v), want rising and below 1", st.at, s.Fraction, prev.Fraction, s.Done)
				}
				if prev.HasLeft {
					limit := prev.Left + time.Duration(float64(prev.Left)*0.5/progress.Smoothing.Seconds()) + time.Second
					if s.Left > limit {
						t.Fatalf("at %v: time left rose from %v to %v, above %v", st.at, prev.Left, s.Left, limit)
					}
				}
				prev = s
				if st.first < int64(tt.run.size) {
					continue
				}
				truth := total - st.at
				if !s.HasLeft || s.Left > truth*5/4+time.Second || s.Left < truth*3/4-time.Second {
					t.Errorf("at %v of %v: %v left (known %v), want %v", st.at, total, s.Left, s.HasLeft, truth)
				}
				checked++
			}
			if checked < 4 {
				t.Fatalf("the time left checked %d times, want more: the fake run is too short", checked)
			}
			m.Finish()
			if s := e.Sample(t0.Add(total + time.Second)); s.Fraction != 1 || !s.Done {
				t.Errorf("finished: fraction %v (done %v), want 1", s.Fraction, s.Done)
			}
		})
	}
}
