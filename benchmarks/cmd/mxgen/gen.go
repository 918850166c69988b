package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mxverify/mxverify/benchmarks/internal/truth"
)

// Config says what to generate. The zone depends only on Seed, Domains and
// Origin; the list also on Rows, ZipfS and ZipfShare.
type Config struct {
	Seed    uint64
	Domains int
	Rows    int
	Origin  string // without the trailing dot, e.g. "mxbench.net"
	// ZipfS is the Zipf exponent (> 1) of the heavy head of the list.
	ZipfS float64
	// ZipfShare is the share of rows drawn from the Zipf head; the rest are
	// drawn uniformly, so that almost every domain appears at least once.
	ZipfShare float64
}

// category is how one generated domain is set up in the zone.
type category uint8

const (
	catShared   category = iota // MX to a shared provider's hosts (A and AAAA)
	catOwn                      // own primary and backup exchange
	catNull                     // "MX 0 ."
	catCNAME                    // MX to an alias of a provider host
	catImplicit                 // no MX, has A (and sometimes AAAA)
	catNoAddr                   // no MX, no address (TXT only)
	catDangling                 // MX to a name without a public address
	catAbsent                   // not in the zone at all
	numCategories
)

// mix is the share of each category, in percent of -domains.
var mix = [numCategories]int{70, 15, 3, 2, 4, 3, 2, 1}

// status is what mxverify must report for a domain of each category.
var status = [numCategories]string{
	"deliverable", "deliverable", "null_mx", "cname_misconfigured",
	"no_mx", "no_mx", "dangling_mx", "nxdomain",
}

// provider is a shared mail hoster: hosts exchanges mx1..mxN.prov<k>, and
// weight is its relative share of the shared-provider domains.
type provider struct{ hosts, weight int }

var providers = []provider{{5, 40}, {2, 20}, {2, 12}, {1, 8}, {2, 7}, {3, 6}, {1, 4}, {2, 3}}

var providerTotal = func() int {
	t := 0
	for _, p := range providers {
		t += p.weight
	}
	return t
}()

// headSize is how many top-ranked (most frequent) domains are forced onto
// shared providers, as gmail.com and friends are in real lists.
const headSize = 100

type generator struct {
	cfg  Config
	cats []category // by domain index
	perm []int32    // popularity rank -> domain index
}

func newGenerator(cfg Config) *generator {
	n := cfg.Domains
	g := &generator{cfg: cfg, cats: make([]category, n), perm: make([]int32, n)}
	// Exact counts per category; rounding leftovers go to shared providers.
	i := 0
	for c := catOwn; c < numCategories; c++ {
		for range n * mix[c] / 100 {
			g.cats[i] = c
			i++
		}
	}
	// The rest stay catShared (the zero value).
	r := rand.New(rand.NewPCG(cfg.Seed, 0x6d78676e_7a6f6e65)) // "mxgnzone"
	r.Shuffle(n, func(a, b int) { g.cats[a], g.cats[b] = g.cats[b], g.cats[a] })
	for k := range g.perm {
		g.perm[k] = int32(k)
	}
	r.Shuffle(n, func(a, b int) { g.perm[a], g.perm[b] = g.perm[b], g.perm[a] })
	// Swap a shared-provider category into each head rank, taking it from the
	// least popular ranks, so the counts per category stay exact.
	tail := n - 1
	for rank := 0; rank < min(headSize, n/100); rank++ {
		d := g.perm[rank]
		if g.cats[d] == catShared {
			continue
		}
		for tail > rank && g.cats[g.perm[tail]] != catShared {
			tail--
		}
		if tail <= rank {
			break
		}
		g.cats[d], g.cats[g.perm[tail]] = g.cats[g.perm[tail]], g.cats[d]
		tail--
	}
	return g
}

