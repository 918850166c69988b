package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/verify"
)

// Exit statuses, documented in the README.
const (
	exitOK         = 0
	exitError      = 1
	exitTempErrors = 2
)

const usage = `mxverify checks the mail set-up (MX records) of every domain on a list.

Usage:
  mxverify run INPUT... [flags]   verify the addresses of one or more lists
  mxverify --version              print the version
  mxverify help                   show this help

Run 'mxverify run --help' for the flags of run.
`

// errUsage marks a command line that cannot be run; the message comes with
// a hint to the help text.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprintf(stdout, "mxverify %s\n", version)
		return exitOK
	case "run":
		return runCmd(ctx, args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "mxverify: unknown command %q\nRun 'mxverify --help' for usage.\n", args[0])
	return exitError
}

// options are the flags of run.
type options struct {
	inputs        []string
	out           string
	domains       string
	column        string
	resolvers     []string
	resolvConf    string
	qps           float64
	concurrency   int
	timeout       time.Duration
	retries       int
	maxTempErrors float64
	summary       string
	progress      string
	logFormat     string
	cpuProfile    string
	cache         string
	cacheMaxAge   time.Duration
	cacheMinAge   time.Duration
	lockTimeout   time.Duration
	changes       string
	metrics       string
	header        bool
	noHeader      bool
}

func newFlags(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mxverify run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "o", "-", "per-address results `FILE` (.csv, .csv.gz, .tsv, .jsonl, .parquet; - for CSV on stdout)")
	fs.StringVar(&o.out, "out", "-", "same as -o")
	fs.StringVar(&o.domains, "domains", "", "per-domain results `FILE`, format from the extension (default not written)")
	fs.StringVar(&o.column, "column", "", "the email column `NAME` (default: a header named email, e-mail, email_address or mail, else the first column of addresses)")
	fs.BoolVar(&o.header, "header", false, "a CSV or TSV list's first line is a header row (default: decided by its content)")
	fs.BoolVar(&o.noHeader, "no-header", false, "a CSV or TSV list has no header row: every line is an address row (columns email, or column_1...)")
	fs.Func("resolver", "DNS resolver `HOST[:PORT]`, repeatable; a retry goes to the next (default the nameservers of --resolv-conf)", func(s string) error {
		addr, err := resolverAddr(s)
		if err == nil {
			o.resolvers = append(o.resolvers, addr)
		}
		return err
	})
	fs.StringVar(&o.resolvConf, "resolv-conf", "/etc/resolv.conf", "`FILE` to read resolvers from when no --resolver is given")
	fs.Float64Var(&o.qps, "qps", 500, "queries per `N` second, all resolvers together; 1e7 or more sets no limit")
	fs.IntVar(&o.concurrency, "concurrency", 256, "queries in flight at most")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "one query's timeout, counted from when it is sent")
	fs.IntVar(&o.retries, "retries", 2, "retries after a timeout, SERVFAIL or REFUSED")
	fs.Float64Var(&o.maxTempErrors, "max-temp-errors", 0.05, "fraction `F` (0 to 1) of domains that may end temp_error before the run exits 2")
	fs.StringVar(&o.summary, "summary", "", "write the run's summary as JSON to `FILE`")
	fs.StringVar(&o.progress, "progress", "auto", "progress bar on stderr: auto (on a terminal), always or never")
	fs.StringVar(&o.logFormat, "log-format", "text", "stderr log format: text or json")
	fs.StringVar(&o.cache, "cache", "", "keep results in this cache `FILE` (bbolt) between runs, and resume from it after a crash")
	fs.DurationVar(&o.cacheMaxAge, "cache-max-age", 24*time.Hour, "reuse a cached result at most this long, whatever its TTL")
	fs.DurationVar(&o.cacheMinAge, "cache-min-age", time.Hour, "reuse a cached result at least this long, even if its TTL is shorter")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait this long for a cache another run is using (0: fail at once)")
	fs.StringVar(&o.changes, "changes", "", "with --cache, write the domains whose status changed since the cached result to `FILE` (.csv or .jsonl)")
	fs.StringVar(&o.metrics, "metrics", "", "write Prometheus text metrics to `FILE` at the end (for node_exporter's textfile collector)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to `FILE` (for development)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: mxverify run INPUT... [flags]\n\nINPUT is a .csv, .csv.gz, .tsv, .jsonl or .parquet file, or - for CSV on stdin.\nSeveral inputs must share one header.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nExit status: 0 done; 1 usage or input error; 2 done, but more domains than --max-temp-errors ended temp_error.\n")
	}
	return fs
}

