package parquetio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"sync"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/xitongsys/parquet-go/encoding"
	"github.com/xitongsys/parquet-go/parquet"
)

// The library's page decoding (layout.ReadPage and the encoding package)
// sizes its slices from counts inside the page: a run length of a level or
// dictionary-index run, a byte array's length prefix, a DELTA block's value
// count. It never compares them with the page's size, so one damaged varint
// can ask for gigabytes, which no recover() can catch. The checks here walk
// those counts first, cheaply and without decoding values, and reject a page
// whose counts do not fit in its bytes or its declared number of values.
// The library's decompressors likewise size their output from the data; the
// ones here stop at the page's declared size.

var errPage = errors.New("malformed page")

// runPadding is how many values past a page's count its runs may hold.
const runPadding = 1024

func pageErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errPage, fmt.Sprintf(format, args...))
}

// checkRuns walks an RLE/bit-packed hybrid stream of width bw (without its
// length prefix) and fails if it holds more than n values plus runPadding.
// Writers pad the last bit-packed run: to a group of 8 by the spec, DuckDB
// to 256 values.
func checkRuns(b []byte, bw int, n int) error {
	if bw < 0 || bw > 32 {
		return pageErr("bit width %d", bw)
	}
	total := uint64(0)
	limit := uint64(n) + runPadding
	for len(b) > 0 {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			return pageErr("bad run header")
		}
		b = b[k:]
		var count uint64
		if h&1 == 0 {
			count = h >> 1
			w := (bw + 7) / 8
			if len(b) < w {
				return pageErr("run value past the end of the data")
			}
			b = b[w:]
		} else {
			groups := h >> 1
			if groups > limit/8+1 {
				return pageErr("runs hold more than the page's %d values", n)
			}
			if groups*uint64(bw) > uint64(len(b)) {
				return pageErr("bit-packed run past the end of the data")
			}
			b = b[groups*uint64(bw):]
			count = groups * 8
		}
		if count > limit-total {
			return pageErr("runs hold more than the page's %d values", n)
		}
		total += count
	}
	return nil
}

// levels checks a v1 page's level section (4-byte length, then runs) and
// returns the rest of the page.
func checkLevels(b []byte, maxLevel int32, n int) ([]byte, error) {
	if maxLevel == 0 {
		return b, nil
	}
	if len(b) < 4 {
		return nil, pageErr("levels past the end of the page")
	}
	l := binary.LittleEndian.Uint32(b)
	if uint64(l) > uint64(len(b)-4) {
		return nil, pageErr("levels of %d bytes in %d", l, len(b)-4)
	}
	if err := checkRuns(b[4:4+l], bits.Len32(uint32(maxLevel)), n); err != nil {
		return nil, err
	}
	return b[4+l:], nil
}

// checkValues checks the value section of a data page of n entries (values
// and nulls) in encoding enc.
func checkValues(b []byte, enc parquet.Encoding, t parquet.Type, n int) error {
	switch enc {
	case parquet.Encoding_PLAIN:
		if t == parquet.Type_BYTE_ARRAY {
			return checkPlainByteArray(b, n)
		}
		// Fixed-width values: the library reads at most n of them.
		return nil
	case parquet.Encoding_PLAIN_DICTIONARY, parquet.Encoding_RLE_DICTIONARY:
		if len(b) == 0 {
			if n == 0 {
				return nil
			}
			return pageErr("no dictionary indexes")
		}
		return checkRuns(b[1:], int(b[0]), n)
	case parquet.Encoding_RLE:
		if t != parquet.Type_BOOLEAN {
			return pageErr("RLE encoding for %s values", t)
		}
		return nil // converted to PLAIN before the library sees it
	case parquet.Encoding_DELTA_BINARY_PACKED:
		if t != parquet.Type_INT32 && t != parquet.Type_INT64 {
			return pageErr("DELTA_BINARY_PACKED for %s values", t)
		}
		_, err := checkDelta(b, n)
		return err
	case parquet.Encoding_DELTA_LENGTH_BYTE_ARRAY:
		lengths, rest, err := deltaLengths(b, n)
		if err != nil {
			return err
		}
		var sum uint64
		for _, l := range lengths {
			sum += l
		}
		if sum > uint64(len(rest)) {
			return pageErr("byte arrays of %d bytes in %d", sum, len(rest))
		}
		return nil
	case parquet.Encoding_DELTA_BYTE_ARRAY:
		prefixes, rest, err := deltaLengths(b, n)
		if err != nil {
			return err
		}
		suffixes, rest, err := deltaLengths(rest, n)
		if err != nil {
			return err
		}
		if len(prefixes) != len(suffixes) {
			return pageErr("%d prefixes for %d suffixes", len(prefixes), len(suffixes))
		}
		var sum, total uint64
		for i := range suffixes {
			sum += suffixes[i]
			if sum > uint64(len(rest)) {
				return pageErr("suffixes past the end of the page")
			}
			// Each value repeats a prefix of the one before: bound the
			// decoded bytes, which the encoded size does not.
			total += prefixes[i] + suffixes[i]
			if total > maxPageBytes {
				return pageErr("values decode to more than %d bytes", maxPageBytes)
			}
		}
		return nil
	case parquet.Encoding_BYTE_STREAM_SPLIT:
		return nil // the library reads at most n fixed-width values
	}
	return pageErr("unsupported encoding %s", enc)
}

