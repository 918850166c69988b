package merge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/verify"
)

// changeColumns are the changes report's, as mxverify writes it.
var changeColumns = []string{"domain", "old_status", "new_status", "old_checked_at", "new_checked_at", "rows"}

const rowsHeader = "email,mx_domain,mx_status,mx_row"

// shardOut is one shard's hand-written outputs.
type shardOut struct {
	header  string      // of the per-address file; rowsHeader when empty
	rows    []string    // per-address CSV lines after the header
	domains [][2]string // per-domain records: domain, status
	changes []string    // changes CSV lines after the header; nil: none written
}

// fixture is the outputs of one sharded run, written by writeRun.
type fixture struct {
	run    string // the run digest every summary carries
	ext    string // of the per-domain files: csv (default) or jsonl
	shards []shardOut
	// tweak edits shard i's summary before it is written.
	tweak func(i int, s *pipeline.Summary)
}

// twoShards is a run of five rows over two inputs, split in two. Row 0:1
// has an invalid address at a valid domain, so x.net comes into the
// unsharded run at row 0:3, after y.net; and 0:10 sorts after 0:3 as a
// number, before it as text.
func twoShards() fixture {
	return fixture{run: "r1", shards: []shardOut{
		{
			rows: []string{
				"bad..a@x.net,x.net,invalid,0:1",
				"c@x.net,x.net,deliverable,0:3",
				"d@z.net,z.net,no_mx,1:1",
			},
			domains: [][2]string{{"x.net", "deliverable"}, {"z.net", "no_mx"}},
			changes: []string{"z.net,deliverable,no_mx,2026-04-30T03:00:00Z,2026-05-01T03:00:00Z,1"},
		},
		{
			rows: []string{
				"b@y.net,y.net,nxdomain,0:2",
				"e@y.net,y.net,nxdomain,0:10",
			},
			domains: [][2]string{{"y.net", "nxdomain"}},
			changes: []string{"y.net,no_mx,nxdomain,2026-04-30T03:00:00Z,2026-05-01T03:00:00Z,2"},
		},
	}}
}

// The unsharded run's files for twoShards; its CSV has CRLF line ends
// (RFC 4180), its JSON Lines LF.
const (
	wantRows = "email,mx_domain,mx_status\r\n" +
		"bad..a@x.net,x.net,invalid\r\n" +
		"b@y.net,y.net,nxdomain\r\n" +
		"c@x.net,x.net,deliverable\r\n" +
		"e@y.net,y.net,nxdomain\r\n" +
		"d@z.net,z.net,no_mx\r\n"
	wantDomains = "domain,status\r\n" +
		"y.net,nxdomain\r\n" +
		"x.net,deliverable\r\n" +
		"z.net,no_mx\r\n"
	wantDomainsJSONL = `{"domain":"y.net","status":"nxdomain"}` + "\n" +
		`{"domain":"x.net","status":"deliverable"}` + "\n" +
		`{"domain":"z.net","status":"no_mx"}` + "\n"
	wantChanges = "domain,old_status,new_status,old_checked_at,new_checked_at,rows\r\n" +
		"y.net,no_mx,nxdomain,2026-04-30T03:00:00Z,2026-05-01T03:00:00Z,2\r\n" +
		"z.net,deliverable,no_mx,2026-04-30T03:00:00Z,2026-05-01T03:00:00Z,1\r\n"
)

