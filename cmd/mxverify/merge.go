package main

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/verify"
)

// mergeOptions are the flags of merge.
type mergeOptions struct {
	summaries []string // the shards' --summary files
	out       string
	domains   string
	changes   string
	summary   string
	metrics   string
	logFormat string
	// maxTempErrors bounds the whole run's temp_error share; below 0, the
	// shards' --max-temp-errors.
	maxTempErrors float64
}

func newMergeFlags(o *mergeOptions) *flag.FlagSet {
	fs := flag.NewFlagSet("mxverify merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.out, "o", "-", "per-address results `FILE`, as one unsharded run writes them (- for CSV on stdout)")
	fs.StringVar(&o.out, "out", "-", "same as -o")
	fs.StringVar(&o.domains, "domains", "", "per-domain results `FILE` (the shards must have written theirs)")
	fs.StringVar(&o.changes, "changes", "", "the changes report `FILE` (the shards must have written theirs)")
	fs.StringVar(&o.summary, "summary", "", "write the whole run's summary as JSON to `FILE`")
	fs.StringVar(&o.metrics, "metrics", "", "write the whole run's Prometheus text metrics to `FILE`")
	fs.StringVar(&o.logFormat, "log-format", "text", "stderr log format: text or json")
	fs.Float64Var(&o.maxTempErrors, "max-temp-errors", -1, "fraction `F` of domains that may end temp_error before merge exits 2 (default the shards' --max-temp-errors; shards run by an engine that retries a failed exit can take 1 and leave the bound to the merge)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: mxverify merge SUMMARY... [flags]

SUMMARY is the --summary file of one shard of a sharded run (mxverify run
--shard I/N, or a batch engine's array index); give every shard's, in any
order. Each names its shard's outputs; merge joins them into what one
unsharded run would have written.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nExit status: 0 done; 1 usage or input error (a shard missing, twice, or of another run); 2 done, but more domains than the shards' --max-temp-errors ended temp_error.\n")
	}
	return fs
}

func mergeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o mergeOptions
	fs := newMergeFlags(&o)
	err := parseMergeArgs(fs, &o, args)
	log := newLogger(logFormatOf(args), stderr)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	if err != nil {
		log.Error(err.Error() + "; run 'mxverify merge --help' for usage")
		return exitError
	}
	sum, err := merge(ctx, o, stdout)
	if err == nil {
		err = context.Cause(ctx)
	}
	code := exitCode(err)
	if err == nil && sum.ExitStatus == exitTempErrors {
		code = exitTempErrors
		log.Warn(fmt.Sprintf("%v: %.1f%%, above the shards' --max-temp-errors; the results are written", errTempErrors, 100*sum.TempErrorShare()))
	}
	if err != nil {
		log.Error(err.Error())
	}
	if code == exitOK || code == exitTempErrors {
		sum.ExitStatus = code
		ro := options{summary: o.summary, logFormat: o.logFormat}
		if err := writeSummary(ro, sum, log, stderr); err != nil {
			log.Error(err.Error())
			code = exitError
		}
	}
	if o.metrics != "" && (code == exitOK || code == exitTempErrors) {
		if err := writeMetrics(o.metrics, sum, nil, code, time.Now()); err != nil {
			log.Error(err.Error())
			code = exitError
		}
	}
	return code
}

// parseMergeArgs takes flags before, between and after the summaries.
func parseMergeArgs(fs *flag.FlagSet, o *mergeOptions, args []string) error {
	var err error
	if o.summaries, err = parseArgs(fs, args); err != nil {
		return err
	}
	switch {
	case len(o.summaries) == 0:
		return errors.New("no SUMMARY given")
	case o.maxTempErrors > 1:
		return errors.New("--max-temp-errors must be between 0 and 1")
	case o.logFormat != "text" && o.logFormat != "json":
		return errors.New("--log-format must be text or json")
	case o.out == fileio.Stdio && (o.domains == fileio.Stdio || o.changes == fileio.Stdio):
		return errors.New("only one output can be standard output")
	}
	for _, p := range []string{o.out, o.domains, o.changes} {
		if p != "" {
			if err := tableio.CheckOutput(p); err != nil {
				return err
			}
		}
	}
	return nil
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
// slowest shard; the exit status follows --max-temp-errors on the whole.
func mergeSummaries(parts []*shardPart, maxTempErrors float64) pipeline.Summary {
	if maxTempErrors < 0 {
		maxTempErrors = parts[0].sum.Shard.MaxTempErrors
	}
	s := parts[0].sum.Zero()
	s.Shard = nil
	for _, p := range parts {
		s.Add(p.sum)
	}
	s.ExitStatus = exitOK
	if s.TempErrorShare() > maxTempErrors {
		s.ExitStatus = exitTempErrors
	}
	return s
}

// merge writes the whole run's outputs from its shards'.
func merge(ctx context.Context, o mergeOptions, stdout io.Writer) (pipeline.Summary, error) {
	parts, err := readParts(o.summaries)
	if err != nil {
		return pipeline.Summary{}, err
	}
	sum := mergeSummaries(parts, o.maxTempErrors)
	m := &merger{parts: parts}
	defer m.abort()
	if err := m.openRows(o.out, stdout); err != nil {
		return sum, err
	}
	if o.domains != "" {
		if err := m.openDomains(o.domains, stdout); err != nil {
			return sum, err
		}
	}
	if o.changes != "" {
		if err := m.openChanges(o.changes, stdout); err != nil {
			return sum, err
		}
	}
	if err := m.run(ctx); err != nil {
		return sum, err
	}
	if m.rows != sum.Rows {
		return sum, fmt.Errorf("the shards' per-address files hold %d rows, their summaries count %d: are they of this run?", m.rows, sum.Rows)
	}
	if o.domains != "" && m.domains.written != sum.Domains {
		return sum, fmt.Errorf("the shards' per-domain files hold %d domains, their summaries count %d: are they of this run?", m.domains.written, sum.Domains)
	}
	for _, out := range m.outputs {
		if err := out.Commit(); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// output is a file that appears at its path only on Commit.
type output interface {
	Commit() error
	Abort() error
}

// merger joins the shards' files. The per-address rows come back in input
// order by a k-way merge on mx_row. The per-domain records (and the
// changes) of each shard are in that shard's first-seen order; each goes
// out when the merged rows reach the row that introduced its domain in
// the unsharded run, which puts them in its first-seen order.
type merger struct {
	parts   []*shardPart
	outputs []output
	closers []io.Closer

	cols    []string // the per-address columns, mx_row included
	colRow  int      // mx_row's index
	colDom  int      // mx_domain's
	colStat int      // mx_status's
	out     *tableio.Output
	rows    int64
	heads   cursorHeap

	domains side // per-domain records
	changes side // changes rows
}

func (m *merger) abort() {
	for _, c := range m.closers {
		c.Close()
	}
	for _, out := range m.outputs {
		out.Abort()
	}
}

// open opens a shard's file as rows; a CSV or TSV one has a header row.
// A JSONL file of no rows is empty, without even the columns.
func (m *merger) open(path string) (rowio.Reader, *tableio.Source, error) {
	src, err := tableio.OpenSource(path, nil)
	if err != nil {
		return nil, nil, err
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 && src.Format() == fileio.JSONL {
		src.Close()
		return noRows{}, nil, nil
	}
	m.closers = append(m.closers, src)
	src.SetHeader(csvio.HeaderPresent)
	r, err := src.Open()
	if err != nil {
		return nil, nil, err
	}
	m.closers = append(m.closers, r)
	return r, src, nil
}

func (m *merger) openRows(path string, stdout io.Writer) error {
	var schema *parquetio.Schema
	for i, p := range m.parts {
		f, err := p.file("-o")
		if err != nil {
			return err
		}
		r, src, err := m.open(f)
		if err != nil {
			return err
		}
		cols := r.Columns()
		switch {
		case cols == nil: // no rows
			continue
		case m.cols == nil:
			// A Parquet shard file keeps the input's column types; the
			// merged file gets them too, as the unsharded run's would.
			if schema = src.ParquetSchema(); schema != nil {
				if schema, err = schema.Without(pipeline.ColRow); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
			}
			m.cols = cols
			m.colRow = slices.Index(cols, pipeline.ColRow)
			m.colDom = slices.Index(cols, pipeline.ColDomain)
			m.colStat = slices.Index(cols, pipeline.ColStatus)
			if m.colRow < 0 || m.colDom < 0 || m.colStat < 0 {
				return fmt.Errorf("%s: no %s, %s or %s column: not the per-address output of a shard", f, pipeline.ColRow, pipeline.ColDomain, pipeline.ColStatus)
			}
		case !slices.Equal(cols, m.cols):
			return fmt.Errorf("%s: columns %q differ from %q", f, cols, m.cols)
		}
		c := &cursor{shard: i, name: f, r: r}
		if err := m.next(c); err != nil {
			return err
		}
		if c.row != nil {
			m.heads = append(m.heads, c)
		}
	}
	heap.Init(&m.heads)
	var cols []string
	if m.cols != nil {
		cols = slices.Delete(slices.Clone(m.cols), m.colRow, m.colRow+1)
	}
	out, err := tableio.CreateRows(path, stdout, cols, schema)
	if err != nil {
		return err
	}
	m.outputs = append(m.outputs, out)
	m.out = out
	return nil
}

func (m *merger) openDomains(path string, stdout io.Writer) error {
	if err := m.openSide(&m.domains, "--domains", "domain", "status"); err != nil {
		return err
	}
	format, _, err := fileio.FormatOf(path)
	if err != nil {
		return err
	}
	// The records are copied, not decoded into results: each format's
	// writer is canonical, so the copy is what the run wrote.
	if format != m.domains.format {
		return fmt.Errorf("--domains %s: write the format of the shards' per-domain files (%s)", path, m.domains.format)
	}
	if format == fileio.JSONL {
		f, err := fileio.CreateStd(path, stdout)
		if err != nil {
			return err
		}
		m.outputs = append(m.outputs, f)
		m.domains.write = func(rec any) error {
			_, err := f.Write(rec.([]byte))
			return err
		}
		return nil
	}
	out, err := tableio.CreateRows(path, stdout, m.domains.cols, m.domains.schema)
	if err != nil {
		return err
	}
	m.outputs = append(m.outputs, out)
	m.domains.write = func(rec any) error { return out.Write(rec.(rowio.Row)) }
	return nil
}

func (m *merger) openChanges(path string, stdout io.Writer) error {
	if err := m.openSide(&m.changes, "--changes", "domain", "new_status"); err != nil {
		return err
	}
	out, err := tableio.CreateRows(path, stdout, changeColumns, nil)
	if err != nil {
		return err
	}
	m.outputs = append(m.outputs, out)
	m.changes.write = func(rec any) error {
		row, ok := rec.(rowio.Row)
		if !ok {
			var v map[string]any
			d := json.NewDecoder(bytes.NewReader(rec.([]byte)))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				return err
			}
			for _, c := range changeColumns {
				row = append(row, v[c])
			}
		}
		return out.Write(row)
	}
	return nil
}

// openSide opens each shard's file of flag and reads its first record.
func (m *merger) openSide(s *side, flag, domainCol, statusCol string) error {
	s.readers = make([]sideReader, len(m.parts))
	s.heads = make([]sideHead, len(m.parts))
	for i, p := range m.parts {
		f, err := p.file(flag)
		if err != nil {
			return err
		}
		format, _, err := fileio.FormatOf(f)
		if err != nil {
			return err
		}
		if i == 0 {
			s.format = format
		} else if format != s.format {
			return fmt.Errorf("%s: %s, but shard 0's %s file is %s", f, format, flag, s.format)
		}
		var sr sideReader
		if format == fileio.JSONL {
			in, err := fileio.Open(f)
			if err != nil {
				return err
			}
			m.closers = append(m.closers, in)
			sr = &lineSide{name: f, br: bufio.NewReader(in), domain: domainCol, status: statusCol}
		} else {
			r, src, err := m.open(f)
			if err != nil {
				return err
			}
			cols := r.Columns()
			d, st := slices.Index(cols, domainCol), slices.Index(cols, statusCol)
			if d < 0 || st < 0 {
				return fmt.Errorf("%s: no %s or %s column: not a shard's %s file", f, domainCol, statusCol, flag)
			}
			if i == 0 {
				s.cols, s.schema = cols, src.ParquetSchema()
			} else if !slices.Equal(cols, s.cols) {
				return fmt.Errorf("%s: columns %q differ from %q", f, cols, s.cols)
			}
			sr = &rowSide{r: r, domain: d, status: st}
		}
		s.readers[i] = sr
		s.heads[i].file = f
		if err := s.advance(i); err != nil {
			return err
		}
	}
	return nil
}

// run merges the rows, and the side records as their domains come.
func (m *merger) run(ctx context.Context) error {
	var last rowKey
	for len(m.heads) > 0 {
		c := m.heads[0]
		if m.rows > 0 && !last.less(c.key) {
			return fmt.Errorf("%s: row %s comes twice, or out of order (last %s): are the shards of one run?", c.name, c.key, last)
		}
		last = c.key
		domain, status := rowio.Text(c.row[m.colDom]), rowio.Text(c.row[m.colStat])
		row := slices.Delete(c.row, m.colRow, m.colRow+1)
		if err := m.out.Write(row); err != nil {
			return err
		}
		m.rows++
		if m.rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		for _, s := range []*side{&m.domains, &m.changes} {
			if err := s.introduce(c.shard, domain, status); err != nil {
				return err
			}
		}
		if err := m.next(c); err != nil {
			return err
		}
		if c.row == nil {
			heap.Pop(&m.heads)
		} else {
			heap.Fix(&m.heads, 0)
		}
	}
	for _, s := range []*side{&m.domains, &m.changes} {
		for _, h := range s.heads {
			if h.rec != nil {
				return fmt.Errorf("%s: domain %q is in no row of its shard's per-address file: are they of one run?", h.file, h.domain)
			}
		}
	}
	return nil
}

// next reads a cursor's next row; row is nil at the end.
func (m *merger) next(c *cursor) error {
	row, err := c.r.Read()
	if err == io.EOF {
		c.row = nil
		return nil
	}
	if err != nil {
		return err
	}
	if len(row) != len(m.cols) {
		return fmt.Errorf("%s: a row of %d values for %d columns", c.name, len(row), len(m.cols))
	}
	key, err := parseRowKey(rowio.Text(row[m.colRow]))
	if err != nil {
		return fmt.Errorf("%s: %s %q: %w", c.name, pipeline.ColRow, rowio.Text(row[m.colRow]), err)
	}
	c.row, c.key = row, key
	return nil
}

// rowKey is an mx_row value: input file index, then data row from 1.
type rowKey struct{ file, row int64 }

func parseRowKey(s string) (rowKey, error) {
	f, r, ok := strings.Cut(s, ":")
	file, err1 := strconv.ParseInt(f, 10, 64)
	row, err2 := strconv.ParseInt(r, 10, 64)
	if !ok || err1 != nil || err2 != nil || file < 0 || row < 1 {
		return rowKey{}, errors.New("want FILE:ROW, such as 0:17")
	}
	return rowKey{file, row}, nil
}

func (k rowKey) less(o rowKey) bool {
	return k.file < o.file || k.file == o.file && k.row < o.row
}

func (k rowKey) String() string { return fmt.Sprintf("%d:%d", k.file, k.row) }

// cursor is one shard's per-address file, at its current row.
type cursor struct {
	shard int
	name  string
	r     rowio.Reader
	row   rowio.Row
	key   rowKey
}

// cursorHeap orders the shards' current rows by mx_row (container/heap).
type cursorHeap []*cursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].key.less(h[j].key) }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// side is a per-shard stream in first-seen order of domains: the
// per-domain records or the changes.
type side struct {
	readers []sideReader // by shard; nil when not merged
	heads   []sideHead   // each shard's next record
	write   func(rec any) error
	written int64

	format fileio.Format     // of the shards' files
	cols   []string          // their columns (not for JSONL)
	schema *parquetio.Schema // and Parquet schema
}

// sideHead is a shard's next record, with its domain and status.
type sideHead struct {
	file           string
	rec            any // nil after the last
	domain, status string
}

// sideReader reads a side's records: rows, or JSONL lines kept as they are.
type sideReader interface {
	next() (rec any, domain, status string, err error) // io.EOF after the last
}

type rowSide struct {
	r              rowio.Reader
	domain, status int
}

func (s *rowSide) next() (any, string, string, error) {
	row, err := s.r.Read()
	if err != nil {
		return nil, "", "", err
	}
	row = slices.Clone(row)
	return row, rowio.Text(valueAt(row, s.domain)), rowio.Text(valueAt(row, s.status)), nil
}

type lineSide struct {
	name           string
	br             *bufio.Reader
	line           int
	domain, status string
}

func (s *lineSide) next() (any, string, string, error) {
	b, err := s.br.ReadBytes('\n')
	if err == io.EOF && len(b) > 0 {
		return nil, "", "", fmt.Errorf("%s:%d: the last line has no end: a cut file?", s.name, s.line+1)
	}
	if err != nil {
		return nil, "", "", err
	}
	s.line++
	var v map[string]json.RawMessage
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, "", "", fmt.Errorf("%s:%d: %w", s.name, s.line, err)
	}
	var d, st string
	json.Unmarshal(v[s.domain], &d)
	json.Unmarshal(v[s.status], &st)
	return b, d, st, nil
}

func valueAt(row rowio.Row, i int) any {
	if i < len(row) {
		return row[i]
	}
	return nil
}

func (s *side) advance(shard int) error {
	h := &s.heads[shard]
	rec, d, st, err := s.readers[shard].next()
	if err == io.EOF {
		h.rec = nil
		return nil
	}
	if err != nil {
		return err
	}
	h.rec, h.domain, h.status = rec, d, st
	return nil
}

// introduce hears a merged row of shard, with its domain and status. The
// unsharded run took a domain in at the first row that named it, unless
// the row's own address was invalid at a valid domain (its status is then
// invalid while the domain's is not): this is that row, if it names the
// shard's next record's domain under that rule.
func (s *side) introduce(shard int, domain, status string) error {
	if s.readers == nil {
		return nil
	}
	h := &s.heads[shard]
	if h.rec == nil || domain != h.domain {
		return nil
	}
	if status == string(verify.Invalid) && h.status != string(verify.Invalid) {
		return nil
	}
	if err := s.write(h.rec); err != nil {
		return err
	}
	s.written++
	return s.advance(shard)
}

// noRows reads an empty JSONL file.
type noRows struct{}

func (noRows) Columns() []string        { return nil }
func (noRows) Read() (rowio.Row, error) { return nil, io.EOF }
func (noRows) Close() error             { return nil }
