package fileio

import (
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
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ErrUnknownFormat means a path's extension names no supported format. The
// format comes from the name alone, so that a typo fails before any work
// rather than after a half-read input.
var ErrUnknownFormat = errors.New("unknown file format")

// formats maps extensions to formats; a .gz after one means gzip, except
// after .parquet. The list is also the help text of ErrUnknownFormat.
var formats = []struct {
	ext    string
	format Format
}{{".csv", CSV}, {".tsv", TSV}, {".jsonl", JSONL}, {".parquet", Parquet}}

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
		if strings.HasSuffix(name, f.ext) && !(gz && f.format == Parquet) {
			return f.format, gz, nil
		}
		exts = append(exts, f.ext)
		if f.format != Parquet {
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