// write writes the shards' files and summaries into dir and returns the
// summaries' paths, by shard.
func (f fixture) write(t *testing.T, dir string) []string {
	t.Helper()
	ext := f.ext
	if ext == "" {
		ext = "csv"
	}
	put := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var sums []string
	for i, sh := range f.shards {
		header := sh.header
		if header == "" {
			header = rowsHeader
		}
		rows := put(fmt.Sprintf("%s-rows-%d.csv", f.run, i), lines(header, sh.rows))
		var recs []string
		byStatus := make(map[verify.Status]int64)
		for _, d := range sh.domains {
			byStatus[verify.Status(d[1])]++
			if ext == "jsonl" {
				recs = append(recs, fmt.Sprintf(`{"domain":%q,"status":%q}`, d[0], d[1]))
			} else {
				recs = append(recs, d[0]+","+d[1])
			}
		}
		domainsHeader := "domain,status"
		if ext == "jsonl" {
			domainsHeader = ""
		}
		domains := put(fmt.Sprintf("%s-domains-%d.%s", f.run, i, ext), lines(domainsHeader, recs))
		s := pipeline.Summary{
			Rows:            int64(len(sh.rows)),
			Domains:         int64(len(sh.domains)),
			DomainsByStatus: byStatus,
			Shard: &pipeline.ShardInfo{
				Index: i, Count: len(f.shards), From: "--shard", Run: f.run, MaxTempErrors: 0.5,
				Outputs: map[string]string{"-o": rows, "--domains": domains},
			},
		}
		if sh.changes != nil {
			s.Shard.Outputs["--changes"] = put(fmt.Sprintf("%s-changes-%d.csv", f.run, i), lines(strings.Join(changeColumns, ","), sh.changes))
		}
		if f.tweak != nil {
			f.tweak(i, &s)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, put(fmt.Sprintf("%s-summary-%d.json", f.run, i), string(b)))
	}
	return sums
}

// lines is a file of header (none when empty) and lines, each ended.
func lines(header string, lines []string) string {
	if header != "" {
		lines = append([]string{header}, lines...)
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The merge of the shards' files is the unsharded run's, whatever the
// order of the summaries and wherever the files were moved together.
func TestRunWholeRun(t *testing.T) {
	tests := []struct {
		name string
		fix  fixture
		// order rearranges the summaries given to Run.
		order func(sums []string) []string
		// move, when set, moves every file of the run to another
		// directory after the summaries recorded where they were.
		move          bool
		domainsExt    string
		changes       bool
		wantRows      string
		wantDomains   string
		wantRowsCount int64
	}{
		{name: "csv", fix: twoShards(), wantRows: wantRows, wantDomains: wantDomains, wantRowsCount: 5},
		{name: "summaries reversed", fix: twoShards(), order: func(s []string) []string { return []string{s[1], s[0]} },
			wantRows: wantRows, wantDomains: wantDomains, wantRowsCount: 5},
		{name: "jsonl domains", fix: func() fixture { f := twoShards(); f.ext = "jsonl"; return f }(), domainsExt: "jsonl",
			wantRows: wantRows, wantDomains: wantDomainsJSONL, wantRowsCount: 5},
		{name: "with changes", fix: twoShards(), changes: true, wantRows: wantRows, wantDomains: wantDomains, wantRowsCount: 5},
		{name: "files moved beside the summaries", fix: twoShards(), move: true,
			wantRows: wantRows, wantDomains: wantDomains, wantRowsCount: 5},
		{name: "a shard of no rows", fix: func() fixture {
			f := twoShards()
			f.shards = append(f.shards, shardOut{})
			return f
		}(), wantRows: wantRows, wantDomains: wantDomains, wantRowsCount: 5},
		{name: "one shard", fix: fixture{run: "r1", shards: []shardOut{{
			rows:    []string{"a@x.net,x.net,deliverable,0:1"},
			domains: [][2]string{{"x.net", "deliverable"}},
		}}}, wantRows: "email,mx_domain,mx_status\r\na@x.net,x.net,deliverable\r\n", wantDomains: "domain,status\r\nx.net,deliverable\r\n", wantRowsCount: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sums := tt.fix.write(t, dir)
			if tt.move {
				moved := t.TempDir()
				entries, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(moved, e.Name())); err != nil {
						t.Fatal(err)
					}
				}
				for i, s := range sums {
					sums[i] = filepath.Join(moved, filepath.Base(s))
				}
			}
			if tt.order != nil {
				sums = tt.order(sums)
			}
			out := t.TempDir()
			ext := tt.domainsExt
			if ext == "" {
				ext = "csv"
			}
			cfg := Config{
				Summaries:     sums,
				Out:           filepath.Join(out, "rows.csv"),
				Domains:       filepath.Join(out, "domains."+ext),
				Stdout:        new(bytes.Buffer),
				ChangeColumns: changeColumns,
				MaxTempErrors: -1,
			}
			if tt.changes {
				cfg.Changes = filepath.Join(out, "changes.csv")
			}
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, cfg.Out); got != tt.wantRows {
				t.Errorf("rows %q, want %q", got, tt.wantRows)
			}
			if got := readFile(t, cfg.Domains); got != tt.wantDomains {
				t.Errorf("domains %q, want %q", got, tt.wantDomains)
			}
			if tt.changes {
				if got := readFile(t, cfg.Changes); got != wantChanges {
					t.Errorf("changes %q, want %q", got, wantChanges)
				}
			}
			if sum.Rows != tt.wantRowsCount || sum.Shard != nil || sum.OverBound {
				t.Errorf("summary: %d rows, shard %+v, over the bound %v; want %d rows, no shard, within", sum.Rows, sum.Shard, sum.OverBound, tt.wantRowsCount)
			}
		})
	}
}

