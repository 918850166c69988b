package csvio

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mxverify/mxverify/verify"
)

// ResultColumns is the header of the per-domain CSV output.
var ResultColumns = []string{"domain", "status", "reason", "mx", "implicit_mx", "ttl", "checked_at", "resolver"}

// ResultWriter writes one verify.Result per row. A domain's exchanges go in
// one column (see FormatMX) so that the file stays one row per domain and
// opens in a spreadsheet.
type ResultWriter struct {
	t   *table
	rec []string
	mx  []byte // AppendMX's buffer
}

// NewResultWriter writes the header row. comma is ',' for CSV and '\t' for
// TSV.
func NewResultWriter(w io.Writer, comma rune) (*ResultWriter, error) {
	t, err := newTable(w, comma)
	if err != nil {
		return nil, err
	}
	if err := t.write(ResultColumns); err != nil {
		return nil, fmt.Errorf("csv: write header: %w", err)
	}
	return &ResultWriter{t: t, rec: make([]string, len(ResultColumns))}, nil
}

// WriteResult writes one result. checked_at is RFC 3339 in UTC, empty when
// unset.
func (w *ResultWriter) WriteResult(res verify.Result) error {
	checked := ""
	if !res.CheckedAt.IsZero() {
		checked = res.CheckedAt.UTC().Format(time.RFC3339)
	}
	w.rec[0] = res.Domain
	w.rec[1] = string(res.Status)
	w.rec[2] = res.Reason
	w.mx = AppendMX(w.mx[:0], res.MX)
	w.rec[3] = string(w.mx)
	w.rec[4] = strconv.FormatBool(res.ImplicitMX)
	w.rec[5] = strconv.FormatUint(uint64(res.TTL), 10)
	w.rec[6] = checked
	w.rec[7] = res.Resolver
	if err := w.t.write(w.rec); err != nil {
		return fmt.Errorf("csv: write result for %s: %w", res.Domain, err)
	}
	return nil
}

// Close flushes buffered rows. It does not close the underlying writer.
func (w *ResultWriter) Close() error {
	if err := w.t.flush(); err != nil {
		return fmt.Errorf("csv: flush: %w", err)
	}
	return nil
}

// FormatMX renders exchanges in one cell as "pref host[=addr|addr...][>cname]"
// joined by ";", e.g. "10 mx1.a.com=192.0.2.1|2001:db8::1;20 mx2.a.com>real.b.net".
// None of the separators can occur in a host name or an address, so the
// cell can be split back without quoting rules of its own. An empty host
// (the root, as in a null MX "0 .") is written "." so that it stays visible.
func FormatMX(mx []verify.Exchange) string {
	return string(AppendMX(nil, mx))
}

// AppendMX appends FormatMX's text to dst. The domains file has a cell of
// it per domain: built in a reused buffer, with the addresses appended in
// place, it is one allocation instead of one per address and per growth.
func AppendMX(dst []byte, mx []verify.Exchange) []byte {
	for i, x := range mx {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = strconv.AppendUint(dst, uint64(x.Preference), 10)
		dst = append(dst, ' ')
		if x.Host == "" {
			dst = append(dst, '.')
		} else {
			dst = append(dst, x.Host...)
		}
		for j, a := range x.Addresses {
			if j == 0 {
				dst = append(dst, '=')
			} else {
				dst = append(dst, '|')
			}
			dst = a.AppendTo(dst)
		}
		if x.CNAME != "" {
			dst = append(dst, '>')
			dst = append(dst, x.CNAME...)
		}
	}
	return dst
}
