package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/tableio"
)

// errUsage marks a command line that cannot be run; the message comes with
// a hint to the help text.
var errUsage = errors.New("usage")

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
	triageOptions
	reportOptions
	nightlyFlags
	progressOptions
	inputOptions // formats, separators, encodings, bounds: flags_input.go
	shardOptions

	now func() time.Time // the clock: time.Now but in tests
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
	fs.Float64Var(&o.qps, "qps", 500, "at most `N` queries per second, all resolvers together; 1e7 or more sets no limit")
	fs.IntVar(&o.concurrency, "concurrency", 256, "at most `N` queries in flight")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "one query's timeout, counted from when it is sent")
	fs.IntVar(&o.retries, "retries", 2, "retries after a timeout, SERVFAIL or REFUSED")
	fs.Float64Var(&o.maxTempErrors, "max-temp-errors", 0.05, "fraction `F` (0 to 1) of domains that may end temp_error before the run exits 2")
	fs.StringVar(&o.summary, "summary", "", "write the run's summary as JSON to `FILE`")
	fs.StringVar(&o.logFormat, "log-format", "text", "stderr log `FORMAT`: text or json")
	fs.StringVar(&o.cache, "cache", "", "keep results in this cache `FILE` (bbolt) between runs, and resume from it after a crash")
	fs.DurationVar(&o.cacheMaxAge, "cache-max-age", 24*time.Hour, "reuse a cached result at most this long, whatever its TTL")
	fs.DurationVar(&o.cacheMinAge, "cache-min-age", time.Hour, "reuse a cached result at least this long, even if its TTL is shorter")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", 0, "wait this long for a cache another run is using (0: fail at once)")
	fs.StringVar(&o.changes, "changes", "", "with --cache, write the domains whose status changed since the cached result to `FILE` (.csv or .jsonl)")
	fs.StringVar(&o.metrics, "metrics", "", "write Prometheus text metrics to `FILE` at the end (for node_exporter's textfile collector)")
	o.registerReport(fs)
	o.nightlyFlags.register(fs)
	o.registerShardFlags(fs)
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to `FILE` (for development)")
	o.triageOptions.register(fs)
	o.progressOptions.register(fs)
	o.inputOptions.register(fs)
	fs.Usage = func() { writeRunHelp(fs.Output(), fs) }
	return fs
}

// parseOptions reads and checks the flags of run; with -h it prints the
// help and returns flag.ErrHelp.
func parseOptions(args []string, stdout io.Writer) (options, error) {
	const hint = "; run 'mxverify run --help' for usage"
	var o options
	// The flag package would print the whole usage on a typo; one line
	// that names the problem reads better in a cron mail.
	fs := newFlags(&o, io.Discard)
	requireUnits(fs)
	var err error
	if o.inputs, err = parseArgs(fs, args); err != nil {
		o.logFormat = logFormatOf(args) // a JSON log collector still gets JSON
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return o, err
		}
		// The flag package spells flags with one dash; the help, with two.
		return o, errors.New(doubleDash(err.Error()) + hint)
	}
	if err := o.validate(); err != nil {
		return o, fmt.Errorf("%w"+hint, err)
	}
	return o, o.checkOverwrites()
}

// parseArgs accepts flags before, between and after the other arguments,
// as users of GNU tools expect, and returns those; "--" ends the flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return rest, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if len(args) > len(left) && args[len(args)-len(left)-1] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
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
	case o.logFormat != "text" && o.logFormat != "json":
		return fmt.Errorf("%w: --log-format must be text or json", errUsage)
	case o.out == fileio.Stdio && o.domains == fileio.Stdio:
		return fmt.Errorf("%w: --out and --domains cannot both be standard output", errUsage)
	case o.header && o.noHeader:
		return fmt.Errorf("%w: --header and --no-header cannot both be given", errUsage)
	}
	if err := o.checkInputOptions(); err != nil {
		return err
	}
	if err := o.progressOptions.validate(); err != nil {
		return err
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
	if err := o.resolveShard(os.Getenv); err != nil {
		return err
	}
	switch {
	case o.changes != "" && o.cache == "":
		return fmt.Errorf("%w: --changes needs --cache (the previous results live there)", errUsage)
	case o.cacheMinAge < 0 || o.cacheMaxAge <= 0 || o.cacheMinAge > o.cacheMaxAge:
		return fmt.Errorf("%w: want 0 <= --cache-min-age <= --cache-max-age", errUsage)
	case o.lockTimeout < 0:
		return fmt.Errorf("%w: --lock-timeout cannot be negative", errUsage)
	}
	if err := o.triageOptions.check(); err != nil {
		return err
	}
	if err := o.validateReport(); err != nil {
		return err
	}
	if err := o.nightlyFlags.validate(o.cache); err != nil {
		return err
	}
	for _, p := range []string{o.out, o.domains, o.changes, o.suppressionList} {
		if p == "" {
			continue
		}
		if err := tableio.CheckOutputFormat(p, o.outputFormat(p)); err != nil {
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
	all := []file{{"-o", o.out}, {"--domains", o.domains}, {"--summary", o.summary},
		{"--changes", o.changes}, {"--metrics", o.metrics}, {"--cpuprofile", o.cpuProfile},
		{"--suppression-list", o.suppressionList}, {"--report", o.report}}
	for _, p := range o.splitPaths(o.out) {
		all = append(all, file{"--split", p})
	}
	for _, f := range all {
		if f.path == "" || f.path == fileio.Stdio {
			continue
		}
		for _, k := range keep {
			if fileio.SameFile(f.path, k.path) {
				if k.flag == "input" {
					return fmt.Errorf("%s %s is the input %s: refusing to overwrite an input", f.flag, f.path, k.path)
				}
				return fmt.Errorf("%s %s is the %s file %s: refusing to overwrite it", f.flag, f.path, k.flag, k.path)
			}
		}
		for _, prev := range outs {
			if fileio.SameFile(f.path, prev.path) {
				return fmt.Errorf("%s %s is the same file as %s %s: two outputs cannot share a file", f.flag, f.path, prev.flag, prev.path)
			}
		}
		outs = append(outs, f)
	}
	return nil
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
