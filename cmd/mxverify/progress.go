package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// bar adapts progressbar to pipeline.Progress; the pipeline stays free of UI.
type bar struct{ pb *progressbar.ProgressBar }

func newBar(mode string, stderr io.Writer) *bar {
	show := mode == "always"
	if mode == "auto" {
		f, ok := stderr.(*os.File)
		show = ok && term.IsTerminal(int(f.Fd()))
	}
	if !show {
		return nil
	}
	return &bar{pb: progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription("domains"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("domains"),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (b *bar) SetTotal(n int64) { b.pb.ChangeMax64(n) }
func (b *bar) Add(n int)        { _ = b.pb.Add(n) }
func (b *bar) finish()          { _ = b.pb.Finish() }