// parseArgs accepts flags before, between and after the inputs, as users of
// GNU tools expect; "--" ends the flags.
func parseArgs(fs *flag.FlagSet, o *options, args []string) error {
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			o.inputs = append(o.inputs, rest...)
			break
		}
		o.inputs = append(o.inputs, rest[0])
		args = rest[1:]
	}
	return nil
}

func (o *options) validate() error {
	switch {
	case len(o.inputs) == 0:
		return fmt.Errorf("%w: no INPUT given", errUsage)
	case o.qps <= 0:
		return fmt.Errorf("%w: --qps must be above 0", errUsage)
	case o.concurrency <= 0:
		return fmt.Errorf("%w: --concurrency must be at least 1", errUsage)
	case o.timeout <= 0:
		return fmt.Errorf("%w: --timeout must be above 0", errUsage)
	case o.retries < 0:
		return fmt.Errorf("%w: --retries cannot be negative", errUsage)
	case o.maxTempErrors < 0 || o.maxTempErrors > 1:
		return fmt.Errorf("%w: --max-temp-errors must be between 0 and 1", errUsage)
	case o.progress != "auto" && o.progress != "always" && o.progress != "never":
		return fmt.Errorf("%w: --progress must be auto, always or never", errUsage)
	case o.logFormat != "text" && o.logFormat != "json":
		return fmt.Errorf("%w: --log-format must be text or json", errUsage)
	case o.out == fileio.Stdio && o.domains == fileio.Stdio:
		return fmt.Errorf("%w: --out and --domains cannot both be standard output", errUsage)
	case o.header && o.noHeader:
		return fmt.Errorf("%w: --header and --no-header cannot both be given", errUsage)
	}
	stdins := 0
	for _, in := range o.inputs {
		if in == fileio.Stdio {
			stdins++
		}
	}
	if stdins > 1 {
		return fmt.Errorf("%w: standard input (-) can be read only once", errUsage)
	}
	switch {
	case o.changes != "" && o.cache == "":
		return fmt.Errorf("%w: --changes needs --cache (the previous results live there)", errUsage)
	case o.cacheMinAge < 0 || o.cacheMaxAge <= 0 || o.cacheMinAge > o.cacheMaxAge:
		return fmt.Errorf("%w: want 0 <= --cache-min-age <= --cache-max-age", errUsage)
	case o.lockTimeout < 0:
		return fmt.Errorf("%w: --lock-timeout cannot be negative", errUsage)
	}
	for _, p := range []string{o.out, o.domains, o.changes} {
		if p == "" {
			continue
		}
		if err := tableio.CheckOutput(p); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		// Before any DNS traffic: the per-address file is only created
		// once the lists have been read.
		if p != fileio.Stdio {
			if st, err := os.Stat(filepath.Dir(p)); err != nil || !st.IsDir() {
				return fmt.Errorf("%w: %s: the directory %s does not exist", errUsage, p, filepath.Dir(p))
			}
		}
	}
	return nil
}

