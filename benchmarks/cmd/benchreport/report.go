package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/mxverify/mxverify/benchmarks/internal/truth"
)

// summary is the part of mxverify's --summary JSON the report reads.
type summary struct {
	Rows              int            `json:"rows"`
	InvalidRows       int            `json:"invalid_rows"`
	Domains           int            `json:"domains"`
	DomainsByStatus   map[string]int `json:"domains_by_status"`
	AddressesByStatus map[string]int `json:"addresses_by_status"`
	Queries           int            `json:"queries"`
	Retries           int            `json:"retries"`
	ElapsedSeconds    float64        `json:"elapsed_seconds"`
	QueriesPerSecond  float64        `json:"queries_per_second"`
	ExitStatus        int            `json:"exit_status"`
}

// timing is what GNU time -v says about a process.
type timing struct {
	Wall, User, Sys float64 // seconds
	MaxRSSKB        int
	ExitStatus      int
}

// scenario is one mxverify run, read from the directory bench.sh filled:
//
//	params       key=value lines: desc, exit (mxverify's exit code), and
//	             optionally qps (the --qps limit), concurrency, rtt_ms
//	summary.json mxverify --summary
//	domains.csv  mxverify --domains
//	time.txt     /usr/bin/time -v of mxverify
//	proxy.txt    delayproxy's counters and CPU, when a proxy was used
//	ceiling.txt  dnsperf through the same proxy, when a proxy was used; it
//	             replaces the direct ceiling for this scenario's ratio
type scenario struct {
	Name        string            `json:"name"`
	Ceiling     float64           `json:"ceiling_qps"`
	Params      map[string]string `json:"params"`
	Summary     *summary          `json:"summary,omitempty"`
	Time        *timing           `json:"time,omitempty"`
	Proxy       string            `json:"proxy,omitempty"`
	DomainsRate float64           `json:"domains_per_second"`
	QueryRate   float64           `json:"queries_per_second"`
	PerDomain   float64           `json:"queries_per_domain"`
	Ratio       float64           `json:"ratio_to_ceiling"`
	Problems    []string          `json:"problems"`
	Notes       []string          `json:"notes"`
}

func (s *scenario) fail(format string, args ...any) {
	s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
}

var (
	reTimeField = regexp.MustCompile(`^\s*(.+?):\s+(.*)$`)
	reQPS       = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)
)

// parseTime reads the output of GNU time -v.
func parseTime(r io.Reader) (*timing, error) {
	t := &timing{}
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		m := reTimeField.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		key, val := m[1], strings.TrimSpace(m[2])
		var err error
		switch {
		case key == "User time (seconds)":
			t.User, err = strconv.ParseFloat(val, 64)
		case key == "System time (seconds)":
			t.Sys, err = strconv.ParseFloat(val, 64)
		case strings.HasPrefix(key, "Elapsed (wall clock) time"):
			t.Wall, err = parseClock(val)
		case key == "Maximum resident set size (kbytes)":
			t.MaxRSSKB, err = strconv.Atoi(val)
		case key == "Exit status":
			t.ExitStatus, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if found < 4 {
		return nil, errors.New("not GNU time -v output")
	}
	return t, nil
}

// parseClock reads "h:mm:ss" or "m:ss.ss".
func parseClock(s string) (float64, error) {
	var total float64
	for part := range strings.SplitSeq(s, ":") {
		v, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return 0, fmt.Errorf("clock %q: %w", s, err)
		}
		total = total*60 + v
	}
	return total, nil
}

// parseDnsperf finds dnsperf's "Queries per second" figure.
func parseDnsperf(r io.Reader) (float64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	m := reQPS.FindSubmatch(b)
	if m == nil {
		return 0, errors.New("no \"Queries per second\" line in dnsperf output")
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func readParams(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := map[string]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			p[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return p, nil
}

// readExpected loads expected.csv: domain -> status.
func readExpected(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readDomainStatus(f)
}

// readDomainStatus reads a CSV with "domain" and "status" columns, found by
// header name; other columns are ignored.
func readDomainStatus(r io.Reader) (map[string]string, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	di, si := -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "domain":
			di = i
		case "status":
			si = i
		}
	}
	if di < 0 || si < 0 {
		return nil, fmt.Errorf("header %q has no domain and status columns", head)
	}
	m := map[string]string{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, err
		}
		if di >= len(rec) || si >= len(rec) {
			return nil, fmt.Errorf("short record %q", rec)
		}
		m[strings.TrimSuffix(strings.ToLower(rec[di]), ".")] = rec[si]
	}
}

