package main

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

// The help shows every flag run has, wherever it was registered, with two
// dashes, each once; every status; every exit status.
func TestRunHelp(t *testing.T) {
	var o options
	fs := newFlags(&o, io.Discard)
	requireUnits(fs)
	var b strings.Builder
	writeRunHelp(&b, fs)
	help := b.String()
	short := make(map[string]string)
	for s, long := range flagAliases {
		short[long] = s
	}
	fs.VisitAll(func(f *flag.Flag) {
		entry := "  --" + f.Name
		if long, ok := flagAliases[f.Name]; ok {
			entry = "  -" + f.Name + ", --" + long
		} else if s, ok := short[f.Name]; ok {
			entry = "  -" + s + ", --" + f.Name
		}
		if n := countEntries(help, entry); n != 1 {
			t.Errorf("flag %s: %d entries %q in the help, want 1", f.Name, n, entry)
		}
	})
	if strings.Contains(help, "same as -o") {
		t.Error("-o and --out have two entries")
	}
	for _, st := range verify.Statuses {
		if statusHelp[st] == "" || !strings.Contains(help, "  "+string(st)+" ") {
			t.Errorf("status %s is not explained in the help", st)
		}
	}
	for _, want := range []string{"\nInput:\n", "\nOutput:\n", "\nDNS:\n", "\nNightly:\n", "\nActions:\n",
		"  send ", "  suppress ", "  retry ", "\n  0 ", "\n  1 ", "\n  2 ", "\n  3 ", "\n  130 ", "143", "\nExamples:\n",
		"(default 24h)", "--qps N\n      at most N queries per second"} {
		if !strings.Contains(help, want) {
			t.Errorf("the help lacks %q", want)
		}
	}
	if strings.Contains(help, "\nOther:\n") {
		t.Errorf("a flag of run has no group in flagGroups:\n%s", help[strings.Index(help, "\nOther:\n"):])
	}
	for i, line := range strings.Split(help, "\n") {
		if len([]rune(line)) > 100 {
			t.Errorf("help line %d is %d characters wide: %q", i+1, len([]rune(line)), line)
		}
	}

	// A flag another file registers without a group still shows.
	fs.Duration("new-thing", 0, "a flag added elsewhere")
	b.Reset()
	writeRunHelp(&b, fs)
	if !strings.Contains(b.String(), "\nOther:\n  --new-thing DURATION\n      a flag added elsewhere\n") {
		t.Errorf("a flag without a group is not shown under Other:\n%s", b.String())
	}
}

func countEntries(help, entry string) int {
	n := 0
	for _, line := range strings.Split(help, "\n") {
		if line == entry || strings.HasPrefix(line, entry+" ") {
			n++
		}
	}
	return n
}

// Command-line mistakes are refused in one line that says what to write.
func TestFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "2"}, `invalid value "2" for flag --timeout: use a unit, e.g. 2s`},
		{[]string{"--cache-max-age=36"}, `for flag --cache-max-age: use a unit, e.g. 36s`},
		{[]string{"--progress-interval", "0.5"}, `use a unit, e.g. 0.5s`},
		{[]string{"--progress", "yes"}, "--progress must be auto, always, never or log"},
		{[]string{"--progress-interval", "0s"}, "--progress-interval must be above 0"},
		{[]string{"--log-format", "yaml"}, "--log-format must be text or json"},
		{[]string{"--frobnicate"}, "flag provided but not defined: --frobnicate"},
		{[]string{"--qps"}, "flag needs an argument: --qps"},
	}
	for _, tt := range tests {
		_, err := parseOptions(append([]string{"in.csv"}, tt.args...), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.args, err, tt.want)
		}
	}
	// "0" is a duration without a unit that means what it says.
	if _, err := parseOptions([]string{"in.csv", "--lock-timeout", "0", "--timeout", "1500ms"}, io.Discard); err != nil {
		t.Errorf("--lock-timeout 0: %v", err)
	}
}

// mxverify help run is mxverify run --help.
func TestHelpRun(t *testing.T) {
	t.Parallel()
	a := mxverify(t, t.TempDir(), "", "help", "run")
	b := mxverify(t, t.TempDir(), "", "run", "--help")
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout || !strings.Contains(a.stdout, "Exit status:") {
		t.Errorf("help run: exit %d, run --help: exit %d; outputs equal: %v\n%s", a.code, b.code, a.stdout == b.stdout, a.stdout)
	}
}

func TestFormatVersion(t *testing.T) {
	tests := []struct {
		version, commit, date string
		info                  map[string]string
		want                  string
	}{
		{"v1.2.0", "1a2b3c4", "2026-01-02T03:04:05Z", map[string]string{"vcs.revision": "ffffffffffffffff"},
			"mxverify v1.2.0 (commit 1a2b3c4, built 2026-01-02T03:04:05Z, "},
		{"", "", "", map[string]string{"version": "v1.3.0", "vcs.revision": "0123456789abcdef0123", "vcs.time": "2026-02-03T00:00:00Z", "vcs.modified": "true"},
			"mxverify v1.3.0 (commit 0123456789ab-dirty, built 2026-02-03T00:00:00Z, "},
		{"", "", "", map[string]string{}, "mxverify dev (commit unknown, built unknown, "},
	}
	for _, tt := range tests {
		if got := formatVersion(tt.version, tt.commit, tt.date, tt.info); !strings.HasPrefix(got, tt.want) {
			t.Errorf("got %q, want it to begin %q", got, tt.want)
		}
	}
}
