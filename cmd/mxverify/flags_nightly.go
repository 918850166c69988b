package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/outage"
)

// nightlyFlags are the flags of a scheduled run: re-checks of cached
// results, and when to call the resolvers down rather than record every
// domain as temp_error.
type nightlyFlags struct {
	refresh          bool
	refreshStatus    []verify.Status
	outageMinQueries int
	outageAnswerRate float64
	outageWindow     time.Duration
}

func (n *nightlyFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&n.refresh, "refresh", false, "with --cache, ask DNS again for every domain (and its mail hosts), whatever the age of its cached result, and update the cache")
	fs.Func("refresh-status", "with --cache, ask DNS again for the domains whose cached status is in this comma-separated `LIST` (e.g. nxdomain,dangling_mx), whatever their age", func(s string) error {
		for name := range strings.SplitSeq(s, ",") {
			st := verify.Status(strings.TrimSpace(name))
			if !st.Valid() {
				return fmt.Errorf("unknown status %q: want some of %s", name, statusNames())
			}
			if !slices.Contains(n.refreshStatus, st) {
				n.refreshStatus = append(n.refreshStatus, st)
			}
		}
		return nil
	})
	fs.IntVar(&n.outageMinQueries, "outage-min-queries", outage.DefaultMinQueries, "stop with exit 3 when the resolvers answer none of the first `N` queries, or too few in a --outage-window in which N were sent")
	fs.Float64Var(&n.outageAnswerRate, "outage-answer-rate", outage.DefaultAnswerRate, "stop with exit 3 when fewer than this fraction `F` of the queries of an --outage-window are answered")
	fs.DurationVar(&n.outageWindow, "outage-window", outage.DefaultWindow, "the sliding window the --outage-answer-rate is measured over")
}

func (n *nightlyFlags) validate(cache string) error {
	switch {
	case (n.refresh || len(n.refreshStatus) > 0) && cache == "":
		return fmt.Errorf("%w: --refresh and --refresh-status need --cache", errUsage)
	case n.refresh && len(n.refreshStatus) > 0:
		return fmt.Errorf("%w: give --refresh (every domain) or --refresh-status (some), not both", errUsage)
	case n.outageMinQueries < 1:
		return fmt.Errorf("%w: --outage-min-queries must be at least 1", errUsage)
	case n.outageAnswerRate <= 0 || n.outageAnswerRate > 1:
		return fmt.Errorf("%w: --outage-answer-rate must be above 0 and at most 1", errUsage)
	case n.outageWindow < time.Second:
		return fmt.Errorf("%w: --outage-window must be at least 1s", errUsage)
	}
	return nil
}

// refreshed is the cache's Options.Refresh for these flags, nil for none.
func (n *nightlyFlags) refreshed() func(verify.Status) bool {
	switch {
	case n.refresh:
		return func(verify.Status) bool { return true }
	case len(n.refreshStatus) > 0:
		return func(s verify.Status) bool { return slices.Contains(n.refreshStatus, s) }
	}
	return nil
}

func (n *nightlyFlags) outageConfig(servers []string, onOutage func(*outage.Error)) outage.Config {
	return outage.Config{Servers: servers, MinQueries: n.outageMinQueries, AnswerRate: n.outageAnswerRate,
		Window: n.outageWindow, OnOutage: onOutage}
}

func statusNames() string {
	names := make([]string, len(verify.Statuses))
	for i, s := range verify.Statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ",")
}
