package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/report"
)

// reportArgs are the flags of the report command.
type reportArgs struct {
	cache       string
	out         string
	lockTimeout time.Duration
}

// reportCmd writes the page of the last run stored in a cache, without
// running again: mxverify report --cache FILE -o report.html.
func reportCmd(args []string, stdout, stderr io.Writer) int {
	log := newLogger("text", stderr)
	var a reportArgs
	fs := flag.NewFlagSet("mxverify report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.cache, "cache", "", "the cache `FILE` of the runs (their --cache)")
	fs.StringVar(&a.out, "o", "", "write the page to `FILE.html`")
	fs.StringVar(&a.out, "out", "", "same as -o")
	fs.DurationVar(&a.lockTimeout, "lock-timeout", 0, "wait this long for a cache a run is using (0: fail at once)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: mxverify report --cache FILE -o FILE.html\n\nWrites the HTML report of the last run stored in the cache, without running again.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	case err == nil && fs.NArg() > 0:
		err = fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case err == nil:
		err = a.validate()
	}
	if err != nil {
		log.Error(err.Error() + "; run 'mxverify report --help' for usage")
		return exitError
	}
	if err := a.write(); err != nil {
		log.Error(err.Error())
		return exitError
	}
	return exitOK
}

func (a *reportArgs) validate() error {
	r := reportOptions{report: a.out}
	switch {
	case a.cache == "":
		return fmt.Errorf("%w: --cache FILE is needed: the report is read from it", errUsage)
	case a.out == "":
		return fmt.Errorf("%w: -o FILE.html is needed", errUsage)
	case a.lockTimeout < 0:
		return fmt.Errorf("%w: --lock-timeout cannot be negative", errUsage)
	case fileio.SameFile(a.out, a.cache):
		return fmt.Errorf("-o %s is the --cache file %s: refusing to overwrite it", a.out, a.cache)
	}
	return r.validateReport()
}

func (a *reportArgs) write() error {
	// Open would make a new, empty cache: say what is wrong instead.
	if _, err := os.Stat(a.cache); err != nil {
		return fmt.Errorf("cache %s: %w", a.cache, err)
	}
	store, err := cache.Open(a.cache, cache.Options{LockTimeout: a.lockTimeout})
	if err != nil {
		return err
	}
	raw, err := store.LastReport()
	if cerr := store.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, cache.ErrNoReport) {
			return fmt.Errorf("%w: run 'mxverify run ... --cache %s' first", err, a.cache)
		}
		return err
	}
	var d report.Data
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("cache %s: the stored report cannot be read (%w); the next run stores a new one", a.cache, err)
	}
	f, err := fileio.Create(a.out)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := writePage(f, &d); err != nil {
		return err
	}
	return f.Commit()
}
