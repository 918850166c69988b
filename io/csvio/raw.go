package csvio

import (
	"bytes"
	"fmt"

	"github.com/mxverify/mxverify/io/rowio"
)

// The fast paths of a CSV-to-CSV run: the first pass reads the address
// column alone, and the join copies each row's line as it was read, with
// the added values after it, instead of splitting it into values and
// quoting them again. rowio.ReadValue and rowio.Copier use them through
// rowio's FieldReader, RawReader and RawWriter.

var (
	_ rowio.FieldReader = (*Reader)(nil)
	_ rowio.RawReader   = (*Reader)(nil)
	_ rowio.RawWriter   = (*Writer)(nil)
)

// ReadField returns value i of the next row, and skips the others: a pass
// that needs one column need not make strings of the rest.
func (r *Reader) ReadField(i int) (string, error) {
	if i < 0 || i >= len(r.cols) {
		return "", fmt.Errorf("csv: no column %d of %d", i, len(r.cols))
	}
	if row := r.takeFirst(); row != nil {
		return row[i].(string), nil
	}
	line, err := r.next()
	if err != nil {
		return "", err
	}
	if line == nil {
		row, err := r.record()
		if err != nil {
			return "", err
		}
		return row[i].(string), nil
	}
	return r.RawField(line, i), nil
}

// RawField returns value i of a plain line, as ReadRaw returns them: its
// fields are not quoted, so they end at the separator.
func (r *Reader) RawField(line []byte, i int) string {
	for range i {
		line = line[bytes.IndexByte(line, r.comma)+1:]
	}
	if end := bytes.IndexByte(line, r.comma); end >= 0 {
		line = line[:end]
	}
	return string(line)
}

// ReadRaw returns the next row's bytes when Writer.WriteRaw, given them
// with the same separator, writes exactly what Writer.Write would write for
// the row: a join that only adds columns then need not split the row and
// quote it again. raw is nil for any other row, and row holds it instead.
// raw is valid until the next call.
func (r *Reader) ReadRaw() (raw []byte, row rowio.Row, err error) {
	if row := r.takeFirst(); row != nil {
		return nil, row, nil
	}
	line, err := r.next()
	if err != nil {
		return nil, nil, err
	}
	switch {
	case line == nil:
		row, err := r.record()
		return nil, row, err
	case !r.verbatim(line):
		// The writer would quote a field of it (one that starts with a
		// space, say).
		return nil, r.split(line), nil
	}
	r.raw = append(r.raw[:0], line...)
	return r.raw, nil, nil
}

// verbatim reports whether the writer writes a plain line's fields as
// they are. Such fields hold no quote or line break, so only the rule for
// how a field starts can make the writer quote them.
func (r *Reader) verbatim(line []byte) bool {
	for {
		f := line
		i := bytes.IndexByte(line, r.comma)
		if i >= 0 {
			f = line[:i]
		}
		if quotedForItsStart(f) {
			return false
		}
		if i < 0 {
			return true
		}
		line = line[i+1:]
	}
}

// Encoding names the separator, so that a join copies raw rows only
// between a reader and a writer that agree on it.
func (r *Reader) Encoding() string { return encoding(r.sep) }

func encoding(comma rune) string { return "csv" + string(comma) }

// WriteRaw writes a row whose first values are raw, as Reader.ReadRaw
// returned them from a reader of the same Encoding, and whose last are
// extra.
func (w *Writer) WriteRaw(raw []byte, extra ...string) error {
	if n := bytes.Count(raw, []byte(string(w.t.comma))) + 1 + len(extra); n != w.n {
		return fmt.Errorf("csv: write: row has %d values for %d columns", n, w.n)
	}
	w.t.bw.Write(raw)
	for _, f := range extra {
		w.t.bw.WriteRune(w.t.comma)
		w.t.field(f, false)
	}
	if _, err := w.t.bw.WriteString("\r\n"); err != nil {
		return fmt.Errorf("csv: write: %w", err)
	}
	return nil
}

// Encoding names the separator; see Reader.Encoding.
func (w *Writer) Encoding() string { return encoding(w.t.comma) }
