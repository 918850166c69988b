// Command benchreport prints the table of mxverify's benchmark and checks
// every run against the generator's truth, so that a fast wrong run fails.
//
// Usage:
//
//	benchreport -truth DIR/truth.json [-expected DIR/expected.csv] \
//	    [-ceiling dnsperf.txt] [-json results.json] NAME=RUNDIR...
//
// Each RUNDIR holds what benchmarks/bench.sh collected for one scenario
// (params, summary.json, domains.csv, time.txt, proxy.txt). It exits 1 when a
// check fails and 2 on bad usage.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/mxverify/mxverify/benchmarks/internal/truth"
)

func main() {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	truthPath := fs.String("truth", "", "truth.json from mxgen")
	expectedPath := fs.String("expected", "", "expected.csv from mxgen: also check every domain's status")
	ceilingPath := fs.String("ceiling", "", "dnsperf output against the same server and questions")
	ceilingNote := fs.String("ceiling-note", "", "how the ceiling was measured, for the header")
	jsonPath := fs.String("json", "", "also write the results as JSON here")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if *truthPath == "" {
		fmt.Fprintln(os.Stderr, "benchreport: -truth is required")
		os.Exit(2)
	}
	tr, err := truth.Read(*truthPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(2)
	}
	var expected map[string]string
	if *expectedPath != "" {
		if expected, err = readExpected(*expectedPath); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			os.Exit(2)
		}
	}
	ok := true
	var ceiling float64
	note := *ceilingNote
	if *ceilingPath != "" {
		f, err := os.Open(*ceilingPath)
		if err == nil {
			ceiling, err = parseDnsperf(f)
			f.Close()
		}
		if err != nil {
			note = "dnsperf failed: " + err.Error()
			ok = false
		}
	}
	var scs []*scenario
	for _, arg := range fs.Args() {
		name, dir, found := strings.Cut(arg, "=")
		if !found {
			fmt.Fprintf(os.Stderr, "benchreport: %q: want NAME=DIR\n", arg)
			os.Exit(2)
		}
		scs = append(scs, load(name, dir, tr, expected, ceiling))
	}
	if !report(os.Stdout, tr, ceiling, note, scs) {
		ok = false
	}
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(map[string]any{"truth": tr, "ceiling_qps": ceiling, "scenarios": scs}, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchreport:", err)
			ok = false
		}
	}
	if !ok {
		fmt.Println("\nRESULT: FAIL")
		os.Exit(1)
	}
	fmt.Println("\nRESULT: ok")
}
