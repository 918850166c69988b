package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/io/textio"
	"github.com/mxverify/mxverify/io/xlsxio"
	"github.com/mxverify/mxverify/pipeline"
)

// inputOptions are the flags that say how to read and write lists where
// the files themselves cannot tell: formats, separators, encodings,
// sheets, and the bounds that keep a hostile file from taking all memory.
type inputOptions struct {
	inFormat     fileio.Format
	outFormat    fileio.Format
	delimiter    rune
	outDelimiter rune
	encoding     string
	sheet        string
	maxField     size
	maxUnzip     size
	maxXML       size
}

func (o *inputOptions) register(fs *flag.FlagSet) {
	o.maxField = 1 << 20
	o.maxUnzip = xlsxio.DefaultMaxUnzip
	o.maxXML = xlsxio.DefaultMaxXML
	fs.Func("input-format", "read every INPUT as `F`: csv, tsv, jsonl, parquet or xlsx (default: by content, then by name)", func(s string) (err error) {
		o.inFormat, err = fileio.ParseFormat(s)
		return err
	})
	fs.Func("output-format", "write -o and --domains as `F` (csv, tsv, jsonl, parquet, xlsx) when their names name no format, or are -", func(s string) (err error) {
		o.outFormat, err = fileio.ParseFormat(s)
		return err
	})
	fs.Func("delimiter", "CSV field separator `C` of the inputs: , ; | tab or any one character (default: sniffed from , ; tab |)", func(s string) (err error) {
		o.delimiter, err = parseDelimiter(s)
		return err
	})
	fs.Func("out-delimiter", "CSV output field separator `C` (default: the input's)", func(s string) (err error) {
		o.outDelimiter, err = parseDelimiter(s)
		return err
	})
	fs.Func("encoding", "the inputs' text encoding `NAME` (IANA: windows-1252, iso-8859-1, iso-8859-15, ...; default UTF-8, or UTF-16 by its byte order mark)", func(s string) error {
		if _, err := textio.Lookup(s); err != nil {
			return err
		}
		o.encoding = s
		return nil
	})
	fs.StringVar(&o.sheet, "sheet", "", "the workbook sheet `NAME` to read (default: the first)")
	fs.Var(&o.maxField, "max-field", "longest line or field of text input, in `BYTES` (suffix KiB, MiB, GiB)")
	fs.Var(&o.maxUnzip, "xlsx-max-unzip", "most `BYTES` a workbook may expand to, all its parts together")
	fs.Var(&o.maxXML, "xlsx-max-xml", "most `BYTES` of a workbook part held in memory; a larger sheet is unpacked to a temporary file")
}

// readOptions are the options of every input.
func (o *inputOptions) readOptions() tableio.ReadOptions {
	return tableio.ReadOptions{
		Format:    o.inFormat,
		Delimiter: o.delimiter,
		Encoding:  o.encoding,
		Sheet:     o.sheet,
		MaxField:  int(o.maxField),
		MaxUnzip:  int64(o.maxUnzip),
		MaxXML:    int64(o.maxXML),
	}
}

// outputFormat is the --output-format of an output path whose name names
// no format, or that is -; 0 when the name decides.
func (o *inputOptions) outputFormat(path string) fileio.Format {
	if path == fileio.Stdio {
		return o.outFormat
	}
	if _, _, err := fileio.FormatOf(path); err != nil {
		return o.outFormat
	}
	return 0
}

// writeOptions are an output's options; first is the first input, whose
// separator and byte order mark a CSV or TSV output keeps. It is called
// once the input has been opened.
func (o *inputOptions) writeOptions(path string, first *tableio.Source) tableio.WriteOptions {
	w := tableio.WriteOptions{Format: o.outputFormat(path), Delimiter: o.outDelimiter}
	comma, bom := first.Text()
	w.BOM = bom
	if w.Delimiter == 0 && first.Format() == fileio.CSV {
		w.Delimiter = comma
	}
	return w
}

// readAs is what the summary says of the inputs not read as their names
// say.
func readAs(sources []*tableio.Source, sum *pipeline.Summary) {
	for _, s := range sources {
		if d := s.ReadAs(); d != "" {
			if sum.ReadAs == nil {
				sum.ReadAs = make(map[string]string)
			}
			sum.ReadAs[s.Name()] = d
		}
	}
}

// checkInputOptions checks what the flags cannot check alone.
func (o *inputOptions) checkInputOptions() error {
	if o.maxField < 1<<10 {
		return fmt.Errorf("%w: --max-field must be at least 1KiB", errUsage)
	}
	if o.maxXML > o.maxUnzip {
		return fmt.Errorf("%w: --xlsx-max-xml cannot be above --xlsx-max-unzip", errUsage)
	}
	return nil
}

// parseDelimiter reads a separator: one character, or tab spelt out.
func parseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "tab", `\t`, "\t":
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' || r == 0 {
		return 0, fmt.Errorf("bad delimiter %q: want one character other than a quote or line break, or tab", s)
	}
	return r, nil
}

// size is a flag of bytes, with an optional binary suffix.
type size int64

func (s *size) String() string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if *s >= size(u.n) && int64(*s)%u.n == 0 {
			return strconv.FormatInt(int64(*s)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(*s), 10)
}

func (s *size) Set(v string) error {
	num, mult := strings.TrimSpace(v), int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if strings.HasSuffix(strings.ToLower(num), u.suffix) {
			num, mult = strings.TrimSpace(num[:len(num)-len(u.suffix)]), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return fmt.Errorf("bad size %q: want a positive number of bytes, e.g. 1048576, 512KiB or 1MiB", v)
	}
	*s = size(n * mult)
	return nil
}