// checkOverwrites refuses an output that is an input, or the cache, or
// another output: outputs replace their file at the end of the run, so
// "mxverify run list.csv -o list.csv" would swap the list for its results,
// and two outputs at one path would leave only the last. It runs before
// any DNS query, and compares files, not spellings: ./list.csv, a hard
// link or a symbolic link to it are list.csv too.
func (o *options) checkOverwrites() error {
	type file struct{ flag, path string }
	var keep []file // files no output may replace
	for _, in := range o.inputs {
		if in != fileio.Stdio {
			keep = append(keep, file{"input", in})
		}
	}
	if o.cache != "" {
		keep = append(keep, file{"--cache", o.cache})
	}
	var outs []file
	for _, f := range []file{{"-o", o.out}, {"--domains", o.domains}, {"--summary", o.summary},
		{"--changes", o.changes}, {"--metrics", o.metrics}, {"--cpuprofile", o.cpuProfile}} {
		if f.path == "" || f.path == fileio.Stdio {
			continue
		}
		for _, k := range keep {
			if sameFile(f.path, k.path) {
				if k.flag == "input" {
					return fmt.Errorf("%s %s is the input %s: refusing to overwrite an input", f.flag, f.path, k.path)
				}
				return fmt.Errorf("%s %s is the %s file %s: refusing to overwrite it", f.flag, f.path, k.flag, k.path)
			}
		}
		for _, prev := range outs {
			if sameFile(f.path, prev.path) {
				return fmt.Errorf("%s %s is the same file as %s %s: two outputs cannot share a file", f.flag, f.path, prev.flag, prev.path)
			}
		}
		outs = append(outs, f)
	}
	return nil
}

// sameFile reports whether two paths name one file: the same path once
// made absolute and clean, the same device and inode when both exist, or
// the same name in the same directory when neither exists yet.
func sameFile(a, b string) bool {
	if absPath(a) == absPath(b) {
		return true
	}
	ai, aerr := os.Stat(a)
	bi, berr := os.Stat(b)
	switch {
	case aerr == nil && berr == nil:
		return os.SameFile(ai, bi)
	case aerr == nil || berr == nil:
		return false // one exists, the other does not
	case filepath.Base(a) != filepath.Base(b):
		return false
	}
	ad, aerr := os.Stat(filepath.Dir(a))
	bd, berr := os.Stat(filepath.Dir(b))
	return aerr == nil && berr == nil && os.SameFile(ad, bd)
}

// absPath is path made absolute and clean; a path that cannot be made
// absolute is compared as it is.
func absPath(path string) string {
	if p, err := filepath.Abs(path); err == nil {
		return p
	}
	return filepath.Clean(path)
}

// logFormatOf finds --log-format in arguments that did not parse, so that
// even a usage error reaches a JSON log collector as JSON.
func logFormatOf(args []string) string {
	for i, a := range args {
		switch {
		case a == "--log-format=json" || a == "-log-format=json":
			return "json"
		case (a == "--log-format" || a == "-log-format") && i+1 < len(args) && args[i+1] == "json":
			return "json"
		}
	}
	return "text"
}

// resolverAddr accepts HOST, HOST:PORT, IPv6 and [IPv6]:PORT.
func resolverAddr(s string) (string, error) {
	if host, port, err := net.SplitHostPort(s); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil || host == "" {
			return "", fmt.Errorf("bad resolver %q: want HOST[:PORT]", s)
		}
		return s, nil
	}
	host := strings.Trim(s, "[]")
	if host == "" {
		return "", fmt.Errorf("bad resolver %q: want HOST[:PORT]", s)
	}
	return net.JoinHostPort(host, "53"), nil
}

func runCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	var o options
	// The flag package would print the whole usage on a typo; one line
	// that names the problem reads better in a cron mail.
	fs := newFlags(&o, io.Discard)
	if err := parseArgs(fs, &o, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		newLogger(logFormatOf(args), stderr).Error(err.Error() + "; run 'mxverify run --help' for usage")
		return exitError
	}
	log := newLogger(o.logFormat, stderr)
	if err := o.validate(); err != nil {
		log.Error(err.Error() + "; run 'mxverify run --help' for usage")
		return exitError
	}
	if err := o.checkOverwrites(); err != nil {
		log.Error(err.Error())
		return exitError
	}
	if o.cpuProfile != "" {
		stop, err := startProfile(o.cpuProfile)
		if err != nil {
			log.Error(err.Error())
			return exitError
		}
		defer stop()
	}
	start := time.Now()
	memCtx, stopMem := context.WithCancel(ctx)
	limitMemory(memCtx)
	sum, err := execute(ctx, o, stdin, stdout, stderr)
	stopMem()
	if o.metrics != "" {
		// Whatever the ending, monitoring hears of it.
		defer func() {
			if sum.ElapsedSeconds == 0 {
				sum.ElapsedSeconds = time.Since(start).Seconds()
			}
			if err := writeMetrics(o.metrics, sum, code, time.Now()); err != nil {
				log.Error(err.Error())
				if code == exitOK {
					code = exitError
				}
			}
		}()
	}
	if err != nil {
		if cause := context.Cause(ctx); cause != nil {
			var sig interrupted
			if errors.As(cause, &sig) {
				log.Error("stopped: " + cause.Error() + "; no output written")
				return 128 + int(sig.sig)
			}
		}
		log.Error(err.Error())
		return exitError
	}
	code = exitOK
	if share := sum.TempErrorShare(); share > o.maxTempErrors {
		code = exitTempErrors
		log.Warn(fmt.Sprintf("%.1f%% of domains ended temp_error, above --max-temp-errors %.1f%%: tomorrow's run will ask again",
			100*share, 100*o.maxTempErrors))
	}
	sum.ExitStatus = code
	if err := writeSummary(o, sum, log, stderr); err != nil {
		log.Error(err.Error())
		return exitError
	}
	return code
}

