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
//	domain, domain_unicode, status, reason: required strings
//	rows: required int64, the input rows that name the domain
//	mx: a required list of ExchangeRecord structs
//	implicit_mx: required boolean
//	ttl: required int64
//	checked_at: optional timestamp, milliseconds, UTC
//	resolver: required string
type ResultRecord struct {
	Domain        string
	DomainUnicode string
	Status        string
	Reason        string
	Rows          int64
	MX            []ExchangeRecord
	ImplicitMX    bool
	TTL           int64
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
func resultRecordOf(r verify.Result, rows int64) ResultRecord {
	rec := ResultRecord{
		Domain:        r.Domain,
		DomainUnicode: verify.Unicode(r.Domain),
		Status:        string(r.Status),
		Reason:        r.Reason,
		Rows:          rows,
		ImplicitMX:    r.ImplicitMX,
		TTL:           int64(r.TTL),
		Resolver:      r.Resolver,
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

// resultSchema is the per-domain schema, depth-first. WriteResult gives its
// top-level fields' values in this order.
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
	root := int32(10)
	return []*parquet.SchemaElement{
		{Name: "ResultRecord", NumChildren: &root},
		textElement("domain", req),
		textElement("domain_unicode", req),
		textElement("status", req),
		textElement("reason", req),
		integer("rows", parquet.Type_INT64, 64, parquet.ConvertedType_INT_64),
		group("mx", 1, req, list),
		group("list", 1, rep, nil),
		group("element", 5, req, nil),
		integer("preference", parquet.Type_INT32, 32, parquet.ConvertedType_INT_32),
		textElement("host", req),
		textElement("role", req),
		group("addresses", 1, req, list),
		group("list", 1, rep, nil),
		textElement("element", req),
		textElement("cname", req),
		{Name: "implicit_mx", Type: &boolean, RepetitionType: &req},
		integer("ttl", parquet.Type_INT64, 64, parquet.ConvertedType_INT_64),
		{Name: "checked_at", Type: &int64t, RepetitionType: &opt, ConvertedType: &tsct,
			LogicalType: &parquet.LogicalType{TIMESTAMP: &parquet.TimestampType{IsAdjustedToUTC: true,
				Unit: &parquet.TimeUnit{MILLIS: parquet.NewMilliSeconds()}}}},
		textElement("resolver", req),
	}
}

// ResultWriter writes one ResultRecord per domain, flushing a row group every
// rowGroupRows results to keep memory bounded.
type ResultWriter struct {
	fw    *fileWriter
	n     int   // records shredded since the last flush
	err   error // sticky: the first failure, or errWriterClosed
	vals  []any // one record's values, by top-level field
	nodes nodes // for the mx tree
}

// NewResultWriter writes per-domain results to w.
func NewResultWriter(w io.Writer) (*ResultWriter, error) {
	fw, err := newFileWriter(w, resultSchema())
	if err != nil {
		return nil, err
	}
	return &ResultWriter{fw: fw, vals: make([]any, len(fw.schema.fields))}, nil
}

// WriteResult adds the record of one domain, with the number of rows that
// name it.
func (w *ResultWriter) WriteResult(r verify.Result, rows int64) error {
	if w.err != nil {
		return w.err
	}
	rec := resultRecordOf(r, rows)
	// mx is a LIST of structs holding a LIST: the tree shred takes, as
	// assemble would build it from a file.
	n := &w.nodes
	n.reset()
	mx := n.list(len(rec.MX))
	for i, e := range rec.MX {
		addrs := n.list(len(e.Addresses))
		for j, a := range e.Addresses {
			addrs.items[j] = n.listItem(a)
		}
		el := n.group(5)
		el.vals[0], el.vals[1], el.vals[2], el.vals[3], el.vals[4] = e.Preference, e.Host, e.Role, n.listGroup(addrs), e.CNAME
		mx.items[i] = n.listItem(el)
	}
	var checked any
	if rec.CheckedAt != nil {
		checked = rec.CheckedAt.UnixMilli()
	}
	w.vals = append(w.vals[:0], rec.Domain, rec.DomainUnicode, rec.Status, rec.Reason, rec.Rows, n.listGroup(mx), rec.ImplicitMX, rec.TTL, checked, rec.Resolver)
	if err := w.fw.shredRow(w.vals); err != nil {
		return fmt.Errorf("domain %q: %w", rec.Domain, err)
	}
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
