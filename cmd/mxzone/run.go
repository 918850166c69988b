package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnstest"
)

// Exit codes, decided here and nowhere else.
const (
	exitOK    = 0
	exitError = 1 // zone or listen failure
	exitUsage = 2 // bad flags or arguments
)

const usageText = `Usage: mxzone [flags] ZONEFILE_OR_DIR...

Serve DNS zone files on a loopback address (UDP and TCP) for mxverify
demos and tests. A directory means every *.zone file in it. Prints
"mxzone listening on ADDR" when ready; stops on SIGINT or SIGTERM.

Flags (NAME may be NAME/TYPE to fault one type only, "*" for every name;
fault flags may be repeated):
  --listen ADDR           loopback address to serve on (default 127.0.0.1:5353;
                          port 0 picks a free port)
  --servfail NAME         answer SERVFAIL
  --refused NAME          answer REFUSED
  --drop NAME             never answer
  --delay NAME=DURATION   answer after DURATION (e.g. 500ms)
  --fail-first NAME=N     answer SERVFAIL to the first N queries, then normally
  --truncate NAME         over UDP answer empty with TC=1 (TCP gets the answer)
  --mismatch NAME         answer with a wrong message ID
  --help                  show this help
`

// usageError is a problem with the command line: exit 2 and a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// options is the parsed command line.
type options struct {
	listen string
	paths  []string
	faults []func(*dnstest.Server)
}

// run is the whole command, minus signal handling, so tests can drive it
// in-process: it serves until ctx is done and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "mxzone: %v\nTry 'mxzone --help'.\n", err)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "mxzone: %v\n", err)
		return exitError
	}

	zones, err := dnstest.Load(opts.paths...)
	if err != nil {
		fmt.Fprintf(stderr, "mxzone: %v\n", err)
		return exitError
	}
	srv, err := dnstest.Start(opts.listen, zones)
	if errors.Is(err, dnstest.ErrNotLoopback) {
		fmt.Fprintf(stderr, "mxzone: --listen %s: only loopback addresses are allowed\nTry 'mxzone --help'.\n", opts.listen)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(stderr, "mxzone: %v\n", err)
		return exitError
	}
	for _, apply := range opts.faults {
		apply(srv)
	}
	fmt.Fprintf(stderr, "mxzone: serving %s from %d file(s)\n", strings.Join(zones.Apexes(), " "), len(opts.paths))
	fmt.Fprintf(stdout, "mxzone listening on %s\n", srv.Addr())

	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "mxzone: %v\n", err)
		return exitError
	}
	return exitOK
}

// parseArgs reads flags and operands. Flags may follow operands
// ("mxzone zones/ --drop x"), which the flag package alone does not
// allow, so it parses again after each operand. Everything is checked
// before anything listens.
func parseArgs(args []string) (*options, error) {
	fs := flag.NewFlagSet("mxzone", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, in one line
	fs.Usage = func() {}
	listen := fs.String("listen", "127.0.0.1:5353", "")
	var servfail, refused, drop, delay, failFirst, truncate, mismatch list
	fs.Var(&servfail, "servfail", "")
	fs.Var(&refused, "refused", "")
	fs.Var(&drop, "drop", "")
	fs.Var(&delay, "delay", "")
	fs.Var(&failFirst, "fail-first", "")
	fs.Var(&truncate, "truncate", "")
	fs.Var(&mismatch, "mismatch", "")

	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		operands = append(operands, args[0])
		args = args[1:]
	}
	if len(operands) == 0 {
		return nil, usagef("no zone file or directory given")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return nil, usagef("--listen %s: %v", *listen, err)
	}
	opts := &options{listen: *listen}

	// Plain fault flags: NAME[/TYPE].
	for _, f := range []struct {
		flag   string
		values list
		apply  func(*dnstest.Server, string, ...uint16)
	}{
		{"servfail", servfail, (*dnstest.Server).ServFail},
		{"refused", refused, (*dnstest.Server).Refuse},
		{"drop", drop, (*dnstest.Server).Drop},
		{"truncate", truncate, (*dnstest.Server).Truncate},
		{"mismatch", mismatch, (*dnstest.Server).Mismatch},
	} {
		for _, v := range f.values {
			name, qtypes, err := parseTarget(v)
			if err != nil {
				return nil, usagef("--%s %s: %v", f.flag, v, err)
			}
			opts.faults = append(opts.faults, func(s *dnstest.Server) { f.apply(s, name, qtypes...) })
		}
	}
	for _, v := range delay {
		name, qtypes, val, err := parseAssignment(v)
		if err != nil {
			return nil, usagef("--delay %s: %v", v, err)
		}
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 {
			return nil, usagef("--delay %s: want a duration like 500ms after '='", v)
		}
		opts.faults = append(opts.faults, func(s *dnstest.Server) { s.Delay(name, d, qtypes...) })
	}
	for _, v := range failFirst {
		name, qtypes, val, err := parseAssignment(v)
		if err != nil {
			return nil, usagef("--fail-first %s: %v", v, err)
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return nil, usagef("--fail-first %s: want a count like 2 after '='", v)
		}
		opts.faults = append(opts.faults, func(s *dnstest.Server) { s.FailFirst(name, n, qtypes...) })
	}

	for _, op := range operands {
		paths, err := expand(op)
		if err != nil {
			return nil, err
		}
		opts.paths = append(opts.paths, paths...)
	}
	return opts, nil
}

// parseTarget splits NAME[/TYPE].
func parseTarget(s string) (string, []uint16, error) {
	name, typ, hasType := strings.Cut(s, "/")
	if name == "" {
		return "", nil, errors.New("empty name")
	}
	if _, ok := dns.IsDomainName(name); !ok && name != dnstest.AllNames {
		return "", nil, errors.New("not a domain name")
	}
	if !hasType {
		return name, nil, nil
	}
	t, ok := dns.StringToType[strings.ToUpper(typ)]
	if !ok {
		return "", nil, fmt.Errorf("unknown type %q", typ)
	}
	return name, []uint16{t}, nil
}

// parseAssignment splits NAME[/TYPE]=VALUE.
func parseAssignment(s string) (name string, qtypes []uint16, value string, err error) {
	target, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", nil, "", errors.New("want NAME=VALUE")
	}
	name, qtypes, err = parseTarget(target)
	return name, qtypes, value, err
}

// expand turns an operand into zone files: itself, or a directory's
// *.zone files in name order so that loading is deterministic.
func expand(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("zone file: %w", err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	matches, err := filepath.Glob(filepath.Join(path, "*.zone"))
	if err != nil {
		return nil, fmt.Errorf("zone directory %s: %w", path, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("zone directory %s: no *.zone files", path)
	}
	slices.Sort(matches)
	return matches, nil
}
