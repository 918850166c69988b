package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// flagGroups sorts the flags of run for the help, by name. A flag added
// without a place here is still shown, under "Other".
var flagGroups = []struct {
	title string
	names []string
}{
	{"Input", []string{"column", "header", "no-header", "disposable",
		"input-format", "delimiter", "encoding", "sheet", "max-field", "xlsx-max-unzip", "xlsx-max-xml"}},
	{"Output", []string{"out", "domains", "output-format", "out-delimiter", "add-columns", "suppress-if", "split", "suppression-list", "summary",
		"report", "progress", "progress-interval", "log-format", "cpuprofile"}},
	{"DNS", []string{"resolver", "resolv-conf", "qps", "concurrency", "timeout", "retries", "max-temp-errors"}},
	{"Nightly", []string{"cache", "cache-max-age", "cache-min-age", "refresh", "refresh-status", "lock-timeout", "changes", "metrics",
		"outage-min-queries", "outage-answer-rate", "outage-window"}},
	{"Sharding (mxverify merge joins the shards)", []string{"shard", "shards"}},
}

// flagAliases are short flags shown in one entry with their long one.
var flagAliases = map[string]string{"o": "out"}

// statusHelp says each status in one line; TestRunHelp checks that none
// is missing.
var statusHelp = map[verify.Status]string{
	verify.Deliverable:        "an exchange has a public address",
	verify.NullMX:             `accepts no mail ("MX 0 .", RFC 7505)`,
	verify.CNAMEMisconfigured: "exchanges only through aliases",
	verify.NoMX:               "no MX: send if its own address takes mail",
	verify.NXDomain:           "the domain does not exist",
	verify.DanglingMX:         "no exchange has a public address",
	verify.TempError:          "no answer: says nothing of the domain",
	verify.Invalid:            "rejected before DNS: syntax, special name",
}

var actionHelp = []struct {
	action triage.Action
	help   string
}{
	{triage.Send, "mail can reach the address"},
	{triage.Suppress, "mail cannot reach it: leave it out"},
	{triage.Retry, "it could not be checked: check again later, never drop it"},
}

const runHelpHead = `Usage: mxverify run INPUT... [flags]

Reads the lists, resolves each distinct domain's MX records once, and writes
every row with its domain's verdict (mx_domain, mx_status, mx_reason).

INPUT is a .csv, .tsv, .jsonl, .parquet or .xlsx file, gzip-compressed or
not, or - for standard input; its content tells the format before its name
does. Several inputs are joined by column name. Flags may come before,
between or after the inputs.
`

const runHelpTail = `
Exit status:
  0    done
  1    usage error or bad input; no output written
  2    done, but more domains than --max-temp-errors ended temp_error
  3    resolver outage: the resolvers stopped answering; no output written
  130  stopped by SIGINT (Ctrl-C); 143 stopped by SIGTERM; no output written

Examples:
  mxverify run list.csv -o results.csv --resolver 127.0.0.1
  mxverify run a.csv.gz b.csv.gz -o results.parquet --domains domains.csv --qps 200
  mxverify run /data/list.csv -o /data/results.csv --cache /var/lib/mxverify/cache.db \
      --changes /data/changes.csv --metrics /var/lib/node_exporter/mxverify.prom \
      --progress log --log-format json
`

// writeRunHelp writes the help of run: the flags of fs in their groups,
// the statuses and actions, the exit statuses and examples.
func writeRunHelp(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	b.WriteString(runHelpHead)
	shown := make(map[string]bool)
	short := make(map[string]string) // long name to its alias
	for s, long := range flagAliases {
		short[long] = s
		shown[s] = true
	}
	group := func(title string, names []string) {
		var fl []*flag.Flag
		for _, n := range names {
			if f := fs.Lookup(n); f != nil && !shown[n] {
				fl = append(fl, f)
				shown[n] = true
			}
		}
		if len(fl) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		for _, f := range fl {
			writeFlag(&b, f, fs.Lookup(short[f.Name]))
		}
	}
	for _, g := range flagGroups {
		group(g.title, g.names)
	}
	var other []string
	fs.VisitAll(func(f *flag.Flag) {
		if !shown[f.Name] {
			other = append(other, f.Name)
		}
	})
	group("Other", other)

	b.WriteString("\nStatuses (mx_status) and what to do with an address of each:\n")
	for _, st := range verify.Statuses {
		fmt.Fprintf(&b, "  %-20s %-14s %s\n", st, actionsOf(st), statusHelp[st])
	}
	b.WriteString("\nActions:\n")
	for _, a := range actionHelp {
		fmt.Fprintf(&b, "  %-9s %s\n", a.action, a.help)
	}
	b.WriteString(runHelpTail)
	io.WriteString(w, b.String())
}

