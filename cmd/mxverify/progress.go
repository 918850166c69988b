package main

import (
	"context"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mxverify/mxverify/internal/progress"
	"github.com/mxverify/mxverify/io/tableio"
)

// barRefresh is how often the bar is redrawn.
const barRefresh = 500 * time.Millisecond

// display shows a run's progress on stderr while it goes: a bar drawn by
// progressbar on a terminal, or a log line every --progress-interval.
type display struct {
	meter  *progress.Meter
	est    *progress.Estimator
	render func(now time.Time, s progress.Snapshot)
	end    func() // after the last render
	stop   context.CancelFunc
	wg     sync.WaitGroup
	ended  bool
}

// startDisplay starts showing the progress of a run over sources, which it
// has count their bytes; nil when --progress says to show none.
func startDisplay(o options, sources []*tableio.Source, stderr io.Writer) *display {
	mode := o.progress
	if mode == "auto" {
		mode = "never"
		// Every stderr line of a JSON log must stay one JSON object.
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) && o.logFormat != "json" {
			mode = "always"
		}
	}
	if mode == "never" {
		return nil
	}
	size := int64(0)
	for _, src := range sources {
		if n := src.Size(); n < 0 || size < 0 {
			size = -1
		} else {
			size += n
		}
	}
	start := time.Now()
	d := &display{meter: progress.NewMeter(size)}
	d.est = progress.NewEstimator(d.meter, start)
	for _, src := range sources {
		src.CountBytes(d.meter.FirstRead(), d.meter.LaterReads())
	}
	every := barRefresh
	if mode == "log" {
		every = o.progressInterval
		l := progress.Log{W: stderr, JSON: o.logFormat == "json"}
		d.render = func(now time.Time, s progress.Snapshot) { _ = l.Write(now, s) }
		d.end = func() {}
	} else {
		d.render, d.end = newBar(size, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	ticker := time.NewTicker(every)
	d.wg.Go(func() {
		defer ticker.Stop()
		d.est.Follow(ctx, ticker.C, func(s progress.Snapshot) { d.render(time.Now(), s) })
	})
	return d
}

// finish shows the run's last state: 100% if it succeeded, where it
// stopped if not. Later calls do nothing.
func (d *display) finish(ok bool) {
	if d == nil || d.ended {
		return
	}
	d.ended = true
	d.stop()
	d.wg.Wait()
	if ok {
		d.meter.Finish()
	}
	now := time.Now()
	d.render(now, d.est.Sample(now))
	d.end()
}

// newBar draws snapshots with progressbar: the percentage and a bar when
// the size of the inputs is known, a spinner when not, then the counts,
// rates and time left.
func newBar(size int64, stderr io.Writer) (render func(time.Time, progress.Snapshot), end func()) {
	const steps = 1000 // the bar's resolution: a tenth of a percent
	max := int64(steps)
	if size < 0 {
		max = -1
	}
	pb := progressbar.NewOptions64(max,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetWidth(20),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionThrottle(0),
	)
	render = func(_ time.Time, s progress.Snapshot) {
		desc := s.Counts()
		if r := s.Remaining(); r != "" {
			desc += " · " + r
		}
		pb.Describe(desc)
		if s.Fraction >= 0 {
			_ = pb.Set64(int64(s.Fraction * steps))
		} else {
			_ = pb.Add(0)
		}
	}
	end = func() {
		_ = pb.Exit()
		io.WriteString(stderr, "\n")
	}
	return render, end
}
