package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/benchmarks/internal/truth"
)

func testConfig() Config {
	return Config{Seed: 7, Domains: 5000, Rows: 20000, Origin: "mxbench.net", ZipfS: 1.2, ZipfShare: 0.5}
}

func generate(t *testing.T, cfg Config) (string, *truth.Truth) {
	t.Helper()
	dir := t.TempDir()
	tr, err := Generate(cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir, tr
}

// zone is the generated zone, parsed with miekg/dns, as an oracle
// independent of the generator's own bookkeeping.
type zone struct {
	rrs   map[string][]dns.RR // by owner name
	names map[string]bool     // owners and their ancestors (empty non-terminals exist)
}

func loadZone(t *testing.T, path, origin string) *zone {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z := &zone{rrs: map[string][]dns.RR{}, names: map[string]bool{}}
	zp := dns.NewZoneParser(f, dns.Fqdn(origin), path)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		name := strings.ToLower(rr.Header().Name)
		z.rrs[name] = append(z.rrs[name], rr)
		for n := name; n != "." && !z.names[n]; {
			z.names[n] = true
			i, _ := dns.NextLabel(n, 0)
			n = n[i:]
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return z
}

func public(a netip.Addr) bool {
	return !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsUnspecified() || netip.MustParsePrefix("100.64.0.0/10").Contains(a))
}

// addrs reports whether name has a public address of its own, or one
// through a CNAME.
func (z *zone) addrs(name string) (direct, viaCNAME bool) {
	for hops := 0; hops < 8; hops++ {
		for _, rr := range z.rrs[name] {
			var a netip.Addr
			switch rr := rr.(type) {
			case *dns.A:
				a, _ = netip.AddrFromSlice(rr.A.To4())
			case *dns.AAAA:
				a, _ = netip.AddrFromSlice(rr.AAAA)
			case *dns.CNAME:
				name = strings.ToLower(rr.Target)
				goto next
			default:
				continue
			}
			if public(a) {
				return hops == 0, hops > 0
			}
		}
		return false, false
	next:
	}
	return false, false
}

// classify applies mxverify's status rules to the parsed zone.
func (z *zone) classify(domain string) string {
	name := dns.Fqdn(domain)
	if !z.names[name] {
		return "nxdomain"
	}
	var mx []*dns.MX
	for _, rr := range z.rrs[name] {
		if m, ok := rr.(*dns.MX); ok {
			mx = append(mx, m)
		}
	}
	switch {
	case len(mx) == 0:
		return "no_mx"
	case len(mx) == 1 && mx[0].Mx == "." && mx[0].Preference == 0:
		return "null_mx"
	}
	viaCNAME := false
	for _, m := range mx {
		d, c := z.addrs(strings.ToLower(m.Mx))
		if d {
			return "deliverable"
		}
		viaCNAME = viaCNAME || c
	}
	if viaCNAME {
		return "cname_misconfigured"
	}
	return "dangling_mx"
}

func readCSV(t *testing.T, path string) [][]string {
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
	return recs
}

func TestTruthMatchesZone(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	dir, tr := generate(t, cfg)
	z := loadZone(t, filepath.Join(dir, "bench.zone"), cfg.Origin)

	expected := map[string]string{}
	for _, rec := range readCSV(t, filepath.Join(dir, "expected.csv"))[1:] {
		expected[rec[0]] = rec[1]
	}
	domains := map[string]int{}
	addresses := map[string]int{}
	list := readCSV(t, filepath.Join(dir, "list.csv"))
	if got := strings.Join(list[0], ","); got != "email,id" {
		t.Errorf("list header %q", got)
	}
	for _, rec := range list[1:] {
		_, d, ok := strings.Cut(rec[0], "@")
		if !ok {
			t.Fatalf("bad address %q", rec[0])
		}
		want, ok := expected[d]
		if !ok {
			t.Fatalf("%s is listed but not in expected.csv", d)
		}
		addresses[want]++
		if _, seen := domains[d]; !seen {
			domains[d] = 0
			if got := z.classify(d); got != want {
				t.Errorf("%s: zone says %s, expected.csv says %s", d, got, want)
			}
		}
	}
	if len(domains) != len(expected) || tr.Domains != len(expected) {
		t.Errorf("distinct listed domains %d, expected.csv %d, truth %d", len(domains), len(expected), tr.Domains)
	}
	if tr.Rows != len(list)-1 {
		t.Errorf("truth rows %d, list has %d", tr.Rows, len(list)-1)
	}
	byStatus := map[string]int{}
	for _, s := range expected {
		byStatus[s]++
	}
	for _, s := range truth.Statuses {
		if tr.DomainsByStatus[s] != byStatus[s] {
			t.Errorf("domains %s: truth %d, expected.csv %d", s, tr.DomainsByStatus[s], byStatus[s])
		}
		if tr.AddressesByStatus[s] != addresses[s] {
			t.Errorf("addresses %s: truth %d, list %d", s, tr.AddressesByStatus[s], addresses[s])
		}
	}
	// Every status the harness can produce without faults shows up.
	for _, s := range []string{"deliverable", "null_mx", "cname_misconfigured", "no_mx", "nxdomain", "dangling_mx"} {
		if byStatus[s] == 0 {
			t.Errorf("no %s domain in the list", s)
		}
	}
}

func TestMix(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	g := newGenerator(cfg)
	var n [numCategories]int
	for _, c := range g.cats {
		n[c]++
	}
	for c := catOwn; c < numCategories; c++ {
		if want := cfg.Domains * mix[c] / 100; n[c] != want {
			t.Errorf("category %d: %d domains, want %d", c, n[c], want)
		}
	}
	for rank := range min(headSize, cfg.Domains/100) {
		if c := g.cats[g.perm[rank]]; c != catShared {
			t.Errorf("rank %d is category %d, want shared provider", rank, c)
		}
	}
}

func TestQueries(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	dir, tr := generate(t, cfg)
	f, err := os.Open(filepath.Join(dir, "queries.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	mx := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		name, typ, ok := strings.Cut(line, " ")
		if !ok || (typ != "MX" && typ != "A" && typ != "AAAA") || !strings.HasSuffix(name, "."+cfg.Origin) {
			t.Fatalf("bad dnsperf line %q", line)
		}
		if seen[line] {
			t.Errorf("duplicate question %q", line)
		}
		seen[line] = true
		if typ == "MX" {
			mx++
		}
	}
	if len(seen) != tr.Queries {
		t.Errorf("%d questions, truth says %d", len(seen), tr.Queries)
	}
	if mx != tr.Domains {
		t.Errorf("%d MX questions, want one per listed domain (%d)", mx, tr.Domains)
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	a, _ := generate(t, cfg)
	b, _ := generate(t, cfg)
	cfg.Seed++
	c, _ := generate(t, cfg)
	for _, name := range []string{"bench.zone", "list.csv", "queries.txt", "expected.csv", "truth.json"} {
		fa, _ := os.ReadFile(filepath.Join(a, name))
		fb, _ := os.ReadFile(filepath.Join(b, name))
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	la, _ := os.ReadFile(filepath.Join(a, "list.csv"))
	lc, _ := os.ReadFile(filepath.Join(c, "list.csv"))
	if bytes.Equal(la, lc) {
		t.Error("list.csv is the same for two seeds")
	}
}

func TestZoneIndependentOfRows(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	a, _ := generate(t, cfg)
	cfg.Rows = 100
	b, _ := generate(t, cfg)
	fa, _ := os.ReadFile(filepath.Join(a, "bench.zone"))
	fb, _ := os.ReadFile(filepath.Join(b, "bench.zone"))
	if !bytes.Equal(fa, fb) {
		t.Error("bench.zone depends on -rows")
	}
}

func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Seed: 1, Domains: 10000, Rows: 100000, Origin: "mxbench.net", ZipfS: 1.2, ZipfShare: 0.5}
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(cfg, dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cfg.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
