package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/shard"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// checkTime is the clock of the in-process runs below, so that the
// per-domain files (checked_at) of different runs can be compared byte
// for byte.
func checkTime() time.Time { return time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC) }

// inProcess runs mxverify's run or merge in this process with the fixed
// clock, and returns its exit status and stderr.
func inProcess(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx := context.Background()
	var code int
	switch args[0] {
	case "run":
		code = runCmdAt(ctx, checkTime, args[1:], strings.NewReader(""), &out, &errb)
	case "merge":
		code = mergeCmd(ctx, args[1:], &out, &errb)
	default:
		t.Fatalf("inProcess %q", args[0])
	}
	return code, errb.String()
}

// genZone and genList make a list of rows (with a few invalid addresses)
// over domains spread across statuses: deliverable, null MX, no MX
// (address only) and nonexistent.
func genZone(domains int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN gen.mxshard.net.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\nmx1 IN A 192.0.2.1\nmx2 IN AAAA 2001:db8::2\n")
	for i := range domains {
		switch i % 5 {
		case 0, 1:
			fmt.Fprintf(&b, "d%d IN MX 10 mx1.gen.mxshard.net.\nd%d IN MX 20 mx2.gen.mxshard.net.\n", i, i)
		case 2:
			fmt.Fprintf(&b, "d%d IN MX 0 .\n", i)
		case 3:
			fmt.Fprintf(&b, "d%d IN A 192.0.2.%d\n", i, 1+i%250)
		}
		// 4: not in the zone, NXDOMAIN
	}
	return b.String()
}

func genList(rows, domains int) string {
	var b strings.Builder
	b.WriteString("email,id\n")
	for i := range rows {
		d := (i * 7919) % domains
		switch {
		case i%997 == 5:
			fmt.Fprintf(&b, "not-an-address-%d,%d\n", i, i)
		case i%1009 == 7:
			fmt.Fprintf(&b, "bad..local%d@d%d.gen.mxshard.net,%d\n", i, d, i)
		case i%1013 == 11:
			fmt.Fprintf(&b, "u%d@host%d.invalid,%d\n", i, i%3, i)
		default:
			fmt.Fprintf(&b, "\"U%d@D%d.Gen.MXShard.net\",%d\n", i, d, i)
		}
	}
	return b.String()
}

// shardCase is one list against one server: the unsharded run's outputs
// are compared with the merge of its shards'.
type shardCase struct {
	name   string
	list   string // path
	ext    string // of the outputs
	server func(t *testing.T) *dnstest.Server
}

// Sharding and merging give the unsharded run's files byte for byte, and
// each domain is asked by its own shard only.
func TestShardMergeIdentical(t *testing.T) {
	t.Parallel()
	genDir := t.TempDir()
	rows := 100_000
	if testing.Short() {
		rows = 10_000
	}
	gen := writeFile(t, genDir, "gen.csv", genList(rows, 1500))
	genServer := func(t *testing.T) *dnstest.Server { return dnstest.NewFromText(t, genZone(1500)) }
	demo := func(t *testing.T) *dnstest.Server {
		srv := demoServer(t)
		srv.ServFail("servfail.mxdemo.net")
		return srv
	}
	cases := []shardCase{
		{"demo-csv", testdataPath(t, "demo/list.csv"), "csv", demo},
		{"demo-jsonl", testdataPath(t, "formats/in/basic.jsonl"), "jsonl", demo},
		{"demo-parquet", testdataPath(t, "parquet/list.parquet"), "parquet", demo},
		{"demo-csv-to-parquet", testdataPath(t, "demo/list.csv"), "parquet", demo},
		{"gen-csv", gen, "csv", genServer},
		{"gen-jsonl", gen, "jsonl", genServer},
		{"gen-parquet", gen, "parquet", genServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testShardMerge(t, tc)
		})
	}
}

