package parquetio

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/xitongsys/parquet-go/parquet"

	"github.com/mxverify/mxverify/verify"
)

// ResultRecord is the per-domain record of the Parquet output, in Go. Its
// schema (TestResultSchema pins it) is
//
//	domain, status, reason: required strings
//	mx: a required list of ExchangeRecord structs
//	implicit_mx: required boolean
//	ttl: required int64
//	checked_at: optional timestamp, milliseconds, UTC
//	resolver: required string
type ResultRecord struct {
	Domain     string
	Status     string
	Reason     string
	MX         []ExchangeRecord
	ImplicitMX bool
	TTL        int64
	// CheckedAt is nil for a result that was never checked, rather than a
	// misleading year-1 timestamp.
	CheckedAt *time.Time
	Resolver  string
}

// ExchangeRecord is one MX target in a ResultRecord. Preference is int32
// because Parquet has no unsigned 16-bit physical type.
type ExchangeRecord struct {
	Preference int32
	Host       string
	Role       string
	Addresses  []string
	CNAME      string
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

// resultSchema is the per-domain schema, depth-first; the comments give the
// leaf index of each column.
func resultSchema() []*parquet.SchemaElement {
	req, opt, rep := parquet.FieldRepetitionType_REQUIRED, parquet.FieldRepetitionType_OPTIONAL, parquet.FieldRepetitionType_REPEATED
	group := func(name string, n int32, r parquet.FieldRepetitionType, lt *parquet.LogicalType) *parquet.SchemaElement {
		e := &parquet.SchemaElement{Name: name, NumChildren: &n, RepetitionType: &r, LogicalType: lt}
		if lt != nil {
			ct := parquet.ConvertedType_LIST
			e.ConvertedType = &ct
		}
		return e
	}
	list := &parquet.LogicalType{LIST: parquet.NewListType()}
	integer := func(name string, t parquet.Type, bits int8, ct parquet.ConvertedType) *parquet.SchemaElement {
		return &parquet.SchemaElement{Name: name, Type: &t, RepetitionType: &req, ConvertedType: &ct,
			LogicalType: &parquet.LogicalType{INTEGER: &parquet.IntType{BitWidth: bits, IsSigned: true}}}
	}
	boolean, int64t, tsct := parquet.Type_BOOLEAN, parquet.Type_INT64, parquet.ConvertedType_TIMESTAMP_MILLIS
	root := int32(8)
	return []*parquet.SchemaElement{
		{Name: "ResultRecord", NumChildren: &root},
		textElement("domain", req), // 0
		textElement("status", req), // 1
		textElement("reason", req), // 2
		group("mx", 1, req, list),
		group("list", 1, rep, nil),
		group("element", 5, req, nil),
		integer("preference", parquet.Type_INT32, 32, parquet.ConvertedType_INT_32), // 3
		textElement("host", req), // 4
		textElement("role", req), // 5
		group("addresses", 1, req, list),
		group("list", 1, rep, nil),
		textElement("element", req),                                          // 6
		textElement("cname", req),                                            // 7
		{Name: "implicit_mx", Type: &boolean, RepetitionType: &req},          // 8
		integer("ttl", parquet.Type_INT64, 64, parquet.ConvertedType_INT_64), // 9
		{Name: "checked_at", Type: &int64t, RepetitionType: &opt, ConvertedType: &tsct, // 10
			LogicalType: &parquet.LogicalType{TIMESTAMP: &parquet.TimestampType{IsAdjustedToUTC: true,
				Unit: &parquet.TimeUnit{MILLIS: parquet.NewMilliSeconds()}}}},
		textElement("resolver", req), // 11
	}
}

// Leaf indexes of the per-domain columns, in resultSchema's order.
const (
	rDomain = iota
	rStatus
	rReason
	rPreference
	rHost
	rRole
	rAddress
	rCNAME
	rImplicitMX
	rTTL
	rCheckedAt
	rResolver
)

// ResultWriter writes one ResultRecord per domain, flushing a row group every
// rowGroupRows results to keep memory bounded.
type ResultWriter struct {
	fw  *fileWriter
	n   int   // records shredded since the last flush
	err error // sticky: the first failure, or errWriterClosed
}

// NewResultWriter writes per-domain results to w.
func NewResultWriter(w io.Writer) (*ResultWriter, error) {
	fw, err := newFileWriter(w, resultSchema())
	if err != nil {
		return nil, err
	}
	return &ResultWriter{fw: fw}, nil
}

// add appends one value with its levels to leaf i.
func (w *ResultWriter) add(i int, v any, rl, dl int32) {
	t := &w.fw.leaves[i].table
	t.Values = append(t.Values, v)
	t.RepetitionLevels = append(t.RepetitionLevels, rl)
	t.DefinitionLevels = append(t.DefinitionLevels, dl)
}

// WriteResult adds the record of one domain.
func (w *ResultWriter) WriteResult(r verify.Result) error {
	if w.err != nil {
		return w.err
	}
	rec := resultRecordOf(r)
	w.add(rDomain, rec.Domain, 0, 0)
	w.add(rStatus, rec.Status, 0, 0)
	w.add(rReason, rec.Reason, 0, 0)
	// mx is a list of structs holding a list: an empty mx is one entry
	// defined up to mx (level 0); element j starts at repetition level 1,
	// its first address too, the others at level 2.
	if len(rec.MX) == 0 {
		for _, i := range []int{rPreference, rHost, rRole, rAddress, rCNAME} {
			w.add(i, nil, 0, 0)
		}
	}
	for j, mx := range rec.MX {
		rl := int32(1)
		if j == 0 {
			rl = 0
		}
		w.add(rPreference, mx.Preference, rl, 1)
		w.add(rHost, mx.Host, rl, 1)
		w.add(rRole, mx.Role, rl, 1)
		w.add(rCNAME, mx.CNAME, rl, 1)
		if len(mx.Addresses) == 0 {
			w.add(rAddress, nil, rl, 1)
		}
		for k, a := range mx.Addresses {
			if k == 0 {
				w.add(rAddress, a, rl, 2)
			} else {
				w.add(rAddress, a, 2, 2)
			}
		}
	}
	w.add(rImplicitMX, rec.ImplicitMX, 0, 0)
	w.add(rTTL, rec.TTL, 0, 0)
	if rec.CheckedAt != nil {
		w.add(rCheckedAt, rec.CheckedAt.UnixMilli(), 0, 1)
	} else {
		w.add(rCheckedAt, nil, 0, 0)
	}
	w.add(rResolver, rec.Resolver, 0, 0)
	if w.n++; w.n == writeBatchRows {
		return w.flush(false)
	}
	return nil
}

func (w *ResultWriter) flush(last bool) error {
	n := w.n
	w.n = 0
	if err := w.fw.flush(n, last); err != nil {
		w.err = fmt.Errorf("write Parquet results: %w", err)
		return w.err
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
	if err := w.flush(true); err != nil {
		return err
	}
	if err := w.fw.close(); err != nil {
		w.err = fmt.Errorf("write Parquet footer: %w", err)
		return w.err
	}
	w.err = errWriterClosed
	return nil
}