// hash gives stateless per-domain choices (provider, variants) that do not
// depend on generation order.
func (g *generator) hash(i int, salt uint64) uint64 {
	z := g.cfg.Seed ^ (uint64(i)+1)*0x9e3779b97f4a7c15 ^ salt*0xbf58476d1ce4e5b9
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (g *generator) provider(i int) int {
	w := int(g.hash(i, 1) % uint64(providerTotal))
	for k, p := range providers {
		if w < p.weight {
			return k
		}
		w -= p.weight
	}
	return len(providers) - 1
}

// Generate writes bench.zone, list.csv, queries.txt, expected.csv and
// truth.json into dir and returns the truth.
func Generate(cfg Config, dir string) (*truth.Truth, error) {
	if cfg.Domains < 1 || cfg.Rows < 0 || cfg.ZipfS <= 1 || cfg.ZipfShare < 0 || cfg.ZipfShare > 1 {
		return nil, fmt.Errorf("bad config: need domains >= 1, rows >= 0, zipf-s > 1, 0 <= zipf-share <= 1")
	}
	if cfg.Domains > 1<<31-1 {
		return nil, fmt.Errorf("too many domains: %d", cfg.Domains)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := newGenerator(cfg)
	t := truth.New()
	t.Seed, t.Origin, t.ZoneDomains, t.Rows = cfg.Seed, cfg.Origin, cfg.Domains, cfg.Rows

	seen := make([]bool, cfg.Domains)
	if err := writeFile(filepath.Join(dir, "list.csv"), func(w *bufio.Writer) error {
		return g.writeList(w, seen, t)
	}); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, "bench.zone"), g.writeZone); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, "queries.txt"), func(w *bufio.Writer) error {
		return g.writeQueries(w, seen, t)
	}); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, "expected.csv"), func(w *bufio.Writer) error {
		return g.writeExpected(w, seen, t)
	}); err != nil {
		return nil, err
	}
	if err := t.Write(filepath.Join(dir, "truth.json")); err != nil {
		return nil, err
	}
	return t, nil
}

func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// writeList writes the address list: header "email,id", then one row per
// address, the domain drawn from a mix of a Zipf head and a uniform tail.
func (g *generator) writeList(w *bufio.Writer, seen []bool, t *truth.Truth) error {
	n := g.cfg.Domains
	r := rand.New(rand.NewPCG(g.cfg.Seed, 0x6d78676e_6c697374)) // "mxgnlist"
	z := rand.NewZipf(r, g.cfg.ZipfS, 1, uint64(n-1))
	var rows [numCategories]int
	buf := make([]byte, 0, 128)
	if _, err := w.WriteString("email,id\n"); err != nil {
		return err
	}
	for row := 1; row <= g.cfg.Rows; row++ {
		var rank int
		if r.Float64() < g.cfg.ZipfShare {
			rank = int(z.Uint64())
		} else {
			rank = r.IntN(n)
		}
		d := int(g.perm[rank])
		seen[d] = true
		rows[g.cats[d]]++
		buf = append(buf[:0], 'u')
		buf = strconv.AppendInt(buf, int64(row), 10)
		buf = append(buf, "@d"...)
		buf = strconv.AppendInt(buf, int64(d), 10)
		buf = append(buf, '.')
		buf = append(buf, g.cfg.Origin...)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(row), 10)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	for c, k := range rows {
		t.AddressesByStatus[status[c]] += k
	}
	return nil
}

// Public-looking addresses. The zone is only served on loopback, so the
// documentation ranges are enough; mxverify treats them as public.
func v4(buf []byte, prefix string, i int) []byte {
	buf = append(buf, prefix...)
	return strconv.AppendInt(buf, int64(i%254+1), 10)
}

func v6(buf []byte, prefix string, i int) []byte {
	buf = append(buf, prefix...)
	buf = strconv.AppendUint(buf, uint64(i>>16), 16)
	buf = append(buf, ':')
	buf = strconv.AppendUint(buf, uint64(i&0xffff), 16)
	return append(buf, "::25"...)
}