func testShardMerge(t *testing.T, tc shardCase) {
	srv := tc.server(t)
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name+"."+tc.ext) }
	common := []string{"--resolver", srv.Addr(), "--progress", "never", "--max-temp-errors", "1", "--concurrency", "32"}
	run := func(extra ...string) {
		t.Helper()
		args := append([]string{"run", tc.list}, common...)
		if code, stderr := inProcess(t, append(args, extra...)...); code != 0 {
			t.Fatalf("mxverify run %q: exit %d: %s", extra, code, stderr)
		}
	}
	// The domains the whole run asks about, from its per-domain CSV.
	run("-o", filepath.Join(dir, "whole-ref.csv"), "--domains", filepath.Join(dir, "whole-domains-ref.csv"))
	asked := askedDomains(t, filepath.Join(dir, "whole-domains-ref.csv"))
	if len(asked) == 0 {
		t.Fatal("the whole run asked about no domain")
	}
	run("-o", path("whole"), "--domains", path("whole-domains"))
	wantRows, wantDomains := readFile(t, path("whole")), readFile(t, path("whole-domains"))

	for _, n := range []int{1, 2, 3, 7} {
		var summaries []string
		askedBy := make(map[string][]int)
		for i := range n {
			srv.ResetCounts()
			s := fmt.Sprintf("n%d-s%d", n, i)
			sum := filepath.Join(dir, s+".json")
			run("--shard", fmt.Sprintf("%d/%d", i, n), "-o", path(s), "--domains", path(s+"-domains"), "--summary", sum)
			for d := range asked {
				if srv.Queries(d, dns.TypeMX) > 0 {
					askedBy[d] = append(askedBy[d], i)
				}
			}
			summaries = append(summaries, sum)
		}
		for d := range asked {
			if want := shard.Of(d, n); len(askedBy[d]) != 1 || askedBy[d][0] != want {
				t.Errorf("N=%d: %s asked by shards %v, want only %d", n, d, askedBy[d], want)
			}
		}
		// Any order of the summaries.
		for i, j := 0, len(summaries)-1; i < j; i, j = i+1, j-1 {
			summaries[i], summaries[j] = summaries[j], summaries[i]
		}
		m := fmt.Sprintf("n%d-merged", n)
		args := append([]string{"merge", "-o", path(m), "--domains", path(m + "-domains"), "--summary", filepath.Join(dir, m+".json")}, summaries...)
		if code, stderr := inProcess(t, args...); code != 0 {
			t.Fatalf("N=%d: merge: exit %d: %s", n, code, stderr)
		}
		if got := readFile(t, path(m)); got != wantRows {
			t.Errorf("N=%d: merged per-address file differs from the whole run's (%d and %d bytes)", n, len(got), len(wantRows))
		}
		if got := readFile(t, path(m+"-domains")); got != wantDomains {
			t.Errorf("N=%d: merged per-domain file differs from the whole run's (%d and %d bytes)", n, len(got), len(wantDomains))
		}
	}
}

// askedDomains are the domains of a per-domain CSV that DNS was asked
// about (all but the invalid ones).
func askedDomains(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	d, st := slices.Index(recs[0], "domain"), slices.Index(recs[0], "status")
	if d < 0 || st < 0 {
		t.Fatalf("%s: columns %q", path, recs[0])
	}
	asked := make(map[string]bool)
	for _, r := range recs[1:] {
		if r[st] != "invalid" {
			asked[r[d]] = true
		}
	}
	return asked
}

// engineEnv is this process's environment without any batch engine's
// variables, plus vars: what a job's process sees.
func engineEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "MXVERIFY_RUN_ID", name == "JOB_COMPLETION_INDEX",
			strings.HasPrefix(name, "SLURM_"), strings.HasPrefix(name, "AWS_BATCH_"):
			continue
		}
		env = append(env, kv)
	}
	return append(append(env, "MXVERIFY_MAIN=1"), vars...)
}

// The engines' contract: N processes, each told its shard only by the
// variables a Kubernetes Indexed Job, an AWS Batch array job or a Slurm
// array sets, write what merge joins into the whole run's rows.
func TestEngineContract(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	list := testdataPath(t, "demo/list.csv")
	base := []string{"run", list, "--resolver", srv.Addr(), "--progress", "never", "--max-temp-errors", "1"}
	whole := t.TempDir()
	if r := mxverify(t, whole, "", append(base, "-o", "whole.csv")...); r.code != 0 {
		t.Fatalf("whole run: exit %d: %s", r.code, r.stderr)
	}
	want := readFile(t, filepath.Join(whole, "whole.csv"))
	const n = 3
	engines := []struct {
		name string
		args []string // besides the shared ones
		vars func(i int) []string
		from string
	}{
		{"kubernetes", []string{"--shards", strconv.Itoa(n)}, func(i int) []string {
			return []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(i)}
		}, "JOB_COMPLETION_INDEX and --shards"},
		{"aws-batch", nil, func(i int) []string {
			return []string{"AWS_BATCH_JOB_ARRAY_INDEX=" + strconv.Itoa(i), "AWS_BATCH_JOB_ARRAY_SIZE=" + strconv.Itoa(n)}
		}, "AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE"},
		{"slurm", nil, func(i int) []string {
			return []string{"SLURM_ARRAY_TASK_ID=" + strconv.Itoa(i), "SLURM_ARRAY_TASK_COUNT=" + strconv.Itoa(n), "SLURM_ARRAY_JOB_ID=4242"}
		}, "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT"},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			var sums []string
			for i := range n {
				args := append(slices.Clone(base), e.args...)
				args = append(args, "-o", fmt.Sprintf("rows-%d.csv", i), "--summary", fmt.Sprintf("summary-%d.json", i))
				cmd := exec.Command(os.Args[0], args...)
				cmd.Dir, cmd.Env = dir, engineEnv(e.vars(i)...)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("shard %d: %v: %s", i, err, stderr.String())
				}
				if line := fmt.Sprintf("shard %d of %d (0 to %d, from %s)", i, n, n-1, e.from); !strings.Contains(stderr.String(), line) {
					t.Errorf("shard %d: stderr lacks %q:\n%s", i, line, stderr.String())
				}
				var sum pipeline.Summary
				if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, fmt.Sprintf("summary-%d.json", i)))), &sum); err != nil {
					t.Fatal(err)
				}
				if sum.Shard == nil || sum.Shard.Index != i || sum.Shard.Count != n || sum.Shard.From != e.from {
					t.Errorf("shard %d: summary says %+v", i, sum.Shard)
				}
				sums = append(sums, fmt.Sprintf("summary-%d.json", i))
			}
			cmd := exec.Command(os.Args[0], append([]string{"merge", "-o", "merged.csv"}, sums...)...)
			cmd.Dir, cmd.Env = dir, engineEnv()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("merge: %v: %s", err, out)
			}
			if got := readFile(t, filepath.Join(dir, "merged.csv")); got != want {
				t.Errorf("merged rows differ from the whole run's:\n%s\n---\n%s", got, want)
			}
		})
	}
}