// execute runs the pipeline and commits the outputs only if it succeeds.
func execute(ctx context.Context, o options, stdin io.Reader, stdout, stderr io.Writer) (pipeline.Summary, error) {
	var sum pipeline.Summary
	var inputs []pipeline.Input
	var first *tableio.Source
	for _, path := range o.inputs {
		src, err := tableio.OpenSource(path, stdin)
		if err != nil {
			return sum, err
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
	}
	servers := o.resolvers
	if len(servers) == 0 {
		var err error
		if servers, err = verify.ResolvConf(o.resolvConf); err != nil {
			return sum, err
		}
	}
	vcfg := verify.Config{ClientConfig: verify.ClientConfig{
		Servers:     servers,
		Timeout:     o.timeout,
		Retries:     o.retries,
		QPS:         o.qps,
		MaxInFlight: o.concurrency,
	}}
	var store *cache.Cache
	if o.cache != "" {
		var err error
		store, err = cache.Open(o.cache, cache.Options{MaxAge: o.cacheMaxAge, MinAge: o.cacheMinAge, LockTimeout: o.lockTimeout})
		if err != nil {
			return sum, err
		}
		// Deferred before the resolver's Close so that it runs after it:
		// the last results reach the disk even when the run is stopped.
		defer store.Close()
		vcfg.Hosts = store
	}
	res, err := verify.New(vcfg)
	if err != nil {
		return sum, err
	}
	defer res.Close()

	var outputs []*tableio.Output
	defer func() {
		for _, out := range outputs {
			out.Abort()
		}
	}()
	cfg := pipeline.Config{
		Inputs:      inputs,
		Column:      o.column,
		Concurrency: o.concurrency,
		Verifier:    res,
		Out: func(columns []string) (rowio.Writer, error) {
			out, err := tableio.CreateRows(o.out, stdout, columns, first.ParquetSchema())
			if err != nil {
				return nil, err
			}
			outputs = append(outputs, out)
			return out, nil
		},
	}
	if o.domains != "" {
		out, err := tableio.CreateResults(o.domains, stdout)
		if err != nil {
			return sum, err
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
			return sum, err
		}
		outputs = append(outputs, ch.out)
		cfg.Changed = ch.add
	}
	progress := o.progress
	if progress == "auto" && o.logFormat == "json" {
		// Every stderr line must stay one JSON object.
		progress = "never"
	}
	if b := newBar(progress, stderr); b != nil {
		cfg.Progress = b
		defer b.finish()
	}

	sum, err = pipeline.Run(ctx, cfg)
	if err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return sum, err
	}
	for _, out := range outputs {
		if err := out.Commit(); err != nil {
			return sum, err
		}
	}
	if store != nil {
		cs := store.Stats()
		sum.CacheHits, sum.CacheMisses, sum.CacheExpired = cs.Hits, cs.Misses, cs.Expired
	}
	st := res.Stats()
	sum.Queries, sum.Retries = st.Queries, st.Retries
	if sum.ElapsedSeconds > 0 {
		sum.QueriesPerSecond = float64(st.Queries) / sum.ElapsedSeconds
	}
	return sum, nil
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
