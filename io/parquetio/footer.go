package parquetio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/xitongsys/parquet-go/parquet"
)

var errEncrypted = errors.New("encrypted Parquet files are not supported")

// file is an opened Parquet file: its footer, checked against the file's
// size and its own schema.
type file struct {
	r      io.ReaderAt
	size   int64
	meta   *parquet.FileMetaData
	schema *Schema
}

// openFile reads and checks the footer. The library's own footer reading
// (reader.ParquetReader.ReadFooter) seeks back by the length the file
// declares and lets thrift size its lists from the data; here the length is
// checked against the file size and thrift may not allocate more than the
// footer's own length.
func openFile(r io.ReaderAt, size int64) (*file, error) {
	// The smallest file is "PAR1", a 4-byte footer length and "PAR1".
	if size < 12 {
		return nil, fmt.Errorf("%w: file too short (%d bytes)", ErrNotParquet, size)
	}
	var head, tail [8]byte
	if n, err := r.ReadAt(head[:4], 0); n < 4 {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if n, err := r.ReadAt(tail[:], size-8); n < len(tail) {
		return nil, fmt.Errorf("read footer: %w", err)
	}
	switch {
	case string(head[:4]) == "PARE" || string(tail[4:]) == "PARE":
		return nil, errEncrypted
	case string(head[:4]) != "PAR1":
		return nil, fmt.Errorf("%w: no PAR1 magic at the start (found %q)", ErrNotParquet, head[:4])
	case string(tail[4:]) != "PAR1":
		return nil, fmt.Errorf("%w: no PAR1 magic at the end (truncated?)", ErrNotParquet)
	}
	footerLen := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footerLen > size-12 {
		return nil, fmt.Errorf("%w: footer length %d exceeds the file size %d", ErrNotParquet, footerLen, size)
	}
	buf := make([]byte, footerLen)
	if n, err := r.ReadAt(buf, size-8-footerLen); int64(n) < footerLen {
		return nil, fmt.Errorf("read footer: %w", err)
	}
	meta := parquet.NewFileMetaData()
	if err := readThrift(meta, bufio.NewReader(bytes.NewReader(buf)), footerLen); err != nil {
		return nil, fmt.Errorf("%w: footer: %w", ErrNotParquet, err)
	}
	s, err := parseSchema(meta.Schema)
	if err != nil {
		return nil, fmt.Errorf("%w: footer: %w", ErrNotParquet, err)
	}
	f := &file{r: r, size: size, meta: meta, schema: s}
	if err := f.checkRowGroups(size - 8 - footerLen); err != nil {
		return nil, fmt.Errorf("%w: footer: %w", ErrNotParquet, err)
	}
	return f, nil
}

// readThrift decodes one thrift struct from br, which thrift may read past.
// limit caps every length inside it (lists, strings): no list may declare
// more elements than there are bytes to hold them.
func readThrift(s thrift.TStruct, br *bufio.Reader, limit int64) (err error) {
	defer catch(&err, "malformed thrift data")
	conf := &thrift.TConfiguration{MaxMessageSize: int32(min(max(limit, 1), math.MaxInt32))}
	return s.Read(context.Background(), thrift.NewTCompactProtocolConf(thriftReader{br}, conf))
}

// thriftReader is a read-only thrift transport over a bufio.Reader, so that
// the caller knows how far a struct went (thrift's own stream transport
// buffers past it).
type thriftReader struct{ *bufio.Reader }

var errReadOnly = errors.New("read-only transport")

func (thriftReader) Write([]byte) (int, error)          { return 0, errReadOnly }
func (thriftReader) Close() error                       { return nil }
func (thriftReader) Flush(context.Context) error        { return nil }
func (thriftReader) RemainingBytes() uint64             { return math.MaxUint64 }
func (thriftReader) Open() error                        { return nil }
func (thriftReader) IsOpen() bool                       { return true }
func (thriftReader) WriteByte(byte) error               { return errReadOnly }
func (thriftReader) WriteString(string) (int, error)    { return 0, errReadOnly }
func (t thriftReader) ReadByte() (byte, error)          { return t.Reader.ReadByte() }
func (t thriftReader) Read(p []byte) (n int, err error) { return t.Reader.Read(p) }

// checkRowGroups checks each column chunk against the schema and keeps its
// bytes inside the data part of the file (before the footer at end).
func (f *file) checkRowGroups(end int64) error {
	leaves := f.schema.leaves
	for g, rg := range f.meta.RowGroups {
		if rg == nil {
			return fmt.Errorf("row group %d is empty", g+1)
		}
		if rg.NumRows < 0 {
			return fmt.Errorf("row group %d: %d rows", g+1, rg.NumRows)
		}
		if len(rg.Columns) != len(leaves) {
			return fmt.Errorf("row group %d has %d columns, the schema %d", g+1, len(rg.Columns), len(leaves))
		}
		for i, cc := range rg.Columns {
			leaf := leaves[i]
			where := fmt.Sprintf("row group %d, column %q", g+1, strings.Join(leaf.path(), "."))
			if cc == nil || cc.MetaData == nil {
				return fmt.Errorf("%s: no metadata", where)
			}
			if cc.FilePath != nil {
				return fmt.Errorf("%s: data in another file (%q) is not supported", where, *cc.FilePath)
			}
			m := cc.MetaData
			if m.Type != *leaf.elem.Type {
				return fmt.Errorf("%s: type %s, the schema %s", where, m.Type, *leaf.elem.Type)
			}
			if !equalPath(m.PathInSchema, leaf.path()) {
				return fmt.Errorf("%s: path %q", where, strings.Join(m.PathInSchema, "."))
			}
			if m.NumValues < 0 || (leaf.repLevel == 0 && m.NumValues != rg.NumRows) {
				return fmt.Errorf("%s: %d values for %d rows", where, m.NumValues, rg.NumRows)
			}
			start, n := chunkRange(m)
			if start < 4 || n < 0 || start > end || n > end-start {
				return fmt.Errorf("%s: %d bytes at offset %d, outside the file", where, n, start)
			}
		}
	}
	return nil
}

// chunkRange is where a column chunk's pages are: from the dictionary page,
// if there is one, for TotalCompressedSize bytes. Some writers set a
// dictionary offset of 0, or one past the data, for chunks without one.
func chunkRange(m *parquet.ColumnMetaData) (start, n int64) {
	start = m.DataPageOffset
	if d := m.DictionaryPageOffset; d != nil && *d >= 4 && *d < start {
		start = *d
	}
	return start, m.TotalCompressedSize
}

func equalPath(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
