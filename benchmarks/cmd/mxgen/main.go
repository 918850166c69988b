// Command mxgen generates the data of mxverify's benchmark, deterministically
// from a seed: a DNS zone of N domains with a realistic mix of mail set-ups,
// an address list of M rows drawn from those domains with a heavy-tailed
// distribution, the questions a correct run must ask (dnsperf input), and the
// expected result (truth.json, expected.csv).
//
// Usage:
//
//	mxgen -seed 1 -domains 100000 -rows 1000000 -out DIR
//	mxgen -large -out DIR   # 1M domains, 10M rows
//
// See benchmarks/README.md for the mix and the files.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	var cfg Config
	fs := flag.NewFlagSet("mxgen", flag.ContinueOnError)
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed; the same seed and sizes give byte-identical files")
	fs.IntVar(&cfg.Domains, "domains", 100_000, "number of domains to generate (1% of them are left out of the zone)")
	fs.IntVar(&cfg.Rows, "rows", 1_000_000, "number of address rows in list.csv")
	fs.StringVar(&cfg.Origin, "origin", "mxbench.net", "zone origin (not a special-use name: mxverify rejects those)")
	fs.Float64Var(&cfg.ZipfS, "zipf-s", 1.2, "Zipf exponent of the popular head (> 1)")
	fs.Float64Var(&cfg.ZipfShare, "zipf-share", 0.5, "share of rows drawn from the Zipf head; the rest are uniform over all domains")
	large := fs.Bool("large", false, "the large case: -domains 1000000 -rows 10000000 (explicit -domains/-rows still win)")
	out := fs.String("out", "", "output directory (created if missing)")
	quiet := fs.Bool("q", false, "print nothing on success")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(1)
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: mxgen [-seed N] [-domains N] [-rows N] [-large] -out DIR")
		os.Exit(1)
	}
	if *large {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["domains"] {
			cfg.Domains = 1_000_000
		}
		if !set["rows"] {
			cfg.Rows = 10_000_000
		}
	}
	start := time.Now()
	t, err := Generate(cfg, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mxgen:", err)
		os.Exit(1)
	}
	if !*quiet {
		fmt.Printf("mxgen: %d domains in zone set-up, %d rows, %d distinct listed domains, %d queries, %d exchange hosts in %.1fs -> %s\n",
			cfg.Domains, t.Rows, t.Domains, t.Queries, t.ExchangeHosts, time.Since(start).Seconds(), *out)
	}
}
