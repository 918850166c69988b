package merge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/verify"
)

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

func (m *merger) openChanges(path string, changeColumns []string, stdout io.Writer) error {
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
