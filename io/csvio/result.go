package csvio

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mxverify/mxverify/verify"
)

// ResultColumns is the header of the per-domain CSV output.
var ResultColumns = []string{"domain", "domain_unicode", "status", "reason", "rows",
	"primary_mx", "backup_mx", "mx_addresses", "implicit_mx", "ttl", "checked_at", "resolver"}

// ResultWriter writes one verify.Result per row, its exchanges in columns a
// person reads (see MXColumns), so that the file stays one row per domain
// and opens in a spreadsheet.
type ResultWriter struct {
	t   *table
	rec []string
}

// NewResultWriter writes the header row. comma is ',' for CSV and '\t' for
// TSV.
func NewResultWriter(w io.Writer, comma rune) (*ResultWriter, error) {
	return NewResultWriterBOM(w, comma, false)
}

// NewResultWriterBOM is NewResultWriter that, with bom set, starts the
// output with a UTF-8 byte order mark, as NewWriterBOM does.
func NewResultWriterBOM(w io.Writer, comma rune, bom bool) (*ResultWriter, error) {
	t, err := newTable(w, comma)
	if err != nil {
		return nil, err
	}
	if bom {
		t.bw.Write(bomBytes)
	}
	if err := t.write(ResultColumns); err != nil {
		return nil, fmt.Errorf("csv: write header: %w", err)
	}
	return &ResultWriter{t: t, rec: make([]string, 0, len(ResultColumns))}, nil
}

// WriteResult writes one result and the number of rows naming its
// domain. checked_at is RFC 3339 in UTC, empty when unset.
func (w *ResultWriter) WriteResult(res verify.Result, rows int64) error {
	w.rec = AppendResult(w.rec[:0], res, rows)
	if err := w.t.write(w.rec); err != nil {
		return fmt.Errorf("csv: write result for %s: %w", res.Domain, err)
	}
	return nil
}

// AppendResult appends the cells of res, in ResultColumns, to rec, as the
// CSV writer writes them: for other writers of the same columns (xlsx).
func AppendResult(rec []string, res verify.Result, rows int64) []string {
	checked := ""
	if !res.CheckedAt.IsZero() {
		checked = res.CheckedAt.UTC().Format(time.RFC3339)
	}
	primary, backup, addrs := MXColumns(res.MX)
	return append(rec, res.Domain, verify.Unicode(res.Domain), string(res.Status), res.Reason,
		strconv.FormatInt(rows, 10), primary, backup, addrs,
		strconv.FormatBool(res.ImplicitMX), strconv.FormatUint(uint64(res.TTL), 10), checked, res.Resolver)
}

// Close flushes buffered rows. It does not close the underlying writer.
func (w *ResultWriter) Close() error {
	if err := w.t.flush(); err != nil {
		return fmt.Errorf("csv: flush: %w", err)
	}
	return nil
}

// MXColumns renders a domain's exchanges as three cells: the primary hosts
// (those at the lowest preference, RFC 5321 §5.1) joined by "; ", the
// backups as "pref host" joined by "; ", and every host's addresses as
// "host addr addr" joined by "; ". An alias is shown as "host (alias of
// name)"; the root of a null MX as ".".
func MXColumns(mx []verify.Exchange) (primary, backup, addresses string) {
	var p, b, a strings.Builder
	add := func(sb *strings.Builder, s string) {
		if sb.Len() > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(s)
	}
	for _, x := range mx {
		host := x.Host
		if host == "" {
			host = "."
		}
		name := host
		if x.CNAME != "" {
			name += " (alias of " + x.CNAME + ")"
		}
		if x.Role == verify.RoleBackup {
			add(&b, strconv.Itoa(int(x.Preference))+" "+name)
		} else {
			add(&p, name)
		}
		if len(x.Addresses) > 0 {
			var s strings.Builder
			s.WriteString(host)
			for _, ip := range x.Addresses {
				s.WriteByte(' ')
				s.WriteString(ip.String())
			}
			add(&a, s.String())
		}
	}
	return p.String(), b.String(), a.String()
}
