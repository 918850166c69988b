package parquetio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"

	"github.com/apache/thrift/lib/go/thrift"
	"github.com/xitongsys/parquet-go/common"
	"github.com/xitongsys/parquet-go/layout"
	"github.com/xitongsys/parquet-go/parquet"
	"github.com/xitongsys/parquet-go/schema"
)

// errChunkEnd is the end of a column chunk's values.
var errChunkEnd = errors.New("end of column chunk")

// column reads the values of one leaf column, one page at a time: its
// memory is one decoded page (and the chunk's dictionary), whatever the size
// of the row group.
//
// It walks the pages itself rather than through the library's
// reader.ColumnBufferType, whose ReadRows drops the error of a page it fails
// to read (a damaged file would lose rows without a word) and which sizes
// its buffers from the chunk and page headers unchecked. Each page is
// checked (check.go), decompressed here, and handed to the library's
// layout.ReadPage to decode.
type column struct {
	f      *file
	leaf   *Field
	sh     *schema.SchemaHandler
	meta   parquet.ColumnMetaData // what ReadPage is told: the handler's path, no codec
	decode decodeFunc
	maxDL  int32
	maxRL  int32

	// The open chunk.
	group      int // 1-based, for errors
	sr         *io.SectionReader
	br         *bufio.Reader
	chunkLen   int64
	codec      parquet.CompressionCodec
	valuesLeft int64 // values of the chunk not yet in a page
	dict       *layout.Page

	// The decoded page.
	values []any
	rl, dl []int32
	pos    int

	raw, body []byte // page buffers, reused
	mem       *thrift.TMemoryBuffer
	proto     *thrift.TCompactProtocol
}

func newColumn(f *file, sh *schema.SchemaHandler, leaf *Field) *column {
	c := &column{
		f:      f,
		leaf:   leaf,
		sh:     sh,
		decode: decoderOf(leaf),
		maxDL:  leaf.def,
		maxRL:  leaf.repLevel,
		mem:    thrift.NewTMemoryBufferLen(1 << 10),
	}
	c.proto = thrift.NewTCompactProtocolConf(c.mem, nil)
	c.meta.Type = *leaf.elem.Type
	c.meta.Codec = parquet.CompressionCodec_UNCOMPRESSED
	c.meta.PathInSchema = common.StrToPath(sh.IndexMap[int32(leaf.index)])[1:]
	return c
}

// handlerFor builds the library's schema handler for ReadPage under made-up
// names: the library turns names into Go identifiers (common.StringToVariableName,
// which maps "email" and "Email" alike) and would mix such columns up.
func handlerFor(elems []*parquet.SchemaElement) (sh *schema.SchemaHandler, err error) {
	defer catch(&err, "schema")
	renamed := make([]*parquet.SchemaElement, len(elems))
	for i, e := range elems {
		c := *e
		c.Name = fmt.Sprintf("c%d", i)
		renamed[i] = &c
	}
	return schema.NewSchemaHandlerFromSchemaList(renamed), nil
}

func (c *column) where() string {
	return fmt.Sprintf("row group %d, column %q", c.group, strings.Join(c.leaf.path(), "."))
}

// open starts the chunk of row group g (1-based).
func (c *column) open(g int, cc *parquet.ColumnChunk) {
	m := cc.MetaData
	start, n := chunkRange(m)
	c.group = g
	c.sr = io.NewSectionReader(c.f.r, start, n)
	if c.br == nil {
		c.br = bufio.NewReaderSize(c.sr, 64<<10)
	} else {
		c.br.Reset(c.sr)
	}
	c.chunkLen = n
	c.codec = m.Codec
	c.valuesLeft = m.NumValues
	c.dict = nil
	c.values, c.rl, c.dl, c.pos = nil, nil, nil, 0
}

// remaining is the number of chunk bytes not yet parsed.
func (c *column) remaining() int64 {
	pos, _ := c.sr.Seek(0, io.SeekCurrent)
	return c.chunkLen - pos + int64(c.br.Buffered())
}

// atEnd reports whether every value of the chunk has been taken.
func (c *column) atEnd() bool { return c.pos == len(c.values) && c.valuesLeft == 0 }

// peekRL returns the repetition level of the next value; ok is false at the
// end of the chunk.
func (c *column) peekRL() (rl int32, ok bool, err error) {
	if c.pos == len(c.values) {
		if err := c.nextPage(); err == errChunkEnd {
			return 0, false, nil
		} else if err != nil {
			return 0, false, err
		}
	}
	return c.rl[c.pos], true, nil
}