func checkPlainByteArray(b []byte, n int) error {
	for i := 0; i < n && len(b) >= 4; i++ {
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) {
			return pageErr("byte array of %d bytes past the end of the page", l)
		}
		b = b[4+l:]
	}
	return nil
}

// checkDelta walks a DELTA_BINARY_PACKED stream of at most n values and
// returns its length in bytes.
func checkDelta(b []byte, n int) (int, error) {
	r := b
	var hdr [4]uint64
	for i := range hdr {
		v, k := binary.Uvarint(r)
		if k <= 0 {
			return 0, pageErr("bad DELTA header")
		}
		hdr[i], r = v, r[k:]
	}
	blockSize, minis, total := hdr[0], hdr[1], hdr[2]
	if blockSize == 0 || blockSize > 1<<16 || blockSize%128 != 0 || minis == 0 || blockSize%minis != 0 || (blockSize/minis)%8 != 0 {
		return 0, pageErr("DELTA block of %d values in %d miniblocks", blockSize, minis)
	}
	if total > uint64(n) {
		return 0, pageErr("DELTA run of %d values in a page of %d", total, n)
	}
	per := blockSize / minis
	for got := uint64(1); got < total; {
		if _, k := binary.Uvarint(r); k <= 0 {
			return 0, pageErr("bad DELTA block")
		} else {
			r = r[k:]
		}
		if uint64(len(r)) < minis {
			return 0, pageErr("DELTA block past the end of the page")
		}
		widths := r[:minis]
		r = r[minis:]
		for i := uint64(0); i < minis && got < total; i++ {
			if widths[i] > 64 {
				return 0, pageErr("DELTA bit width %d", widths[i])
			}
			nb := per * uint64(widths[i]) / 8
			if nb > uint64(len(r)) {
				// The library reads what is left; the values are then
				// wrong, not too many.
				return 0, pageErr("DELTA miniblock past the end of the page")
			}
			r = r[nb:]
			got += per
		}
	}
	return len(b) - len(r), nil
}

// deltaLengths decodes the DELTA_BINARY_PACKED lengths in front of byte
// arrays, once checkDelta has bounded them, and returns the rest.
func deltaLengths(b []byte, n int) ([]uint64, []byte, error) {
	end, err := checkDelta(b, n)
	if err != nil {
		return nil, nil, err
	}
	vals, err := readDeltaInt64(b[:end])
	if err != nil {
		return nil, nil, pageErr("DELTA lengths: %v", err)
	}
	out := make([]uint64, len(vals))
	for i, v := range vals {
		l, ok := v.(int64)
		if !ok || l < 0 || l > maxPageBytes {
			return nil, nil, pageErr("byte array length %v", v)
		}
		out[i] = uint64(l)
	}
	return out, b[end:], nil
}

