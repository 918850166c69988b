package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/benchmarks/internal/truth"
)

const timeOutput = `	Command being timed: "mxverify run list.csv"
	User time (seconds): 3.25
	System time (seconds): 1.50
	Percent of CPU this job got: 95%
	Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50
	Maximum resident set size (kbytes): 204800
	Exit status: 0
`

const dnsperfOutput = `Statistics:

  Queries sent:         383315
  Queries completed:    383315 (100.00%)
  Queries lost:         0 (0.00%)

  Response codes:       NOERROR 379131 (98.91%), NXDOMAIN 4184 (1.09%)
  Run time (s):         5.000034
  Queries per second:   77462.091454
`

func TestParseTime(t *testing.T) {
	got, err := parseTime(strings.NewReader(timeOutput))
	if err != nil {
		t.Fatal(err)
	}
	want := timing{Wall: 62.5, User: 3.25, Sys: 1.5, MaxRSSKB: 204800}
	if *got != want {
		t.Errorf("got %+v, want %+v", *got, want)
	}
	if _, err := parseTime(strings.NewReader("nothing here")); err == nil {
		t.Error("want an error for text that is not time -v output")
	}
	if c, _ := parseClock("1:00:01"); c != 3601 {
		t.Errorf("parseClock(1:00:01) = %v", c)
	}
}

func TestParseDnsperf(t *testing.T) {
	got, err := parseDnsperf(strings.NewReader(dnsperfOutput))
	if err != nil || got != 77462.091454 {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := parseDnsperf(strings.NewReader("Error: could not open file")); err == nil {
		t.Error("want an error without a qps line")
	}
}

func testTruth() *truth.Truth {
	tr := truth.New()
	tr.Rows, tr.Domains, tr.Queries = 10, 3, 7
	tr.DomainsByStatus["deliverable"] = 2
	tr.DomainsByStatus["nxdomain"] = 1
	tr.AddressesByStatus["deliverable"] = 8
	tr.AddressesByStatus["nxdomain"] = 2
	return tr
}

var testExpected = map[string]string{"a.mxbench.net": "deliverable", "b.mxbench.net": "deliverable", "c.mxbench.net": "nxdomain"}

func writeRun(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const goodSummary = `{"inputs":["list.csv"],"rows":10,"invalid_rows":0,"domains":3,
 "domains_by_status":{"deliverable":2,"nxdomain":1},
 "addresses_by_status":{"deliverable":8,"nxdomain":2},
 "queries":7,"retries":0,"elapsed_seconds":1.0,"queries_per_second":7,"exit_status":0}`

const goodDomains = "domain,status,reason,mx,implicit_mx,ttl,checked_at,resolver\n" +
	"a.mxbench.net,deliverable,,,false,300,,\nb.mxbench.net,deliverable,,,false,300,,\nc.mxbench.net,nxdomain,,,false,300,,\n"

func TestLoadGoodRun(t *testing.T) {
	dir := writeRun(t, map[string]string{
		"params":       "desc=direct\nexit=0\n",
		"summary.json": goodSummary,
		"time.txt":     timeOutput,
		"domains.csv":  goodDomains,
	})
	s := load("direct", dir, testTruth(), testExpected, 14)
	if len(s.Problems) > 0 {
		t.Fatalf("problems: %q", s.Problems)
	}
	if s.QueryRate != 7/62.5 || s.PerDomain != 7.0/3 || s.Ratio != s.QueryRate/14 {
		t.Errorf("rates %+v", s)
	}
	var b strings.Builder
	if !report(&b, testTruth(), 14, "test", []*scenario{s}) {
		t.Errorf("report failed:\n%s", b.String())
	}
	if !strings.Contains(b.String(), "direct") || !strings.Contains(b.String(), " ok") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestLoadWrongRunFails(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"status counts": {
			"summary.json": strings.Replace(goodSummary, `"nxdomain":1}`, `"nxdomain":0,"temp_error":1}`, 1),
		},
		"per-domain status": {
			"domains.csv": strings.Replace(goodDomains, "a.mxbench.net,deliverable", "a.mxbench.net,nxdomain", 1),
		},
		"exit code": {
			"params": "exit=2\n",
		},
		"rate limit": {
			"params":       "qps=2\n",
			"summary.json": strings.Replace(goodSummary, `"elapsed_seconds":1.0`, `"elapsed_seconds":1.5`, 1),
		},
		"no summary": {
			"summary.json": "",
		},
	} {
		t.Run(name, func(t *testing.T) {
			all := map[string]string{"params": "exit=0\n", "summary.json": goodSummary, "time.txt": timeOutput, "domains.csv": goodDomains}
			for k, v := range files {
				all[k] = v
			}
			if all["summary.json"] == "" {
				delete(all, "summary.json")
			}
			s := load(name, writeRun(t, all), testTruth(), testExpected, 14)
			if len(s.Problems) == 0 {
				t.Error("want a problem")
			}
			if report(&strings.Builder{}, testTruth(), 14, "", []*scenario{s}) {
				t.Error("report passed")
			}
		})
	}
}

func TestDiffTreatsMissingAsZero(t *testing.T) {
	if d := diff(map[string]int{"deliverable": 1}, map[string]int{"deliverable": 1, "invalid": 0}); d != "" {
		t.Errorf("diff = %q, want none", d)
	}
	if d := diff(map[string]int{"temp_error": 1}, map[string]int{}); d != "temp_error 1 want 0" {
		t.Errorf("diff = %q", d)
	}
}
