package progress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
// by so many bytes, and so many rows and domains are done.
type pace struct {
	first, later, rows, domains int64
}

func (p pace) step(m *progress.Meter, seconds float64) {
	m.FirstRead().Add(int64(float64(p.first) * seconds))
	m.LaterReads().Add(int64(float64(p.later) * seconds))
	m.AddRows(int(float64(p.rows) * seconds))
	m.AddDomains(int(float64(p.domains) * seconds))
}

// At a steady pace the percentage and the time left are right from the
// first second, and the bar reaches 100% only when the run is finished.
func TestSteadyPace(t *testing.T) {
	const size = 1_000_000 // 2,000,000 bytes of work: 200 s at 10,000 bytes/s
	m := progress.NewMeter(size)
	e := progress.NewEstimator(m, t0)
	p := pace{first: 5_000, later: 5_000, rows: 100, domains: 10}
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
		t.Errorf("all bytes read but not finished: %v (done %v), want below 100%%", s, s.Done)
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
	const size = 5_000_000
	m := progress.NewMeter(size)
	e := progress.NewEstimator(m, t0)
	phases := []struct {
		seconds float64
		pace    pace
	}{
		{30, pace{first: 20_000, later: 18_000, rows: 400, domains: 40}},
		{60, pace{first: 2_000, later: 2_000, rows: 40, domains: 4}}, // ten times slower
		{20, pace{}}, // stalled
		{60, pace{first: 30_000, later: 30_000, rows: 600, domains: 60}},
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
			prev = s
		}
		if ph.pace.first > 0 {
			// After a while at one pace, the time left is that pace's.
			work := m.FirstRead().Load() + m.LaterReads().Load()
			want := time.Duration(float64(2*size-work) / float64(ph.pace.first+ph.pace.later) * float64(time.Second))
			if d := prev.Left - want; d > want/10+time.Second || -d > want/10+time.Second {
				t.Errorf("after a phase at %d bytes/s: %v left, want about %v", ph.pace.first+ph.pace.later, prev.Left, want)
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
// from the start, each reading moves the bar by half of it, and the bar
// only rises.
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
	now, prev := t0, 0.0
	for pass := range 2 {
		r, err := src.Open()
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; ; n++ {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n%500 == 0 {
				now = now.Add(time.Second)
				s := e.Sample(now)
				if s.Fraction < prev || s.Fraction > float64(pass+1)/2 {
					t.Fatalf("reading %d, row %d: fraction %v after %v", pass+1, n, s.Fraction, prev)
				}
				prev = s.Fraction
			}
		}
		r.Close()
		now = now.Add(time.Second)
		if s := e.Sample(now); s.Fraction < float64(pass+1)/2-0.001 {
			t.Errorf("after reading %d: fraction %v, want %v", pass+1, s.Fraction, float64(pass+1)/2)
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
