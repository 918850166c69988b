package xlsxio

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mxverify/mxverify/io/rowio"
)

// MaxRows is how many rows a sheet holds, the header row included.
const MaxRows = excelize.TotalRows

// ErrTooManyRows means a list has more rows than a sheet holds.
var ErrTooManyRows = fmt.Errorf("more rows than an Excel sheet holds (%d with the header): write .csv, .jsonl or .parquet instead", MaxRows)

// Writer writes rows to one sheet through excelize's StreamWriter, which
// keeps the sheet's XML in a temporary file rather than in memory. The
// workbook is written to the underlying writer on Close. It implements
// rowio.Writer.
type Writer struct {
	w    io.Writer
	f    *excelize.File
	sw   *excelize.StreamWriter
	n    int // columns
	row  int // rows written, the header included
	vals []any
}

// NewWriter writes the header row of a sheet named Sheet1.
func NewWriter(w io.Writer, columns []string) (*Writer, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	xw := &Writer{w: w, f: f, sw: sw, n: len(columns), vals: make([]any, len(columns))}
	for i, c := range columns {
		xw.vals[i] = c
	}
	if err := xw.put(); err != nil {
		f.Close()
		return nil, err
	}
	return xw, nil
}

func (w *Writer) put() error {
	if w.row >= MaxRows {
		return ErrTooManyRows
	}
	w.row++
	cell, _ := excelize.CoordinatesToCellName(1, w.row)
	if err := w.sw.SetRow(cell, w.vals); err != nil {
		return fmt.Errorf("xlsx: row %d: %w", w.row, err)
	}
	return nil
}

// Write writes one row. Numbers and booleans stay numbers and booleans;
// times are ISO 8601 text, and nested JSON its text.
func (w *Writer) Write(row rowio.Row) error {
	if len(row) != w.n {
		return fmt.Errorf("xlsx: write: row has %d values for %d columns", len(row), w.n)
	}
	for i, v := range row {
		switch x := v.(type) {
		case nil, string, bool, int32, int64, float32, float64:
			w.vals[i] = x
		case time.Time:
			w.vals[i] = rowio.Text(x)
		case json.Number, json.RawMessage, []byte:
			w.vals[i] = rowio.Text(x)
		default:
			w.vals[i] = rowio.Text(x)
		}
	}
	return w.put()
}

// Close writes the workbook. It does not close the underlying writer.
//
// excelize's WriteTo builds the whole zip in a buffer before it copies it
// out: a million rows held 56 MB of workbook and peaked near 280 MB. Its
// ZipWriter hook instead gets a zip writer over the output itself, so the
// parts stream from the StreamWriter's temporary file into the file, and
// the buffer WriteTo then copies is empty.
func (w *Writer) Close() error {
	err := w.sw.Flush()
	if err == nil {
		w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w.w) })
		_, err = w.f.WriteTo(io.Discard)
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// Discard drops the workbook without writing it, and its temporary files.
func (w *Writer) Discard() { w.f.Close() }
