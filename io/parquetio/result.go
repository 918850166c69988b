package parquetio

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mxverify/mxverify/verify"
)

// ResultRecord is the per-domain record of the Parquet output. It is
// exported so that programs, and tests, can read the output back with
// parquet.GenericReader[ResultRecord].
type ResultRecord struct {
	Domain     string           `parquet:"domain"`
	Status     string           `parquet:"status,dict"`
	Reason     string           `parquet:"reason"`
	MX         []ExchangeRecord `parquet:"mx,list"`
	ImplicitMX bool             `parquet:"implicit_mx"`
	TTL        int64            `parquet:"ttl"`
	// CheckedAt is nil for a result that was never checked, rather than a
	// misleading year-1 timestamp.
	CheckedAt *time.Time `parquet:"checked_at,optional,timestamp(millisecond:utc)"`
	Resolver  string     `parquet:"resolver,dict"`
}

// ExchangeRecord is one MX target in a ResultRecord. Preference is int32
// because Parquet has no unsigned 16-bit physical type.
type ExchangeRecord struct {
	Preference int32    `parquet:"preference"`
	Host       string   `parquet:"host"`
	Role       string   `parquet:"role,dict"`
	Addresses  []string `parquet:"addresses,list"`
	CNAME      string   `parquet:"cname"`
}

// resultRecordOf converts a verdict to its Parquet form.
func resultRecordOf(r verify.Result) ResultRecord {
	rec := ResultRecord{
		Domain:     r.Domain,
		Status:     string(r.Status),
		Reason:     r.Reason,
		ImplicitMX: r.ImplicitMX,
		TTL:        int64(r.TTL),
		Resolver:   r.Resolver,
	}
	if !r.CheckedAt.IsZero() {
		t := r.CheckedAt.UTC()
		rec.CheckedAt = &t
	}
	if len(r.MX) > 0 {
		rec.MX = make([]ExchangeRecord, len(r.MX))
		for i, mx := range r.MX {
			addrs := make([]string, len(mx.Addresses))
			for j, a := range mx.Addresses {
				addrs[j] = a.String()
			}
			rec.MX[i] = ExchangeRecord{
				Preference: int32(mx.Preference),
				Host:       mx.Host,
				Role:       mx.Role,
				Addresses:  addrs,
				CNAME:      mx.CNAME,
			}
		}
	}
	return rec
}

// ResultWriter writes one ResultRecord per domain, flushing a row group every
// rowGroupRows results to keep memory bounded.
type ResultWriter struct {
	pw    *parquet.GenericWriter[ResultRecord]
	buf   [1]ResultRecord
	group int
	err   error // sticky: the first failure, or errWriterClosed
}

// NewResultWriter writes per-domain results to w.
func NewResultWriter(w io.Writer) (rw *ResultWriter, err error) {
	defer catch(&err, "parquet-go failed")
	cfg, err := parquet.NewWriterConfig(parquet.Compression(&parquet.Zstd))
	if err != nil {
		return nil, fmt.Errorf("configure Parquet writer: %w", err)
	}
	return &ResultWriter{pw: parquet.NewGenericWriter[ResultRecord](w, cfg)}, nil
}

// WriteResult adds the record of one domain.
func (w *ResultWriter) WriteResult(r verify.Result) error {
	if w.err != nil {
		return w.err
	}
	w.buf[0] = resultRecordOf(r)
	if _, err := w.pw.Write(w.buf[:]); err != nil {
		w.err = fmt.Errorf("write Parquet result for %q: %w", r.Domain, err)
		return w.err
	}
	w.buf[0] = ResultRecord{}
	if w.group++; w.group >= rowGroupRows {
		w.group = 0
		if err := w.pw.Flush(); err != nil {
			w.err = fmt.Errorf("write Parquet row group: %w", err)
			return w.err
		}
	}
	return nil
}

// Close writes the buffered records and the footer. It does not close the
// io.Writer given to NewResultWriter; calling Close again does nothing.
func (w *ResultWriter) Close() error {
	if errors.Is(w.err, errWriterClosed) {
		return nil
	}
	if w.err != nil {
		return w.err
	}
	if err := w.pw.Close(); err != nil {
		w.err = fmt.Errorf("write Parquet footer: %w", err)
		return w.err
	}
	w.err = errWriterClosed
	return nil
}