// actionsOf is the action for an address of status st, from triage's rule
// itself; "suppress/send" where it depends on the domain's own address.
func actionsOf(st verify.Status) string {
	a := triage.ActionOf(verify.Result{Status: st})
	if b := triage.ActionOf(verify.Result{Status: st, ImplicitMX: true}); b != a {
		return string(a) + "/" + string(b)
	}
	return string(a)
}

// writeFlag writes one flag: "  -o, --out FILE", then its usage, wrapped
// and indented, with its default when that is not the zero value. A flag
// with a short alias is described by the alias's usage.
func writeFlag(b *strings.Builder, f, alias *flag.Flag) {
	b.WriteString("  ")
	if alias != nil {
		b.WriteString("-" + alias.Name + ", ")
		f = &flag.Flag{Name: f.Name, Usage: alias.Usage, Value: alias.Value, DefValue: alias.DefValue}
	}
	b.WriteString("--" + f.Name)
	arg, usage := flag.UnquoteUsage(f)
	if arg = argName(f, arg); arg != "" {
		b.WriteString(" " + arg)
	}
	b.WriteByte('\n')
	if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" {
		if _, err := time.ParseDuration(d); err == nil {
			// 24h, not 24h0m0s
			if strings.HasSuffix(d, "m0s") {
				d = strings.TrimSuffix(d, "0s")
			}
			if strings.HasSuffix(d, "h0m") {
				d = strings.TrimSuffix(d, "0m")
			}
		}
		usage += " (default " + d + ")"
	}
	wrap(b, usage, "      ", 79)
}

// argName names a flag's value: its usage's `NAME`, else by its type.
// Boolean flags take none.
func argName(f *flag.Flag, unquoted string) string {
	if strings.Contains(f.Usage, "`") {
		return unquoted
	}
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			return ""
		case time.Duration:
			return "DURATION"
		case int, int64, uint, uint64, float64:
			return "N"
		}
	}
	return "VALUE"
}

// wrap writes text in lines of at most width columns, each after indent.
func wrap(b *strings.Builder, text, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}

// requireUnits makes every duration flag of fs refuse a bare number:
// "--timeout 2" would otherwise fail with Go's "invalid duration", which
// does not say that a unit is missing. "0" stays valid.
func requireUnits(fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if g, ok := f.Value.(flag.Getter); ok {
			if _, isDuration := g.Get().(time.Duration); isDuration {
				f.Value = unitDuration{g}
			}
		}
	})
}

type unitDuration struct{ flag.Getter }

func (d unitDuration) Set(s string) error {
	if _, err := strconv.ParseFloat(s, 64); err == nil && s != "0" {
		return fmt.Errorf("use a unit, e.g. %ss", s)
	}
	return d.Getter.Set(s)
}

// doubleDash writes the flag package's "-name" as "--name" in its error
// messages, as the help and the README spell flags; one-letter flags
// keep their one dash.
func doubleDash(msg string) string {
	for _, prefix := range []string{"flag provided but not defined: -", "flag needs an argument: -", "for flag -"} {
		i := strings.Index(msg, prefix)
		if i < 0 {
			continue
		}
		at := i + len(prefix)
		name := msg[at:]
		if j := strings.IndexAny(name, ": "); j >= 0 {
			name = name[:j]
		}
		if len(strings.TrimLeft(name, "-")) > 1 && !strings.HasPrefix(name, "-") {
			msg = msg[:at] + "-" + msg[at:]
		}
	}
	return msg
}
