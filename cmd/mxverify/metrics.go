package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// writeMetrics writes the run's figures in the Prometheus text format for
// node_exporter's textfile collector, atomically so that the collector
// never reads half a file. A failed run keeps the previous file's last
// success time, so "no success for two days" stays an easy alert.
func writeMetrics(path string, sum pipeline.Summary, resolvers *resolverReport, code int, end time.Time) error {
	lastSuccess := previousSuccess(path)
	if code == exitOK {
		lastSuccess = float64(end.Unix())
	}
	var b strings.Builder
	gauge := func(name, help string, value float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %v\n", name, help, name, name, value)
	}
	byStatus := func(name, help string, counts map[verify.Status]int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		for _, st := range verify.Statuses {
			fmt.Fprintf(&b, "%s{status=%q} %d\n", name, st, counts[st])
		}
	}
	gauge("mxverify_last_run_timestamp_seconds", "When the last run ended, in Unix seconds.", float64(end.Unix()))
	gauge("mxverify_last_success_timestamp_seconds", "When the last run that exited 0 ended, in Unix seconds (0: none yet).", lastSuccess)
	gauge("mxverify_last_run_exit_status", "Exit status of the last run: 0 done, 1 error, 2 too many temp errors, 3 resolver outage, 130/143 stopped.", float64(code))
	outageGauge := 0.0
	if code == exitOutage {
		outageGauge = 1
	}
	gauge("mxverify_last_run_resolver_outage", "1 if the last run stopped because the resolvers did not answer (exit 3), else 0.", outageGauge)
	resolvers.write(&b)
	gauge("mxverify_last_run_duration_seconds", "Wall time of the last run.", sum.ElapsedSeconds)
	gauge("mxverify_last_run_rows", "Address rows read by the last run.", float64(sum.Rows))
	gauge("mxverify_last_run_invalid_rows", "Rows whose address was invalid.", float64(sum.InvalidRows))
	gauge("mxverify_last_run_domains", "Distinct domains of the last run.", float64(sum.Domains))
	byStatus("mxverify_last_run_domains_by_status", "Distinct domains of the last run by status.", sum.DomainsByStatus)
	byStatus("mxverify_last_run_addresses_by_status", "Address rows of the last run by status.", sum.AddressesByStatus)
	gauge("mxverify_last_run_queries", "DNS queries sent, retries and TCP included.", float64(sum.Queries))
	gauge("mxverify_last_run_retries", "DNS queries sent again after a timeout, SERVFAIL or REFUSED.", float64(sum.Retries))
	gauge("mxverify_last_run_cache_hits", "Domains answered from the cache.", float64(sum.CacheHits))
	gauge("mxverify_last_run_cache_misses", "Domains the cache could not answer.", float64(sum.CacheMisses))
	gauge("mxverify_last_run_cache_expired", "Domains whose cached result had expired.", float64(sum.CacheExpired))
	gauge("mxverify_last_run_temp_error_ratio", "Share of resolvable domains that ended temp_error.", sum.TempErrorShare())
	fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", "mxverify_last_run_rows_by_action", "Address rows of the last run by mx_action.", "mxverify_last_run_rows_by_action")
	for _, a := range []triage.Action{triage.Send, triage.Suppress, triage.Retry} {
		fmt.Fprintf(&b, "mxverify_last_run_rows_by_action{action=%q} %d\n", a, sum.RowsByAction[a])
	}
	gauge("mxverify_last_run_duplicate_rows", "Rows whose address is on an earlier row.", float64(sum.Duplicates))
	gauge("mxverify_last_run_suggestion_rows", "Rows given a typo suggestion.", float64(sum.Suggestions))
	gauge("mxverify_last_run_role_rows", "Rows with a role address (info@, sales@, ...).", float64(sum.RoleRows))
	gauge("mxverify_last_run_free_rows", "Rows at a free mailbox provider.", float64(sum.FreeRows))
	gauge("mxverify_last_run_disposable_rows", "Rows at a disposable-address domain.", float64(sum.DisposableRows))

	f, err := fileio.Create(path)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if _, err := f.Write([]byte(b.String())); err != nil {
		f.Abort()
		return fmt.Errorf("metrics: %w", err)
	}
	return f.Commit()
}

// write adds each resolver's queries by outcome; nothing when the run
// ended before it had resolvers.
func (r *resolverReport) write(b *strings.Builder) {
	if r == nil {
		return
	}
	const name = "mxverify_last_run_resolver_queries"
	fmt.Fprintf(b, "# HELP %s DNS queries the last run sent to each resolver, by what became of them.\n# TYPE %s gauge\n", name, name)
	for i, c := range r.watch.Totals() {
		for _, v := range []struct {
			outcome string
			n       int64
		}{{"answered", c.Answered}, {"refused", c.Refused}, {"timed_out", c.TimedOut}, {"failed", c.Failed}} {
			fmt.Fprintf(b, "%s{resolver=%q,outcome=%q} %d\n", name, r.servers[i], v.outcome, v.n)
		}
	}
}

// previousSuccess reads the last success time from an earlier metrics
// file; 0 when there is none.
func previousSuccess(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v float64
		if _, err := fmt.Sscanf(sc.Text(), "mxverify_last_success_timestamp_seconds %g", &v); err == nil {
			return v
		}
	}
	return 0
}