// A set of files that is not one whole run is refused in one line, and
// leaves no output.
func TestRunRefuses(t *testing.T) {
	other := func() fixture { f := twoShards(); f.run = "r2"; return f }
	three := func() fixture {
		f := twoShards()
		f.run = "r3"
		f.shards = append(f.shards, shardOut{})
		return f
	}
	tests := []struct {
		name string
		// summaries writes the files into dir and returns the summaries
		// given to Run.
		summaries func(t *testing.T, dir string) []string
		err       string
	}{
		{"none", func(*testing.T, string) []string { return nil }, "no summary to merge"},
		{"missing", func(t *testing.T, dir string) []string {
			return twoShards().write(t, dir)[1:]
		}, "shard 0 of 2 (0 to 1) missing: got 1 summaries"},
		{"twice", func(t *testing.T, dir string) []string {
			s := twoShards().write(t, dir)
			return []string{s[0], s[1], s[0]}
		}, "shard 0/2 given twice: "},
		{"mixed runs", func(t *testing.T, dir string) []string {
			return []string{twoShards().write(t, dir)[0], other().write(t, dir)[1]}
		}, "mixed runs: "},
		{"mixed counts", func(t *testing.T, dir string) []string {
			return []string{twoShards().write(t, dir)[0], three().write(t, dir)[1]}
		}, "mixed shard counts: "},
		{"unsharded", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.tweak = func(i int, s *pipeline.Summary) { s.Shard = nil }
			return f.write(t, dir)
		}, "the summary of an unsharded run (no shard): nothing to merge"},
		{"not a summary", func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, "x.json")
			if err := os.WriteFile(p, []byte("email\na@x.net\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{p}
		}, "x.json: not a summary: "},
		{"count below 1", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.shards = f.shards[:1]
			f.tweak = func(i int, s *pipeline.Summary) { s.Shard.Count = -1 }
			return f.write(t, dir)
		}, "shard 0 of -1 is out of range"},
		{"index out of range", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.tweak = func(i int, s *pipeline.Summary) { s.Shard.Index += 2 }
			return f.write(t, dir)
		}, "shard 2 of 2 is out of range"},
		{"rows miscounted", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.tweak = func(i int, s *pipeline.Summary) { s.Rows++ }
			return f.write(t, dir)
		}, "the shards' per-address files hold 5 rows, their summaries count 7"},
		{"domains miscounted", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.tweak = func(i int, s *pipeline.Summary) { s.Domains-- }
			return f.write(t, dir)
		}, "the shards' per-domain files hold 3 domains, their summaries count 1"},
		{"a row in two shards", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.shards[1].rows = append(f.shards[1].rows, "f@y.net,y.net,nxdomain,1:1")
			return f.write(t, dir)
		}, "row 1:1 comes twice, or out of order (last 1:1)"},
		{"bad mx_row", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.shards[1].rows[0] = "b@y.net,y.net,nxdomain,0-2"
			return f.write(t, dir)
		}, `mx_row "0-2": want FILE:ROW, such as 0:17`},
		{"no mx_row", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.shards[0].header = "email,mx_domain,mx_status,row"
			return f.write(t, dir)
		}, "no mx_row, mx_domain or mx_status column: not the per-address output of a shard"},
		{"a file gone", func(t *testing.T, dir string) []string {
			s := twoShards().write(t, dir)
			if err := os.Remove(filepath.Join(dir, "r1-rows-1.csv")); err != nil {
				t.Fatal(err)
			}
			return s
		}, "-rows-1.csv is missing"},
		{"a domain of no row", func(t *testing.T, dir string) []string {
			f := twoShards()
			f.shards[1].domains = append(f.shards[1].domains, [2]string{"w.net", "deliverable"})
			return f.write(t, dir)
		}, `domain "w.net" is in no row of its shard's per-address file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			sums := tt.summaries(t, dir)
			out := t.TempDir()
			cfg := Config{
				Summaries:     sums,
				Out:           filepath.Join(out, "rows.csv"),
				Domains:       filepath.Join(out, "domains.csv"),
				Stdout:        new(bytes.Buffer),
				ChangeColumns: changeColumns,
				MaxTempErrors: -1,
			}
			_, err := Run(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, tt.err)
			}
			left, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(left) != 0 {
				t.Errorf("a refused merge left %d files, the first %s", len(left), left[0].Name())
			}
		})
	}
}

// The whole run's exit status follows its temp_error share against the
// merge's bound, or the shards' when the merge gives none.
func TestRunTempErrors(t *testing.T) {
	// Two of the four resolvable domains ended temp_error: a share of 0.5,
	// which the shards' bound of 0.5 allows. The invalid one is no part
	// of the share.
	fix := fixture{run: "r1", shards: []shardOut{
		{
			rows:    []string{"a@t1.net,t1.net,temp_error,0:1", "b@ok1.net,ok1.net,deliverable,0:3", "c@bad.test,bad.test,invalid,0:5"},
			domains: [][2]string{{"t1.net", "temp_error"}, {"ok1.net", "deliverable"}, {"bad.test", "invalid"}},
		},
		{
			rows:    []string{"d@t2.net,t2.net,temp_error,0:2", "e@ok2.net,ok2.net,deliverable,0:4"},
			domains: [][2]string{{"t2.net", "temp_error"}, {"ok2.net", "deliverable"}},
		},
	}}
	tests := []struct {
		name  string
		bound float64
		want  bool
	}{
		{"the shards' bound", -1, false},
		{"a lower bound", 0.4, true},
		{"no temp_error allowed", 0, true},
		{"all allowed", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sums := fix.write(t, t.TempDir())
			out := filepath.Join(t.TempDir(), "rows.csv")
			sum, err := Run(context.Background(), Config{Summaries: sums, Out: out, MaxTempErrors: tt.bound})
			if err != nil {
				t.Fatal(err)
			}
			if sum.OverBound != tt.want {
				t.Errorf("over the bound: %v at a share of %.2f, want %v", sum.OverBound, sum.TempErrorShare(), tt.want)
			}
			// The results are written either way.
			if _, err := os.Stat(out); err != nil {
				t.Error(err)
			}
		})
	}
}

// A cancelled merge stops within 4096 rows and leaves no output.
func TestRunCancelled(t *testing.T) {
	var rows []string
	for i := range 5000 {
		rows = append(rows, fmt.Sprintf("a%d@x.net,x.net,deliverable,0:%d", i, i+1))
	}
	sums := fixture{run: "r1", shards: []shardOut{{rows: rows, domains: [][2]string{{"x.net", "deliverable"}}}}}.write(t, t.TempDir())
	out := filepath.Join(t.TempDir(), "rows.csv")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Config{Summaries: sums, Out: out, MaxTempErrors: -1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a cancelled merge left its output")
	}
}