// take returns the next value and its levels; v is nil unless dl is the
// column's maximum.
func (c *column) take() (v any, rl, dl int32, err error) {
	if c.pos == len(c.values) {
		if err := c.nextPage(); err != nil {
			return nil, 0, 0, err
		}
	}
	i := c.pos
	c.pos++
	rl, dl = c.rl[i], c.dl[i]
	if rl > c.maxRL || dl > c.maxDL || rl < 0 || dl < 0 {
		return nil, 0, 0, fmt.Errorf("%s: %w: levels %d/%d above the column's %d/%d", c.where(), errPage, rl, dl, c.maxRL, c.maxDL)
	}
	if dl == c.maxDL {
		v = c.values[i]
	}
	return v, rl, dl, nil
}

// nextPage decodes the next data page of the chunk, reading the dictionary
// page on the way.
func (c *column) nextPage() error {
	for {
		if c.valuesLeft == 0 {
			return errChunkEnd
		}
		err := c.readPage()
		if err == nil && len(c.values) > 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.where(), err)
		}
	}
}

func (c *column) readPage() error {
	left := c.remaining()
	if left <= 0 {
		return pageErr("chunk ends %d values early", c.valuesLeft)
	}
	hdr := parquet.NewPageHeader()
	if err := readThrift(hdr, c.br, left); err != nil {
		return fmt.Errorf("%w: page header: %w", errPage, err)
	}
	left = c.remaining()
	size := int64(hdr.CompressedPageSize)
	if size < 0 || size > left {
		return pageErr("page of %d bytes with %d left in the chunk", size, left)
	}
	if hdr.UncompressedPageSize < 0 || hdr.UncompressedPageSize > maxPageBytes {
		return pageErr("page of %d bytes uncompressed", hdr.UncompressedPageSize)
	}
	if cap(c.raw) < int(size) {
		c.raw = make([]byte, size)
	}
	raw := c.raw[:size]
	if _, err := io.ReadFull(c.br, raw); err != nil {
		return fmt.Errorf("read page: %w", err)
	}
	switch hdr.Type {
	case parquet.PageType_DICTIONARY_PAGE:
		return c.readDictionary(hdr, raw)
	case parquet.PageType_DATA_PAGE:
		return c.readDataV1(hdr, raw)
	case parquet.PageType_DATA_PAGE_V2:
		return c.readDataV2(hdr, raw)
	}
	return nil // index pages and unknown ones: skipped
}

func (c *column) readDictionary(hdr *parquet.PageHeader, raw []byte) error {
	dh := hdr.DictionaryPageHeader
	if dh == nil || dh.NumValues < 0 || dh.NumValues > maxPageValues {
		return pageErr("bad dictionary page header")
	}
	if c.dict != nil {
		return pageErr("second dictionary page in a chunk")
	}
	if dh.Encoding != parquet.Encoding_PLAIN && dh.Encoding != parquet.Encoding_PLAIN_DICTIONARY {
		return pageErr("dictionary in encoding %s", dh.Encoding)
	}
	body, err := decompress(c.codec, c.body, raw, int(hdr.UncompressedPageSize))
	if err != nil {
		return err
	}
	c.body = body
	if c.meta.Type == parquet.Type_BYTE_ARRAY {
		if err := checkPlainByteArray(body, int(dh.NumValues)); err != nil {
			return err
		}
	}
	hdr.CompressedPageSize = int32(len(body))
	page, err := c.decodePage(hdr, body)
	if err != nil {
		return err
	}
	for _, v := range page.DataTable.Values {
		if v == nil {
			return pageErr("dictionary shorter than its %d values", dh.NumValues)
		}
	}
	c.dict = page
	return nil
}

func (c *column) checkCount(n int32) error {
	if n < 0 || int64(n) > c.valuesLeft || n > maxPageValues {
		return pageErr("page of %d values with %d left in the chunk", n, c.valuesLeft)
	}
	return nil
}

func (c *column) readDataV1(hdr *parquet.PageHeader, raw []byte) error {
	dh := hdr.DataPageHeader
	if dh == nil {
		return pageErr("data page without its header")
	}
	n := dh.NumValues
	if err := c.checkCount(n); err != nil {
		return err
	}
	if (c.maxRL > 0 && dh.RepetitionLevelEncoding != parquet.Encoding_RLE) ||
		(c.maxDL > 0 && dh.DefinitionLevelEncoding != parquet.Encoding_RLE) {
		return pageErr("levels in encoding %s/%s", dh.RepetitionLevelEncoding, dh.DefinitionLevelEncoding)
	}
	body, err := decompress(c.codec, c.body, raw, int(hdr.UncompressedPageSize))
	if err != nil {
		return err
	}
	c.body = body
	rest, err := checkLevels(body, c.maxRL, int(n))
	if err != nil {
		return err
	}
	if rest, err = checkLevels(rest, c.maxDL, int(n)); err != nil {
		return err
	}
	if dh.Encoding == parquet.Encoding_RLE && c.meta.Type == parquet.Type_BOOLEAN {
		plain, err := rleBooleans(rest, int(n))
		if err != nil {
			return err
		}
		body = append(body[:len(body)-len(rest)], plain...)
		c.body = body
		h := *dh
		h.Encoding = parquet.Encoding_PLAIN
		hdr.DataPageHeader = &h
	} else if err := checkValues(rest, dh.Encoding, c.meta.Type, int(n)); err != nil {
		return err
	}
	hdr.CompressedPageSize = int32(len(body))
	hdr.UncompressedPageSize = int32(len(body))
	return c.setPage(hdr, body, n, dh.Encoding)
}

