package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/shard/merge"
)

// mergeOptions are the flags of merge.
type mergeOptions struct {
	summaries []string // the shards' --summary files
	out       string
	domains   string
	changes   string
	summary   string
	metrics   string
	logFormat string
	// maxTempErrors bounds the whole run's temp_error share; below 0, the
	// shards' --max-temp-errors.
	maxTempErrors float64
}

func newMergeFlags(o *mergeOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("mxverify merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.out, "o", "-", "per-address results `FILE`, as one unsharded run writes them (- for CSV on stdout)")
	fs.StringVar(&o.out, "out", "-", "same as -o")
	fs.StringVar(&o.domains, "domains", "", "per-domain results `FILE` (the shards must have written theirs)")
	fs.StringVar(&o.changes, "changes", "", "the changes report `FILE` (the shards must have written theirs)")
	fs.StringVar(&o.summary, "summary", "", "write the whole run's summary as JSON to `FILE`")
	fs.StringVar(&o.metrics, "metrics", "", "write the whole run's Prometheus text metrics to `FILE`")
	fs.StringVar(&o.logFormat, "log-format", "text", "stderr log format: text or json")
	fs.Float64Var(&o.maxTempErrors, "max-temp-errors", -1, "fraction `F` of domains that may end temp_error before merge exits 2 (default the shards' --max-temp-errors; shards run by an engine that retries a failed exit can take 1 and leave the bound to the merge)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mxverify merge SUMMARY... [flags]

SUMMARY is the --summary file of one shard of a sharded run (mxverify run
--shard I/N, or a batch engine's array index); give every shard's, in any
order. Each names its shard's outputs; merge joins them into what one
unsharded run would have written.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nExit status: 0 done; 1 usage or input error (a shard missing, twice, or of another run); 2 done, but more domains than the shards' --max-temp-errors ended temp_error.\n")
	}
	return fs
}

func mergeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o mergeOptions
	fs := newMergeFlags(&o)
	err := parseMergeArgs(fs, &o, args)
	log := newLogger(logFormatOf(args), stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	if err != nil {
		log.Error(err.Error() + "; run 'mxverify merge --help' for usage")
		return exitError
	}
	res, err := merge.Run(ctx, merge.Config{
		Summaries:     o.summaries,
		Out:           o.out,
		Domains:       o.domains,
		Changes:       o.changes,
		Stdout:        stdout,
		ChangeColumns: changeColumns,
		MaxTempErrors: o.maxTempErrors,
	})
	if err == nil {
		err = context.Cause(ctx)
	}
	sum, code := res.Summary, exitCode(err)
	if err == nil && res.OverBound {
		code = exitTempErrors
		log.Warn(fmt.Sprintf("%v: %.1f%%, above the shards' --max-temp-errors; the results are written", errTempErrors, 100*sum.TempErrorShare()))
	}
	if err != nil {
		log.Error(err.Error())
	}
	if code == exitOK || code == exitTempErrors {
		sum.ExitStatus = code
		ro := options{summary: o.summary, logFormat: o.logFormat}
		if err := writeSummary(ro, sum, log, stderr); err != nil {
			log.Error(err.Error())
			code = exitError
		}
	}
	if o.metrics != "" && (code == exitOK || code == exitTempErrors) {
		if err := writeMetrics(o.metrics, sum, nil, code, time.Now()); err != nil {
			log.Error(err.Error())
			code = exitError
		}
	}
	return code
}

// parseMergeArgs takes flags before, between and after the summaries.
func parseMergeArgs(fs *flag.FlagSet, o *mergeOptions, args []string) error {
	var err error
	if o.summaries, err = parseArgs(fs, args); err != nil {
		return err
	}
	switch {
	case len(o.summaries) == 0:
		return errors.New("no SUMMARY given")
	case o.maxTempErrors > 1:
		return errors.New("--max-temp-errors must be between 0 and 1")
	case o.logFormat != "text" && o.logFormat != "json":
		return errors.New("--log-format must be text or json")
	case o.out == fileio.Stdio && (o.domains == fileio.Stdio || o.changes == fileio.Stdio):
		return errors.New("only one output can be standard output")
	}
	for _, p := range []string{o.out, o.domains, o.changes} {
		if p != "" {
			if err := tableio.CheckOutput(p); err != nil {
				return err
			}
		}
	}
	return nil
}