// load reads one scenario directory and checks it against the truth.
func load(name, dir string, tr *truth.Truth, expected map[string]string, ceiling float64) *scenario {
	s := &scenario{Name: name, Params: map[string]string{}}
	if p, err := readParams(filepath.Join(dir, "params")); err == nil {
		s.Params = p
	}
	s.Ceiling = ceiling
	if f, err := os.Open(filepath.Join(dir, "ceiling.txt")); err == nil {
		c, err := parseDnsperf(f)
		f.Close()
		if err != nil {
			s.fail("ceiling.txt: %v", err)
		} else {
			s.Ceiling = c
			s.Notes = append(s.Notes, fmt.Sprintf("ceiling: dnsperf through the same proxy (%s)", s.Params["ceiling"]))
		}
	}
	// A rate-limited run cannot beat its limit: that is its ceiling.
	if r, err := strconv.ParseFloat(s.Params["qps"], 64); err == nil && r > 0 && (s.Ceiling == 0 || r < s.Ceiling) {
		s.Ceiling = r
		s.Notes = append(s.Notes, fmt.Sprintf("ceiling: the --qps limit %.0f", r))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "proxy.txt")); err == nil {
		s.Proxy = strings.TrimSpace(string(b))
	}
	if f, err := os.Open(filepath.Join(dir, "time.txt")); err == nil {
		s.Time, err = parseTime(f)
		f.Close()
		if err != nil {
			s.fail("time.txt: %v", err)
		}
	} else {
		s.fail("no time.txt: %v", err)
	}
	if code := s.Params["exit"]; code != "" && code != "0" {
		s.fail("mxverify exited %s (see %s)", code, filepath.Join(dir, "stderr.txt"))
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		s.fail("no summary: %v", err)
		return s
	}
	s.Summary = &summary{}
	if err := json.Unmarshal(b, s.Summary); err != nil {
		s.fail("summary.json: %v", err)
		s.Summary = nil
		return s
	}
	sum := s.Summary
	if s.Time != nil && s.Time.Wall > 0 {
		s.DomainsRate = float64(sum.Domains) / s.Time.Wall
		s.QueryRate = float64(sum.Queries) / s.Time.Wall
	}
	if sum.Domains > 0 {
		s.PerDomain = float64(sum.Queries) / float64(sum.Domains)
	}
	if s.Ceiling > 0 {
		s.Ratio = s.QueryRate / s.Ceiling
	}
	s.check(tr, expected, dir)
	s.addNotes(tr)
	return s
}

