package csvio

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/rowio"
)

const writeBufSize = 64 << 10

// table writes records with the quoting rules of encoding/csv and RFC 4180
// line ends. It does not use csv.Writer because that writer, with CRLF line
// ends, silently drops a carriage return inside a field and writes a
// record of one empty field as a blank line, which readers skip: both
// would change the data between input and output.
type table struct {
	bw    *bufio.Writer
	comma rune
}

func newTable(w io.Writer, comma rune) (*table, error) {
	if !validComma(comma) {
		return nil, fmt.Errorf("csv: invalid field separator %q", comma)
	}
	return &table{bw: bufio.NewWriterSize(w, writeBufSize), comma: comma}, nil
}

// write writes one record. bufio.Writer errors are sticky, so checking the
// last write is enough.
func (t *table) write(rec []string) error {
	for i, f := range rec {
		if i > 0 {
			t.bw.WriteRune(t.comma)
		}
		t.field(f, len(rec) == 1)
	}
	_, err := t.bw.WriteString("\r\n")
	return err
}

// field writes one field, quoted if it must be. A record of one empty
// field is quoted, since an empty line is skipped by readers.
func (t *table) field(f string, alone bool) {
	if !t.needsQuotes(f) && (f != "" || !alone) {
		t.bw.WriteString(f)
		return
	}
	t.bw.WriteByte('"')
	for {
		j := strings.IndexByte(f, '"')
		if j < 0 {
			t.bw.WriteString(f)
			break
		}
		t.bw.WriteString(f[:j+1])
		t.bw.WriteByte('"')
		f = f[j+1:]
	}
	t.bw.WriteByte('"')
}

// needsQuotes follows csv.Writer: separators, quotes and line breaks must
// be quoted, and so must what quotedForItsStart says.
func (t *table) needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	// IndexByte is vectorised: four passes over a long reason beat one
	// byte loop.
	if strings.IndexByte(f, '"') >= 0 || strings.IndexByte(f, '\n') >= 0 || strings.IndexByte(f, '\r') >= 0 ||
		strings.ContainsRune(f, t.comma) {
		return true
	}
	// A rune's worth is all the rule reads: copying no more keeps the
	// conversion on the stack.
	return quotedForItsStart([]byte(f[:min(len(f), utf8.UTFMax)]))
}

// quotedForItsStart reports the fields that need quotes for how they
// start, not for what they hold: a leading space, which other tools would
// trim, and the PostgreSQL end-of-data marker. It takes bytes so that the
// reader can ask it of a line's fields (Reader.ReadRaw) without making
// strings of them.
func quotedForItsStart(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if c := f[0]; c < utf8.RuneSelf {
		return asciiSpace[c] || string(f) == `\.`
	}
	r, _ := utf8.DecodeRune(f)
	return unicode.IsSpace(r)
}

// asciiSpace is unicode.IsSpace below utf8.RuneSelf.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func (t *table) flush() error { return t.bw.Flush() }

// Writer writes rows as CSV or TSV, quoting only the fields that need it. It
// implements rowio.Writer.
type Writer struct {
	t   *table
	n   int
	rec []string // reused from row to row
}

// NewWriter writes the header row and returns a writer for rows of those
// columns. comma is ',' for CSV and '\t' for TSV.
func NewWriter(w io.Writer, columns []string, comma rune) (*Writer, error) {
	return NewWriterBOM(w, columns, comma, false)
}

// NewWriterBOM is NewWriter that, with bom set, starts the output with a
// UTF-8 byte order mark: Excel reads a CSV without one in the system's
// legacy code page and garbles accents.
func NewWriterBOM(w io.Writer, columns []string, comma rune, bom bool) (*Writer, error) {
	t, err := newTable(w, comma)
	if err != nil {
		return nil, err
	}
	if bom {
		t.bw.Write(bomBytes)
	}
	if err := t.write(columns); err != nil {
		return nil, fmt.Errorf("csv: write header: %w", err)
	}
	return &Writer{t: t, n: len(columns), rec: make([]string, len(columns))}, nil
}

// Write writes one row, rendering values with rowio.Text.
func (w *Writer) Write(row rowio.Row) error {
	if len(row) != w.n {
		return fmt.Errorf("csv: write: row has %d values for %d columns", len(row), w.n)
	}
	for i, v := range row {
		w.rec[i] = rowio.Text(v)
	}
	if err := w.t.write(w.rec); err != nil {
		return fmt.Errorf("csv: write: %w", err)
	}
	return nil
}

// Close flushes buffered rows. It does not close the underlying writer.
func (w *Writer) Close() error {
	if err := w.t.flush(); err != nil {
		return fmt.Errorf("csv: flush: %w", err)
	}
	return nil
}