// writeZone writes the RFC 1035 zone, with names relative to the origin.
func (g *generator) writeZone(w *bufio.Writer) error {
	fmt.Fprintf(w, "$ORIGIN %s.\n$TTL 3600\n", g.cfg.Origin)
	fmt.Fprintf(w, "@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 192.0.2.53\n")
	for k, p := range providers {
		for j := range p.hosts {
			fmt.Fprintf(w, "mx%d.prov%d IN A 192.0.2.%d\n", j+1, k, 10*k+j+1)
			fmt.Fprintf(w, "mx%d.prov%d IN AAAA 2001:db8::%x:%x\n", j+1, k, k, j+1)
		}
	}
	var b, name []byte
	for i, c := range g.cats {
		name = strconv.AppendInt(append(name[:0], 'd'), int64(i), 10)
		b = b[:0]
		switch c {
		case catShared:
			k := g.provider(i)
			for j := range providers[k].hosts {
				b = append(b, name...)
				b = append(b, " IN MX "...)
				b = strconv.AppendInt(b, int64(10*(j+1)), 10)
				b = fmt.Appendf(b, " mx%d.prov%d\n", j+1, k)
			}
		case catOwn:
			b = fmt.Appendf(b, "%s IN MX 10 mx1.%s\n%s IN MX 20 mx2.%s\n", name, name, name, name)
			b = fmt.Appendf(b, "mx1.%s IN A ", name)
			b = append(v4(b, "198.51.100.", i), '\n')
			if g.hash(i, 2)&1 == 0 {
				b = fmt.Appendf(b, "mx1.%s IN AAAA ", name)
				b = append(v6(b, "2001:db8:1:", i), '\n')
			}
			b = fmt.Appendf(b, "mx2.%s IN A ", name)
			b = append(v4(b, "203.0.113.", i), '\n')
		case catNull:
			b = fmt.Appendf(b, "%s IN MX 0 .\n", name)
		case catCNAME:
			b = fmt.Appendf(b, "%s IN MX 10 mail.%s\nmail.%s IN CNAME mx1.prov%d\n", name, name, name, g.provider(i))
		case catImplicit:
			b = fmt.Appendf(b, "%s IN A ", name)
			b = append(v4(b, "203.0.113.", i), '\n')
			if g.hash(i, 2)&1 == 0 {
				b = fmt.Appendf(b, "%s IN AAAA ", name)
				b = append(v6(b, "2001:db8:2:", i), '\n')
			}
		case catNoAddr:
			b = fmt.Appendf(b, "%s IN TXT \"v=spf1 -all\"\n", name)
		case catDangling:
			b = fmt.Appendf(b, "%s IN MX 10 mx.%s\n", name, name)
			switch g.hash(i, 3) % 4 {
			case 0: // exchange does not exist: NXDOMAIN
			case 1: // loopback only
				b = fmt.Appendf(b, "mx.%s IN A 127.0.0.1\nmx.%s IN AAAA ::1\n", name, name)
			case 2: // private only
				b = fmt.Appendf(b, "mx.%s IN A 10.%d.%d.%d\nmx.%s IN AAAA fd00::%x:%x\n",
					name, i>>16&255, i>>8&255, i&255|1, name, i>>16, i&0xffff)
			case 3: // exchange exists without an address: NODATA
				b = fmt.Appendf(b, "mx.%s IN TXT \"no address\"\n", name)
			}
		case catAbsent:
			continue
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// writeQueries writes dnsperf input: the distinct questions a correct run
// over the listed domains must ask.
func (g *generator) writeQueries(w *bufio.Writer, seen []bool, t *truth.Truth) error {
	usedProvider := make([]bool, len(providers))
	var b []byte
	q := func(prefix string, i int, typ string) {
		b = append(b, prefix...)
		b = append(b, 'd')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '.')
		b = append(b, g.cfg.Origin...)
		b = append(b, ' ')
		b = append(b, typ...)
		b = append(b, '\n')
		t.Queries++
	}
	for i, c := range g.cats {
		if !seen[i] {
			continue
		}
		b = b[:0]
		q("", i, "MX")
		switch c {
		case catShared:
			usedProvider[g.provider(i)] = true
		case catOwn:
			q("mx1.", i, "A")
			q("mx1.", i, "AAAA")
			q("mx2.", i, "A")
			q("mx2.", i, "AAAA")
			t.ExchangeHosts += 2
		case catCNAME:
			q("mail.", i, "A")
			q("mail.", i, "AAAA")
			t.ExchangeHosts++
		case catDangling:
			q("mx.", i, "A")
			q("mx.", i, "AAAA")
			t.ExchangeHosts++
		case catImplicit, catNoAddr:
			q("", i, "A")
			q("", i, "AAAA")
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	for k, used := range usedProvider {
		if !used {
			continue
		}
		for j := range providers[k].hosts {
			fmt.Fprintf(w, "mx%d.prov%d.%s A\nmx%d.prov%d.%s AAAA\n", j+1, k, g.cfg.Origin, j+1, k, g.cfg.Origin)
			t.Queries += 2
			t.ExchangeHosts++
		}
	}
	return nil
}

// writeExpected writes "domain,status" for every listed domain, so that a
// report can name the domains a run got wrong, not only count them.
func (g *generator) writeExpected(w *bufio.Writer, seen []bool, t *truth.Truth) error {
	if _, err := w.WriteString("domain,status\n"); err != nil {
		return err
	}
	var b []byte
	for i, c := range g.cats {
		if !seen[i] {
			continue
		}
		t.Domains++
		t.DomainsByStatus[status[c]]++
		b = append(b[:0], 'd')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '.')
		b = append(b, g.cfg.Origin...)
		b = append(b, ',')
		b = append(b, status[c]...)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
