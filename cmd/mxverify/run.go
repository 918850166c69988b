package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/mxverify/mxverify/internal/gcpercent"
	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnsclient"
	"github.com/mxverify/mxverify/verify/outage"
)

// Exit statuses, documented in the README.
const (
	exitOK         = 0
	exitError      = 1
	exitTempErrors = 2
	exitOutage     = 3
)

const usage = `mxverify checks the mail set-up (MX records) of every domain on a list.

Usage:
  mxverify run INPUT... [flags]   verify the addresses of one or more lists
  mxverify report --cache FILE -o FILE.html
                                  write the HTML report of the last run in a cache
  mxverify merge SUMMARY... [flags]
                                  join the outputs of a sharded run's shards
  mxverify --version              print the version, commit and build date
  mxverify help                   show this help

Run 'mxverify run --help' (or 'mxverify help run') for the flags of run,
the statuses, the exit statuses and examples.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[1] == "run" {
			return runCmd(ctx, []string{"--help"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	case "run":
		return runCmd(ctx, args[1:], stdin, stdout, stderr)
	case "report":
		return reportCmd(args[1:], stdout, stderr)
	case "merge":
		return mergeCmd(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "mxverify: unknown command %q\nRun 'mxverify --help' for usage.\n", args[0])
	return exitError
}

// errTempErrors marks a run that wrote its results but ended with more
// temp_error domains than --max-temp-errors allows.
var errTempErrors = errors.New("too many domains ended temp_error")

// exitCode is the one place where a run's outcome becomes its exit status.
func exitCode(err error) int {
	var sig interrupted
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &sig):
		return 128 + int(sig.sig)
	case errors.Is(err, errTempErrors):
		return exitTempErrors
	case errors.As(err, new(*outage.Error)):
		return exitOutage
	}
	return exitError
}

func runCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runCmdAt(ctx, time.Now, args, stdin, stdout, stderr)
}

// runCmdAt is runCmd with a clock for the results' check times, which
// tests fix to compare whole files.
func runCmdAt(ctx context.Context, now func() time.Time, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseOptions(args, stdout)
	o.now = now
	log := newLogger(o.logFormat, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			log.Error(err.Error())
		}
		return exitCode(err)
	}

	start := time.Now()
	sum, resolvers, err := execute(ctx, o, stdin, stdout, stderr)
	if cause := context.Cause(ctx); err != nil && cause != nil {
		err = cause // a stopped run reports the signal
	}
	if share := sum.TempErrorShare(); err == nil && tooManyTempErrors(sum, o) {
		err = fmt.Errorf("%w: %.1f%%, above --max-temp-errors %.1f%%; the results are written, and tomorrow's run asks again",
			errTempErrors, 100*share, 100*o.maxTempErrors)
	}
	code := exitCode(err)
	switch {
	case code == exitTempErrors:
		log.Warn(err.Error())
	case err != nil:
		log.Error(err.Error())
	}
	if code == exitOK || code == exitTempErrors {
		sum.ExitStatus = code
		if err := writeSummary(o, sum, log, stderr); err != nil {
			log.Error(err.Error())
			code = exitError
		}
	}
	if o.metrics != "" {
		// Whatever the ending, monitoring hears of it.
		if sum.ElapsedSeconds == 0 {
			sum.ElapsedSeconds = time.Since(start).Seconds()
		}
		if err := writeMetrics(o.metrics, sum, resolvers, code, time.Now()); err != nil {
			log.Error(err.Error())
			code = max(code, exitError)
		}
	}
	return code
}

// tooManyTempErrors is the rule of exit status 2.
func tooManyTempErrors(sum pipeline.Summary, o options) bool {
	return sum.TempErrorShare() > o.maxTempErrors
}

// execute runs the pipeline and commits the outputs only if it succeeds.
// A resolver outage stops it at once: no output, and the cache rolled back
// to what it held before the run. resolvers reports what each resolver did
// with its queries, for the metrics.
func execute(ctx context.Context, o options, stdin io.Reader, stdout, stderr io.Writer) (sum pipeline.Summary, resolvers *resolverReport, err error) {
	stopGC := gcpercent.Follow()
	defer stopGC()
	if o.cpuProfile != "" {
		stop, err := startProfile(o.cpuProfile)
		if err != nil {
			return sum, resolvers, err
		}
		defer stop()
	}
	var inputs []pipeline.Input
	var sources []*tableio.Source
	var first *tableio.Source
	for _, path := range o.inputs {
		src, err := tableio.OpenSourceOptions(path, stdin, o.readOptions())
		if err != nil {
			return sum, resolvers, err
		}
		defer src.Close()
		switch {
		case o.header:
			src.SetHeader(csvio.HeaderPresent)
		case o.noHeader:
			src.SetHeader(csvio.HeaderAbsent)
		}
		if first == nil {
			first = src
		}
		inputs = append(inputs, src)
		sources = append(sources, src)
	}
	servers := o.resolvers
	if len(servers) == 0 {
		var err error
		if servers, err = dnsclient.ResolvConf(o.resolvConf); err != nil {
			return sum, resolvers, err
		}
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	watch := outage.New(o.outageConfig(servers, func(e *outage.Error) { stop(e) }))
	resolvers = &resolverReport{servers: servers, watch: watch}
	vcfg := verify.Config{ClientConfig: verify.ClientConfig{
		Observe:     watch.Observe,
		Servers:     servers,
		Timeout:     o.timeout,
		Retries:     o.retries,
		QPS:         o.qps,
		MaxInFlight: o.concurrency,
	}, Now: o.now}
	var store *cache.Cache
	if o.cache != "" {
		var err error
		store, err = cache.Open(o.cache, cache.Options{MaxAge: o.cacheMaxAge, MinAge: o.cacheMinAge, LockTimeout: o.lockTimeout,
			Refresh: o.refreshed(), RefreshHosts: o.refresh})
		if err != nil {
			return sum, resolvers, err
		}
		// Deferred before the resolver's Close so that it runs after it:
		// the last results reach the disk even when the run is stopped.
		defer store.Close()
		vcfg.Hosts = store
	}
	res, err := verify.New(vcfg)
	if err != nil {
		return sum, resolvers, err
	}
	defer res.Close()

	var outputs []*tableio.Output
	defer func() {
		for _, out := range outputs {
			out.Abort()
		}
	}()
	disposable, err := triage.LoadDisposable(o.disposable...)
	if err != nil {
		return sum, resolvers, err
	}
	cfg := pipeline.Config{
		Inputs:      inputs,
		Column:      o.column,
		Concurrency: o.concurrency,
		Verifier:    res,
		AddColumns:  o.columns,
		SuppressIf:  o.flags,
		Disposable:  disposable,
		Now:         o.now,
		Shard:       o.shard,
		Out: func(columns []string) (rowio.Writer, error) {
			create := func(path string, columns []string) (*tableio.Output, error) {
				out, err := tableio.CreateRowsOptions(path, stdout, columns, first.ParquetSchema(), o.writeOptions(path, first))
				if err == nil {
					outputs = append(outputs, out)
				}
				return out, err
			}
			out, err := create(o.out, columns)
			if err != nil || (o.split == "" && o.suppressionList == "") {
				return out, err
			}
			b := newByAction(out, columns)
			for action, path := range o.splitPaths(o.out) {
				if b.split[action], err = create(path, columns); err != nil {
					return nil, err
				}
			}
			if o.suppressionList != "" {
				if b.suppress, err = tableio.CreateRows(o.suppressionList, stdout, []string{"email"}, nil); err != nil {
					return nil, err
				}
				outputs = append(outputs, b.suppress)
			}
			return b, nil
		},
	}
	if o.domains != "" {
		out, err := tableio.CreateResultsOptions(o.domains, stdout, func() tableio.WriteOptions { return o.writeOptions(o.domains, first) })
		if err != nil {
			return sum, resolvers, err
		}
		outputs = append(outputs, out)
		cfg.Domains = out
	}
	if store != nil {
		cfg.Cache = store
	}
	if o.changes != "" {
		ch, err := newChanges(o.changes, stdout)
		if err != nil {
			return sum, resolvers, err
		}
		outputs = append(outputs, ch.out)
		cfg.Changed = ch.add
	}
	// The report's data is gathered for every run with a cache too: its
	// history and last page are what 'mxverify report' reads.
	var page *pageBuilder
	var pageOut *fileio.File
	if o.report != "" || store != nil {
		page = newPageBuilder()
		page.wire(&cfg)
	}
	if o.report != "" {
		f, err := fileio.Create(o.report)
		if err != nil {
			return sum, resolvers, err
		}
		defer f.Abort()
		pageOut = f
	}
	display := startDisplay(o, sources, stderr)
	if display != nil {
		cfg.Progress = display.meter
	}
	// Where the run stopped, unless it finished: then 100%, below.
	defer display.finish(false)

	sum, err = pipeline.Run(ctx, cfg)
	readAs(sources, &sum)
	if err == nil {
		err = context.Cause(ctx)
	}
	if err == nil {
		if e := watch.Finish(); e != nil {
			err = e
		}
	}
	var down *outage.Error
	if errors.As(context.Cause(ctx), &down) {
		err = down
	}
	if errors.As(err, &down) {
		// What this run learnt cannot be told from what the outage made
		// up: keep the cache as it was.
		err = fmt.Errorf("%w; stopped with no output written", err)
		if store != nil {
			if rerr := store.Rollback(); rerr != nil {
				return sum, resolvers, fmt.Errorf("%w, and the cache could not be rolled back: %w", err, rerr)
			}
			err = fmt.Errorf("%w and the cache left as it was", err)
		}
		return sum, resolvers, err
	}
	if err == nil {
		sum.Shard, err = o.shardInfo(os.Getenv)
	}
	if err != nil {
		return sum, resolvers, err
	}
	if store != nil {
		cs := store.Stats()
		sum.CacheHits, sum.CacheMisses, sum.CacheExpired, sum.CacheRefreshed = cs.Hits, cs.Misses, cs.Expired, cs.Refreshed
	}
	st := res.Stats()
	sum.Queries, sum.Retries = st.Queries, st.Retries
	if sum.ElapsedSeconds > 0 {
		sum.QueriesPerSecond = float64(st.Queries) / sum.ElapsedSeconds
	}
	if page != nil {
		// Before any output is committed: a report that cannot be
		// written fails the run like any other output.
		if err := finishPage(page, o, sum, servers, store, pageOut); err != nil {
			return sum, resolvers, err
		}
	}
	for _, out := range outputs {
		if err := out.Commit(); err != nil {
			return sum, resolvers, err
		}
	}
	if pageOut != nil {
		if err := pageOut.Commit(); err != nil {
			return sum, resolvers, err
		}
	}
	display.finish(true)
	return sum, resolvers, nil
}

// resolverReport is what each resolver did with the run's queries.
type resolverReport struct {
	servers []string
	watch   *outage.Detector
}

func writeSummary(o options, sum pipeline.Summary, log *slog.Logger, stderr io.Writer) error {
	if o.summary != "" {
		f, err := fileio.Create(o.summary)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sum); err != nil {
			f.Abort()
			return fmt.Errorf("%s: %w", o.summary, err)
		}
		if err := f.Commit(); err != nil {
			return err
		}
	}
	if o.logFormat == "json" {
		log.Info("summary", "summary", sum)
		return nil
	}
	return sum.WriteText(stderr)
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
