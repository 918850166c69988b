package fileio

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Format is a list format. The zero value is no format, so that a forgotten
// assignment is not silently read as CSV.
type Format int

// The formats mxverify reads and writes.
const (
	CSV Format = iota + 1
	TSV
	JSONL
	Parquet
	XLSX
)

func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case TSV:
		return "tsv"
	case JSONL:
		return "jsonl"
	case Parquet:
		return "parquet"
	case XLSX:
		return "xlsx"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ErrUnknownFormat means a path's extension names no supported format. The
// format comes from the name alone, so that a typo fails before any work
// rather than after a half-read input.
var ErrUnknownFormat = errors.New("unknown file format")

// formats maps extensions to formats; a .gz after one means gzip, except
// after .parquet and .xlsx, which compress themselves. The list is also
// the help text of ErrUnknownFormat.
var formats = []struct {
	ext    string
	format Format
}{{".csv", CSV}, {".tsv", TSV}, {".jsonl", JSONL}, {".parquet", Parquet}, {".xlsx", XLSX}}

// FormatOf tells the format of path from its extension (in any case) and
// whether the file is gzip-compressed. "-" (standard input or output) is
// uncompressed CSV, the format every shell tool speaks. Parquet compresses
// its own pages, so .parquet.gz is refused rather than double-compressed.
func FormatOf(path string) (Format, bool, error) {
	if path == Stdio {
		return CSV, false, nil
	}
	gz := gzipped(path)
	name := strings.ToLower(path)
	if gz {
		name = name[:len(name)-len(".gz")]
	}
	var exts []string
	for _, f := range formats {
		if strings.HasSuffix(name, f.ext) && !(gz && f.format.Packed()) {
			return f.format, gz, nil
		}
		exts = append(exts, f.ext)
		if !f.format.Packed() {
			exts = append(exts, f.ext+".gz")
		}
	}
	return 0, false, fmt.Errorf("%s: %w: want a name ending in %s, or - for standard input/output",
		path, ErrUnknownFormat, strings.Join(exts, ", "))
}

// gzipped is the one rule for compression: a name that ends in .gz, in any
// case, is read and written through gzip.
func gzipped(path string) bool {
	return len(path) >= 3 && strings.EqualFold(path[len(path)-3:], ".gz")
}

// Packed formats compress their own content: a .gz after them is refused.
func (f Format) Packed() bool { return f == Parquet || f == XLSX }

// ErrXLS means a workbook in Excel's old binary format (.xls), which
// mxverify does not read.
var ErrXLS = errors.New("an Excel 97-2003 workbook (.xls, or a password-protected .xlsx): save it without a password as .xlsx (Excel Workbook) or CSV UTF-8")

// ParseFormat reads a format name as --input-format and --output-format
// take it: csv, tsv, jsonl, parquet or xlsx, in any case.
func ParseFormat(name string) (Format, error) {
	for _, f := range []Format{CSV, TSV, JSONL, Parquet, XLSX} {
		if strings.EqualFold(strings.TrimPrefix(name, "."), f.String()) {
			return f, nil
		}
	}
	return 0, fmt.Errorf("%w %q: want csv, tsv, jsonl, parquet or xlsx", ErrUnknownFormat, name)
}

// IsXLS reports a name ending in .xls, for a clearer error than "unknown
// format".
func IsXLS(path string) bool {
	return strings.HasSuffix(strings.ToLower(path), ".xls")
}

// Signatures of the formats that announce themselves in their first bytes.
var (
	parquetMagic = []byte("PAR1")
	zipMagic     = []byte("PK\x03\x04")
	// oleMagic starts a Compound File: an .xls workbook, or an .xlsx
	// one encrypted with a password.
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Sniff tells a format from the first bytes of a list (after gzip has been
// peeled off): Parquet by PAR1, a workbook by the zip signature, JSON
// Lines by a first '{' (after a byte order mark and blank space). It
// returns 0 for text it cannot tell (CSV or TSV, which the delimiter tells
// apart), and ErrXLS for a Compound File.
func Sniff(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, parquetMagic):
		return Parquet, nil
	case bytes.HasPrefix(head, zipMagic):
		return XLSX, nil
	case bytes.HasPrefix(head, oleMagic):
		return 0, ErrXLS
	}
	head = bytes.TrimPrefix(head, []byte{0xEF, 0xBB, 0xBF})
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		return JSONL, nil
	}
	return 0, nil
}