func (s *scenario) check(tr *truth.Truth, expected map[string]string, dir string) {
	sum := s.Summary
	if sum.ExitStatus != 0 {
		s.fail("summary exit_status %d", sum.ExitStatus)
	}
	if sum.Rows != tr.Rows {
		s.fail("rows %d, want %d", sum.Rows, tr.Rows)
	}
	if sum.Domains != tr.Domains {
		s.fail("domains %d, want %d", sum.Domains, tr.Domains)
	}
	if d := diff(sum.DomainsByStatus, tr.DomainsByStatus); d != "" {
		s.fail("domains by status differ from truth: %s", d)
	}
	if d := diff(sum.AddressesByStatus, tr.AddressesByStatus); d != "" {
		s.fail("addresses by status differ from truth: %s", d)
	}
	if expected == nil {
		return
	}
	f, err := os.Open(filepath.Join(dir, "domains.csv"))
	if err != nil {
		s.Notes = append(s.Notes, "per-domain check skipped: "+err.Error())
		return
	}
	defer f.Close()
	got, err := readDomainStatus(f)
	if err != nil {
		s.fail("domains.csv: %v", err)
		return
	}
	var wrong []string
	for d, want := range expected {
		if g, ok := got[d]; !ok {
			wrong = append(wrong, d+": missing, want "+want)
		} else if g != want {
			wrong = append(wrong, d+": "+g+", want "+want)
		}
	}
	for d, g := range got {
		if _, ok := expected[d]; !ok {
			wrong = append(wrong, d+": "+g+", not in the list")
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		s.fail("%d domains wrong in domains.csv, e.g. %s", len(wrong), strings.Join(wrong[:min(5, len(wrong))], "; "))
	}
}

// diff compares status counts; a status missing from a map counts as 0.
func diff(got, want map[string]int) string {
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var out []string
	for _, k := range sortedKeys(keys) {
		if got[k] != want[k] {
			out = append(out, fmt.Sprintf("%s %d want %d", k, got[k], want[k]))
		}
	}
	return strings.Join(out, ", ")
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (s *scenario) addNotes(tr *truth.Truth) {
	sum := s.Summary
	note := func(format string, args ...any) { s.Notes = append(s.Notes, fmt.Sprintf(format, args...)) }
	note("%d queries (%d retries) vs %d distinct questions needed; mxverify's own elapsed %.2fs",
		sum.Queries, sum.Retries, tr.Queries, sum.ElapsedSeconds)
	if r, err := strconv.ParseFloat(s.Params["qps"], 64); err == nil && r > 0 && s.Time != nil {
		floor := float64(sum.Queries) / r
		note("--qps %.0f: wall %.2fs vs queries/R %.2fs (%.2fx); observed %.0f q/s", r, s.Time.Wall, floor, s.Time.Wall/floor, s.QueryRate)
		// A burst is allowed, a sustained overshoot is a broken limiter.
		if sum.ElapsedSeconds > 0 && float64(sum.Queries)/sum.ElapsedSeconds > 1.10*r && floor > 1 {
			s.fail("rate limit exceeded: %.0f q/s over mxverify's elapsed time with --qps %.0f",
				float64(sum.Queries)/sum.ElapsedSeconds, r)
		}
	}
	if c, err := strconv.ParseFloat(s.Params["concurrency"], 64); err == nil {
		if rtt, err := strconv.ParseFloat(s.Params["rtt_ms"], 64); err == nil && rtt > 0 {
			bound := c / (rtt / 1000)
			note("latency bound concurrency/RTT = %.0f q/s; reached %.0f%%", bound, 100*s.QueryRate/bound)
		}
	}
	if s.Proxy != "" {
		note("proxy: %s", s.Proxy)
	}
}

// report prints the table and the notes, and returns whether every check passed.
func report(w io.Writer, tr *truth.Truth, ceiling float64, ceilingNote string, scs []*scenario) bool {
	fmt.Fprintf(w, "mxverify benchmark: %d rows, %d distinct domains (seed %d, %d generated), %d distinct questions\n",
		tr.Rows, tr.Domains, tr.Seed, tr.ZoneDomains, tr.Queries)
	if ceiling > 0 {
		fmt.Fprintf(w, "ceiling: dnsperf %.0f queries/s against the same nsd and questions (%s)\n\n", ceiling, ceilingNote)
	} else {
		fmt.Fprintf(w, "ceiling: not measured (%s)\n\n", ceilingNote)
	}
	tw := newTable("scenario", "domains/s", "queries/s", "q/domain", "wall s", "user+sys s", "peak RSS MB", "ceiling q/s", "ratio", "check")
	ok := true
	for _, s := range scs {
		check := "ok"
		if len(s.Problems) > 0 {
			check, ok = "FAIL", false
		}
		cpu, wall, rss := "-", "-", "-"
		if s.Time != nil {
			cpu = fmt.Sprintf("%.2f", s.Time.User+s.Time.Sys)
			wall = fmt.Sprintf("%.2f", s.Time.Wall)
			rss = fmt.Sprintf("%.0f", float64(s.Time.MaxRSSKB)/1024)
		}
		num := func(f float64, format string) string {
			if s.Summary == nil {
				return "-"
			}
			return fmt.Sprintf(format, f)
		}
		tw.row(s.Name, num(s.DomainsRate, "%.0f"), num(s.QueryRate, "%.0f"), num(s.PerDomain, "%.2f"),
			wall, cpu, rss, fmt.Sprintf("%.0f", s.Ceiling), num(s.Ratio, "%.2f"), check)
	}
	tw.print(w)
	for _, s := range scs {
		fmt.Fprintf(w, "\n%s: %s\n", s.Name, s.Params["desc"])
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  FAIL: %s\n", p)
		}
	}
	if len(scs) == 0 {
		fmt.Fprintln(w, "(no mxverify scenario ran)")
	}
	return ok
}

type table struct{ rows [][]string }

func newTable(head ...string) *table { return &table{rows: [][]string{head}} }

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// print right-aligns every column but the first.
func (t *table) print(w io.Writer) {
	width := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	for n, r := range t.rows {
		var b strings.Builder
		for i, c := range r {
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", width[i], c)
			} else {
				fmt.Fprintf(&b, "  %*s", width[i], c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if n == 0 {
			fmt.Fprintln(w, strings.Repeat("-", b.Len()))
		}
	}
}
