package merge

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mxverify/mxverify/io/csvio"
	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/pipeline"
)

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

// noRows reads an empty JSONL file.
type noRows struct{}

func (noRows) Columns() []string        { return nil }
func (noRows) Read() (rowio.Row, error) { return nil, io.EOF }
func (noRows) Close() error             { return nil }
