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

// accepted is matched in order against the lower-cased path; the list is
// also the help text of ErrUnknownFormat.
var accepted = []struct {
	ext    string
	format Format
	gzip   bool
}{
	{".csv", CSV, false},
	{".csv.gz", CSV, true},
	{".tsv", TSV, false},
	{".tsv.gz", TSV, true},
	{".jsonl", JSONL, false},
	{".jsonl.gz", JSONL, true},
	{".parquet", Parquet, false},
}

// FormatOf tells the format of path from its extension (in any case) and
// whether the file is gzip-compressed. "-" (standard input or output) is
// uncompressed CSV, the format every shell tool speaks. Parquet compresses
// its own pages, so .parquet.gz is refused rather than double-compressed.
func FormatOf(path string) (Format, bool, error) {
	if path == Stdio {
		return CSV, false, nil
	}
	lower := strings.ToLower(path)
	for _, a := range accepted {
		if strings.HasSuffix(lower, a.ext) {
			return a.format, a.gzip, nil
		}
	}
	exts := make([]string, len(accepted))
	for i, a := range accepted {
		exts[i] = a.ext
	}
	return 0, false, fmt.Errorf("%s: %w: want a name ending in %s, or - for standard input/output",
		path, ErrUnknownFormat, strings.Join(exts, ", "))
}