func TestResolveShard(t *testing.T) {
	tests := []struct {
		name   string
		flag   string
		shards int
		env    map[string]string
		want   shard.Spec
		from   string
		err    string // part of the error; empty for none
	}{
		{name: "none", want: shard.Spec{}},
		{name: "flag", flag: "2/5", want: shard.Spec{Index: 2, Count: 5}, from: "--shard"},
		{name: "flag beats engine", flag: "0/2", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"},
			want: shard.Spec{Index: 0, Count: 2}, from: "--shard"},
		{name: "off", flag: "off", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"}},
		{name: "kubernetes", shards: 4, env: map[string]string{"JOB_COMPLETION_INDEX": "3"},
			want: shard.Spec{Index: 3, Count: 4}, from: "JOB_COMPLETION_INDEX and --shards"},
		{name: "kubernetes without count", env: map[string]string{"JOB_COMPLETION_INDEX": "3"}, err: "JOB_COMPLETION_INDEX=3 is set but not the number of shards"},
		{name: "aws", env: map[string]string{"AWS_BATCH_JOB_ARRAY_INDEX": "0", "AWS_BATCH_JOB_ARRAY_SIZE": "2"},
			want: shard.Spec{Index: 0, Count: 2}, from: "AWS_BATCH_JOB_ARRAY_INDEX and AWS_BATCH_JOB_ARRAY_SIZE"},
		{name: "slurm", env: map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"},
			want: shard.Spec{Index: 1, Count: 3}, from: "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT"},
		{name: "slurm rerun of one task", shards: 3, env: map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "1"},
			want: shard.Spec{Index: 2, Count: 3}, from: "SLURM_ARRAY_TASK_ID and --shards"},
		{name: "index out of range", env: map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3"}, err: "want 0 <= index < count"},
		{name: "not a number", env: map[string]string{"JOB_COMPLETION_INDEX": "x"}, shards: 2, err: `JOB_COMPLETION_INDEX="x" is not a shard number`},
		{name: "bad flag", flag: "1-4", err: "want I/N"},
		{name: "flag and shards disagree", flag: "1/4", shards: 3, err: "disagree"},
		{name: "shards alone", shards: 3, err: "needs the shard's index"},
		{name: "off and shards", flag: "off", shards: 3, err: "cannot both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shardOptions{shardFlag: tt.flag, shards: tt.shards}
			err := s.resolveShard(func(k string) string { return tt.env[k] })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, errUsage) {
					t.Fatalf("error %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.shard != tt.want || s.shardFrom != tt.from {
				t.Errorf("shard %+v from %q, want %+v from %q", s.shard, s.shardFrom, tt.want, tt.from)
			}
		})
	}
}

// merge refuses, in one line and with exit 1, a set of shards that is not
// one whole run.
func TestMergeRefuses(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	dir := t.TempDir()
	list := testdataPath(t, "demo/list.csv")
	other := writeFile(t, dir, "other.csv", "email\na@shop.mxdemo.net\n")
	shard := func(name, in, spec string) string {
		sum := filepath.Join(dir, name+".json")
		code, stderr := inProcess(t, "run", in, "--resolver", srv.Addr(), "--progress", "never", "--max-temp-errors", "1",
			"--shard", spec, "-o", filepath.Join(dir, name+".csv"), "--summary", sum)
		if code != 0 {
			t.Fatalf("shard %s: exit %d: %s", spec, code, stderr)
		}
		return sum
	}
	s0, s1 := shard("s0", list, "0/2"), shard("s1", list, "1/2")
	t0 := shard("t0", list, "0/3")
	o1 := shard("o1", other, "1/2")
	whole := filepath.Join(dir, "whole.json")
	if code, stderr := inProcess(t, "run", list, "--resolver", srv.Addr(), "--progress", "never", "--max-temp-errors", "1",
		"-o", filepath.Join(dir, "whole.csv"), "--summary", whole); code != 0 {
		t.Fatal(stderr)
	}
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"missing", []string{s1}, "shard 0 of 2 (0 to 1) missing"},
		{"duplicate", []string{s0, s1, s0}, "shard 0/2 given twice"},
		{"mixed counts", []string{s0, s1, t0}, "mixed shard counts"},
		{"mixed runs", []string{s0, o1}, "mixed runs"},
		{"unsharded", []string{whole}, "the summary of an unsharded run"},
		{"none", nil, "no SUMMARY given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "merged.csv")
			code, stderr := inProcess(t, append([]string{"merge", "-o", out}, tt.args...)...)
			if code != 1 || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 1 and one line with %q", code, stderr, tt.msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a refused merge left an output")
			}
		})
	}
}