func (c *column) readDataV2(hdr *parquet.PageHeader, raw []byte) error {
	dh := hdr.DataPageHeaderV2
	if dh == nil {
		return pageErr("data page without its header")
	}
	n := dh.NumValues
	if err := c.checkCount(n); err != nil {
		return err
	}
	rll, dll := dh.RepetitionLevelsByteLength, dh.DefinitionLevelsByteLength
	if rll < 0 || dll < 0 || int64(rll)+int64(dll) > int64(len(raw)) ||
		int64(rll)+int64(dll) > int64(hdr.UncompressedPageSize) {
		return pageErr("levels of %d+%d bytes in a page of %d", rll, dll, len(raw))
	}
	// The library adds the length prefix of each level section it expects;
	// one it does not expect would be read as values.
	if (c.maxRL == 0) != (rll == 0) && n > 0 || (c.maxDL == 0) != (dll == 0) && n > 0 {
		return pageErr("levels of %d+%d bytes for levels up to %d/%d", rll, dll, c.maxRL, c.maxDL)
	}
	if c.maxRL > 0 {
		if err := checkRuns(raw[:rll], bits.Len32(uint32(c.maxRL)), int(n)); err != nil {
			return err
		}
	}
	if c.maxDL > 0 {
		if err := checkRuns(raw[rll:rll+dll], bits.Len32(uint32(c.maxDL)), int(n)); err != nil {
			return err
		}
	}
	levels := int(rll + dll)
	size := int(hdr.UncompressedPageSize) - levels
	if cap(c.body) < levels+size {
		c.body = make([]byte, 0, levels+size)
	}
	body := append(c.body[:0], raw[:levels]...)
	codec := c.codec
	if !dh.IsCompressed {
		codec = parquet.CompressionCodec_UNCOMPRESSED
	}
	values, err := decompress(codec, body[levels:levels+size], raw[levels:], size)
	if err != nil {
		return err
	}
	body = append(body[:levels], values...)
	c.body = body
	rest := body[levels:]
	if dh.Encoding == parquet.Encoding_RLE && c.meta.Type == parquet.Type_BOOLEAN {
		plain, err := rleBooleans(rest, int(n))
		if err != nil {
			return err
		}
		body = append(body[:levels], plain...)
		c.body = body
		h := *dh
		h.Encoding = parquet.Encoding_PLAIN
		hdr.DataPageHeaderV2 = &h
	} else if err := checkValues(rest, dh.Encoding, c.meta.Type, int(n)); err != nil {
		return err
	}
	hdr.CompressedPageSize = int32(len(body))
	hdr.UncompressedPageSize = int32(len(body))
	return c.setPage(hdr, body, n, dh.Encoding)
}

// setPage decodes a checked data page and makes it the current one.
func (c *column) setPage(hdr *parquet.PageHeader, body []byte, n int32, enc parquet.Encoding) error {
	dictEncoded := enc == parquet.Encoding_PLAIN_DICTIONARY || enc == parquet.Encoding_RLE_DICTIONARY
	if dictEncoded && c.dict == nil {
		return pageErr("dictionary-encoded page without a dictionary")
	}
	page, err := c.decodePage(hdr, body)
	if err != nil {
		return err
	}
	t := page.DataTable
	if len(t.Values) != int(n) || len(t.RepetitionLevels) != int(n) || len(t.DefinitionLevels) != int(n) {
		return pageErr("%d levels for %d values", len(t.DefinitionLevels), n)
	}
	if dictEncoded {
		if err := decodeDict(page, c.dict); err != nil {
			return err
		}
	}
	c.values, c.rl, c.dl, c.pos = t.Values, t.RepetitionLevels, t.DefinitionLevels, 0
	c.valuesLeft -= int64(n)
	return nil
}

func decodeDict(page, dict *layout.Page) (err error) {
	defer catch(&err, "malformed page: dictionary index")
	page.Decode(dict)
	return nil
}

// decodePage hands one page, its header rewritten for the uncompressed body,
// to the library.
func (c *column) decodePage(hdr *parquet.PageHeader, body []byte) (page *layout.Page, err error) {
	defer catch(&err, "malformed page")
	c.mem.Reset()
	if err := hdr.Write(context.Background(), c.proto); err != nil {
		return nil, err
	}
	if err := c.proto.Flush(context.Background()); err != nil {
		return nil, err
	}
	c.mem.Write(body)
	page, _, _, err = layout.ReadPage(thrift.NewTBufferedTransport(c.mem, 256), c.sh, &c.meta)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPage, err)
	}
	return page, nil
}