func readDeltaInt64(b []byte) (vals []any, err error) {
	defer catch(&err, "malformed DELTA data")
	return encoding.ReadDeltaBinaryPackedINT64(bytes.NewReader(b))
}

// rleBooleans rewrites RLE-encoded booleans (4-byte length, then runs of
// width 1) as PLAIN: the library decodes RLE values with the column's type
// length as the bit width, which is 0 for booleans, and so reads every
// value as false.
func rleBooleans(b []byte, n int) ([]byte, error) {
	if len(b) < 4 {
		return nil, pageErr("RLE booleans past the end of the page")
	}
	l := binary.LittleEndian.Uint32(b)
	if uint64(l) > uint64(len(b)-4) {
		return nil, pageErr("RLE booleans of %d bytes in %d", l, len(b)-4)
	}
	runs := b[4 : 4+l]
	if err := checkRuns(runs, 1, n); err != nil {
		return nil, err
	}
	out := make([]byte, (n+7)/8)
	i := 0
	for len(runs) > 0 && i < n {
		h, k := binary.Uvarint(runs)
		runs = runs[k:]
		if h&1 == 0 {
			v := runs[0] & 1
			runs = runs[1:]
			for c := h >> 1; c > 0 && i < n; c-- {
				out[i/8] |= v << (i % 8)
				i++
			}
			continue
		}
		nb := int(h>>1) * 1
		for _, byt := range runs[:nb] {
			for bit := 0; bit < 8 && i < n; bit++ {
				out[i/8] |= (byt >> bit & 1) << (i % 8)
				i++
			}
		}
		runs = runs[nb:]
	}
	return out, nil
}

// decompress decodes a page body of the codec into dst, which it may grow,
// and fails unless it comes to exactly size bytes.
func decompress(codec parquet.CompressionCodec, dst, src []byte, size int) ([]byte, error) {
	if size < 0 || size > maxPageBytes {
		return nil, pageErr("page of %d bytes", size)
	}
	if cap(dst) < size {
		dst = make([]byte, size)
	}
	dst = dst[:size]
	switch codec {
	case parquet.CompressionCodec_UNCOMPRESSED:
		if len(src) != size {
			return nil, pageErr("%d bytes where the header says %d", len(src), size)
		}
		copy(dst, src)
		return dst, nil
	case parquet.CompressionCodec_SNAPPY:
		if n, err := snappy.DecodedLen(src); err != nil || n != size {
			return nil, pageErr("snappy data of %d bytes where the header says %d (%v)", n, size, err)
		}
		out, err := snappy.Decode(dst, src)
		if err != nil {
			return nil, fmt.Errorf("%w: snappy: %w", errPage, err)
		}
		return out, nil
	case parquet.CompressionCodec_GZIP:
		zr, err := gzip.NewReader(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", errPage, err)
		}
		return readExactly(zr, dst, size, "gzip")
	case parquet.CompressionCodec_ZSTD:
		dec, err := zstdDecoder()
		if err != nil {
			return nil, err
		}
		out, err := dec.DecodeAll(src, dst[:0])
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", errPage, err)
		}
		if len(out) != size {
			return nil, pageErr("zstd data of %d bytes where the header says %d", len(out), size)
		}
		return out, nil
	case parquet.CompressionCodec_LZ4_RAW:
		n, err := lz4.UncompressBlock(src, dst)
		if err != nil || n != size {
			return nil, pageErr("lz4 data of %d bytes where the header says %d (%v)", n, size, err)
		}
		return dst, nil
	}
	return nil, pageErr("unsupported compression codec %s", codec)
}

func readExactly(r io.Reader, dst []byte, size int, codec string) ([]byte, error) {
	if _, err := io.ReadFull(r, dst); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errPage, codec, err)
	}
	var one [1]byte
	if n, _ := r.Read(one[:]); n > 0 {
		return nil, pageErr("%s data longer than the header's %d bytes", codec, size)
	}
	return dst, nil
}

// zstdDecoder is shared: DecodeAll is safe for concurrent use. Its memory
// cap makes a frame that claims more than a page may hold fail early.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPageBytes))
})
