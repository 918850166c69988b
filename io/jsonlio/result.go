package jsonlio

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"

	"github.com/mxverify/mxverify/verify"
)

// ResultWriter writes one verify.Result per line, in the JSON form that
// verify.Result defines, so that the file can be read back (by the cache,
// by jq) with the same field names.
type ResultWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewResultWriter returns a writer of per-domain records.
func NewResultWriter(w io.Writer) *ResultWriter {
	bw := bufio.NewWriterSize(w, writeBufSize)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // reasons are read by people, not browsers
	return &ResultWriter{bw: bw, enc: enc}
}

// WriteResult writes one result and the number of rows naming its
// domain. Missing lists come out as [] rather than null, so that consumers
// can iterate without a null check; checked_at is written in UTC like the
// CSV output.
func (w *ResultWriter) WriteResult(res verify.Result, rows int64) error {
	res.MX = normalizeMX(res.MX)
	res.CheckedAt = res.CheckedAt.UTC()
	rec := struct {
		verify.Result
		DomainUnicode string `json:"domain_unicode"`
		Rows          int64  `json:"rows"`
	}{res, verify.Unicode(res.Domain), rows}
	if err := w.enc.Encode(rec); err != nil { // Encode ends the line
		return fmt.Errorf("jsonl: write result for %s: %w", res.Domain, err)
	}
	return nil
}

// Close flushes buffered rows. It does not close the underlying writer.
func (w *ResultWriter) Close() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("jsonl: flush: %w", err)
	}
	return nil
}

// normalizeMX replaces nil lists by empty ones, copying rather than
// changing the caller's slice, which may be shared (for example with a
// cache).
func normalizeMX(mx []verify.Exchange) []verify.Exchange {
	if mx == nil {
		return []verify.Exchange{}
	}
	var out []verify.Exchange
	for i, x := range mx {
		if x.Addresses != nil {
			continue
		}
		if out == nil {
			out = append([]verify.Exchange(nil), mx...)
		}
		out[i].Addresses = []netip.Addr{}
	}
	if out == nil {
		return mx
	}
	return out
}
