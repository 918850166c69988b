// Package merge joins the outputs of a sharded run's shards (mxverify run
// --shard I/N) into what the unsharded run would have written: the
// per-address rows in input order, the per-domain records and the changes
// in first-seen order, and the summary with the shards' counts summed.
//
// It is a package apart from shard, which splits the run, because it reads
// the pipeline's summaries while the pipeline reads shard.Spec.
package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mxverify/mxverify/pipeline"
)

// Config says which shards to merge and where the whole run's files go.
type Config struct {
	// Summaries are the --summary files of every shard of one run, in any
	// order; each names its shard's outputs.
	Summaries []string
	// Out is the per-address file; Domains and Changes, when set, the
	// per-domain file and the changes report. "-" is Stdout.
	Out, Domains, Changes string
	Stdout                io.Writer
	// ChangeColumns are the changes report's columns, in order: the
	// command that writes the report owns them.
	ChangeColumns []string
	// MaxTempErrors bounds the whole run's temp_error share; below 0, the
	// shards' own --max-temp-errors.
	MaxTempErrors float64
}

// Result is what a merge tells its caller: the whole run's summary, and
// whether its temp_error share is above the bound in force (MaxTempErrors,
// else the shards' own), which a single run would have ended on.
type Result struct {
	pipeline.Summary
	OverBound bool
}

// Run writes the whole run's outputs from its shards'. Nothing appears at
// an output's path unless every one is complete.
func Run(ctx context.Context, cfg Config) (Result, error) {
	parts, err := readParts(cfg.Summaries)
	if err != nil {
		return Result{}, err
	}
	sum := mergeSummaries(parts, cfg.MaxTempErrors)
	m := &merger{parts: parts}
	defer m.abort()
	if err := m.openRows(cfg.Out, cfg.Stdout); err != nil {
		return sum, err
	}
	if cfg.Domains != "" {
		if err := m.openDomains(cfg.Domains, cfg.Stdout); err != nil {
			return sum, err
		}
	}
	if cfg.Changes != "" {
		if err := m.openChanges(cfg.Changes, cfg.ChangeColumns, cfg.Stdout); err != nil {
			return sum, err
		}
	}
	if err := m.run(ctx); err != nil {
		return sum, err
	}
	if m.rows != sum.Rows {
		return sum, fmt.Errorf("the shards' per-address files hold %d rows, their summaries count %d: are they of this run?", m.rows, sum.Rows)
	}
	if cfg.Domains != "" && m.domains.written != sum.Domains {
		return sum, fmt.Errorf("the shards' per-domain files hold %d domains, their summaries count %d: are they of this run?", m.domains.written, sum.Domains)
	}
	for _, out := range m.outputs {
		if err := out.Commit(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// shardPart is one shard's summary and the files it names.
type shardPart struct {
	path string // of the summary
	sum  pipeline.Summary
}

// file finds the shard's output of flag: at the absolute path the shard
// recorded, else beside the summary (for outputs copied elsewhere
// together).
func (p *shardPart) file(flag string) (string, error) {
	f := p.sum.Shard.Outputs[flag]
	if f == "" {
		return "", fmt.Errorf("%s: shard %d wrote no %s file (to standard output, or not asked for): merge needs it", p.path, p.sum.Shard.Index, flag)
	}
	if _, err := os.Stat(f); err == nil {
		return f, nil
	}
	near := filepath.Join(filepath.Dir(p.path), filepath.Base(f))
	if _, err := os.Stat(near); err == nil {
		return near, nil
	}
	return "", fmt.Errorf("%s: shard %d's %s file %s is missing", p.path, p.sum.Shard.Index, flag, f)
}

// readParts reads the summaries and checks that they are every shard of
// one run, once; it returns them by shard index.
func readParts(paths []string) ([]*shardPart, error) {
	if len(paths) == 0 {
		return nil, errors.New("no summary to merge")
	}
	var parts []*shardPart
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		p := &shardPart{path: path}
		if err := json.Unmarshal(b, &p.sum); err != nil {
			return nil, fmt.Errorf("%s: not a summary: %w", path, err)
		}
		if p.sum.Shard == nil {
			return nil, fmt.Errorf("%s: the summary of an unsharded run (no shard): nothing to merge", path)
		}
		parts = append(parts, p)
	}
	first := parts[0]
	for _, p := range parts[1:] {
		a, b := first.sum.Shard, p.sum.Shard
		switch {
		case a.Count != b.Count:
			return nil, fmt.Errorf("mixed shard counts: %s is shard %d/%d, %s is shard %d/%d", first.path, a.Index, a.Count, p.path, b.Index, b.Count)
		case a.Run != b.Run:
			return nil, fmt.Errorf("mixed runs: %s is of run %s, %s of run %s (other inputs, options or MXVERIFY_RUN_ID)", first.path, a.Run, p.path, b.Run)
		}
	}
	n := first.sum.Shard.Count
	if n < 1 {
		return nil, fmt.Errorf("%s: shard %d of %d is out of range", first.path, first.sum.Shard.Index, n)
	}
	byIndex := make([]*shardPart, n)
	for _, p := range parts {
		i := p.sum.Shard.Index
		if i < 0 || i >= n {
			return nil, fmt.Errorf("%s: shard %d of %d is out of range", p.path, i, n)
		}
		if q := byIndex[i]; q != nil {
			return nil, fmt.Errorf("shard %d/%d given twice: %s and %s", i, n, q.path, p.path)
		}
		byIndex[i] = p
	}
	var missing []string
	for i, p := range byIndex {
		if p == nil {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("shard %s of %d (0 to %d) missing: got %d summaries", strings.Join(missing, ", "), n, n-1, len(parts))
	}
	return byIndex, nil
}

// mergeSummaries adds the shards' counts up. The run took as long as its
// slowest shard; the bound applies to the whole.
func mergeSummaries(parts []*shardPart, maxTempErrors float64) Result {
	if maxTempErrors < 0 {
		maxTempErrors = parts[0].sum.Shard.MaxTempErrors
	}
	s := parts[0].sum.Zero()
	s.Shard = nil
	for _, p := range parts {
		s.Add(p.sum)
	}
	return Result{Summary: s, OverBound: s.TempErrorShare() > maxTempErrors}
}

// output is a file that appears at its path only on Commit.
type output interface {
	Commit() error
	Abort() error
}
