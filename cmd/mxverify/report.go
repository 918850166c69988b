package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mxverify/mxverify/io/cache"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/report"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// pageBuilder gathers a run's report: the leading domains and the
// suggestions from the pipeline's Tally, the changes from Changed, the
// rest from the Summary at the end. It keeps only the leaders.
type pageBuilder struct {
	col *report.Collector
}

func newPageBuilder() *pageBuilder { return &pageBuilder{col: report.NewCollector()} }

func (b *pageBuilder) tally(d pipeline.DomainRows) error {
	b.col.Domain(d.Result, d.Rows, d.Suggestion)
	return nil
}

func (b *pageBuilder) change(old, cur verify.Result, rows int64) error {
	b.col.Change(old, cur, rows)
	return nil
}

// wire hooks the builder into cfg, after whatever Tally and Changed it
// already has (--changes writes its file from Changed too).
func (b *pageBuilder) wire(cfg *pipeline.Config) {
	cfg.Tally = thenTally(cfg.Tally, b.tally)
	cfg.Changed = thenChanged(cfg.Changed, b.change)
}

func thenTally(first, then func(pipeline.DomainRows) error) func(pipeline.DomainRows) error {
	if first == nil {
		return then
	}
	return func(d pipeline.DomainRows) error {
		if err := first(d); err != nil {
			return err
		}
		return then(d)
	}
}

func thenChanged(first, then func(old, cur verify.Result, rows int64) error) func(old, cur verify.Result, rows int64) error {
	if first == nil {
		return then
	}
	return func(old, cur verify.Result, rows int64) error {
		if err := first(old, cur, rows); err != nil {
			return err
		}
		return then(old, cur, rows)
	}
}

// data is the page's data for the finished run.
func (b *pageBuilder) data(sum pipeline.Summary, resolvers []string, exit int, cached bool, finished time.Time) *report.Data {
	d := &report.Data{
		Version: version, Finished: finished, Inputs: sum.Inputs, Resolvers: resolvers, ExitStatus: exit,
		Rows: sum.Rows, InvalidRows: sum.InvalidRows, Domains: sum.Domains, ElapsedSeconds: sum.ElapsedSeconds,
		Queries: sum.Queries, Retries: sum.Retries, CacheHits: sum.CacheHits,
		RowsByAction:    make(map[triage.Action]int64),
		RowsByStatus:    make(map[verify.Status]int64),
		DomainsByStatus: make(map[verify.Status]int64),
		SuggestionRows:  sum.Suggestions,
		RoleRows:        sum.RoleRows, FreeRows: sum.FreeRows, DisposableRows: sum.DisposableRows, DuplicateRows: sum.Duplicates,
		Cached: cached,
	}
	for _, a := range report.Actions {
		d.RowsByAction[a] = sum.RowsByAction[a]
	}
	for _, st := range verify.Statuses {
		d.RowsByStatus[st] = sum.AddressesByStatus[st]
		d.DomainsByStatus[st] = sum.DomainsByStatus[st]
	}
	b.col.Fill(d)
	return d
}

// recordRun adds the run to the cache's history and stores its page, so
// that 'mxverify report' can write it again; d.Trend gets the runs before
// it. A stored run this version cannot read is left out of the trend.
func recordRun(store *cache.Cache, d *report.Data) error {
	raw, err := store.Runs(report.TrendRuns - 1)
	if err != nil {
		return err
	}
	d.Trend = d.Trend[:0]
	for _, r := range raw {
		var run report.Run
		if json.Unmarshal(r, &run) == nil {
			d.Trend = append(d.Trend, run)
		}
	}
	d.Trend = append(d.Trend, d.Run())
	run, err := json.Marshal(d.Run())
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	page, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return store.AddRun(run, page)
}

// writePage writes d's page to f; the caller commits or aborts f.
func writePage(f *fileio.File, d *report.Data) error {
	if err := report.Write(f, d); err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return nil
}

// finishPage builds the run's page data, records the run in the cache
// (when there is one) and writes the page to out (when --report asked).
func finishPage(b *pageBuilder, o options, sum pipeline.Summary, resolvers []string, store *cache.Cache, out *fileio.File) error {
	exit := exitOK
	if tooManyTempErrors(sum, o) {
		exit = exitTempErrors
	}
	d := b.data(sum, resolvers, exit, store != nil, time.Now())
	if store != nil {
		if err := recordRun(store, d); err != nil {
			return err
		}
	}
	if out == nil {
		return nil
	}
	return writePage(out, d)
}
