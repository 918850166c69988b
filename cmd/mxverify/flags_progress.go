package main

import (
	"flag"
	"fmt"
	"time"
)

// progressOptions are the flags of the progress display.
type progressOptions struct {
	progress         string
	progressInterval time.Duration
}

func (p *progressOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&p.progress, "progress", "auto", "progress on stderr, as `MODE`: auto (a bar on a terminal, else none), always (a bar), never, "+
		"or log (a line every --progress-interval, text or JSON as --log-format says)")
	fs.DurationVar(&p.progressInterval, "progress-interval", 10*time.Second, "time between two lines of --progress log")
}

func (p *progressOptions) validate() error {
	switch {
	case p.progress != "auto" && p.progress != "always" && p.progress != "never" && p.progress != "log":
		return fmt.Errorf("%w: --progress must be auto, always, never or log", errUsage)
	case p.progressInterval <= 0:
		return fmt.Errorf("%w: --progress-interval must be above 0", errUsage)
	}
	return nil
}
