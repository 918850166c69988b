package parquetio_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/writer"

	"github.com/mxverify/mxverify/io/parquetio"
	"github.com/mxverify/mxverify/io/rowio"
)

// mustWriteStructs writes rows with the library's own struct writer (its
// marshal package and struct tags), a code path independent of
// parquetio.Writer, so fixtures do not test the writer against itself.
func mustWriteStructs[T any](tb testing.TB, rows []T) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := writer.NewParquetWriterFromWriter(&buf, new(T), 1)
	if err != nil {
		tb.Fatalf("start fixture: %v", err)
	}
	// The library's page writer panics on ENUM columns (it has no
	// comparison for them, common.FindFuncTable): they are written as UTF8
	// and labelled ENUM again for the footer.
	var enums []*parquet.SchemaElement
	for _, e := range w.SchemaHandler.SchemaElements {
		if e.ConvertedType != nil && *e.ConvertedType == parquet.ConvertedType_ENUM {
			utf8 := parquet.ConvertedType_UTF8
			e.ConvertedType = &utf8
			enums = append(enums, e)
		}
	}
	for _, row := range rows {
		if err := w.Write(row); err != nil {
			tb.Fatalf("write fixture: %v", err)
		}
	}
	if err := w.Flush(true); err != nil {
		tb.Fatalf("write fixture: %v", err)
	}
	for _, e := range enums {
		enum := parquet.ConvertedType_ENUM
		e.ConvertedType = &enum
	}
	if err := w.WriteStop(); err != nil {
		tb.Fatalf("close fixture: %v", err)
	}
	return buf.Bytes()
}

func mustOpen(tb testing.TB, data []byte, name string) *parquetio.Reader {
	tb.Helper()
	r, err := parquetio.NewReader(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		tb.Fatalf("NewReader(%s): %v", name, err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// readAll returns every row of r, failing the test on any error.
func readAll(tb testing.TB, r rowio.Reader) []rowio.Row {
	tb.Helper()
	var rows []rowio.Row
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			tb.Fatalf("Read after %d rows: %v", len(rows), err)
		}
		rows = append(rows, row)
	}
}

// writeRows writes rows through a parquetio.Writer and returns the file.
func writeRows(tb testing.TB, columns []string, src *parquetio.Schema, rows []rowio.Row) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := parquetio.NewWriter(&buf, columns, src)
	if err != nil {
		tb.Fatalf("NewWriter: %v", err)
	}
	for i, row := range rows {
		if err := w.Write(row); err != nil {
			tb.Fatalf("Write row %d: %v", i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }
