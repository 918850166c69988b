package csvio

import (
	"errors"
	"fmt"
)

// Delimiters are the separators SniffDelimiter tries, in order: comma
// first, then what European Excel, tab-separated exports and some CRMs
// write.
var Delimiters = []rune{',', ';', '\t', '|'}

// ErrNoDelimiter means none of Delimiters splits the first lines of a list
// into the same number of fields.
var ErrNoDelimiter = errors.New("no field separator fits")

// sniffLines is how many records the sniffer looks at, at most.
const sniffLines = 100

// SniffDelimiter picks the separator of a CSV text from its start: the
// first of Delimiters that splits every sampled record (quotes honoured)
// into the same number of fields, more than one. head is the start of the
// text; unless atEOF, its last record may be cut and is not sampled. A
// text no separator splits at all is a list of one column, read with
// fallback. A text that fallback splits in its first record is read with
// it too, so that a ragged row is reported where it is; any other text is
// an ErrNoDelimiter that names the separators tried.
func SniffDelimiter(head []byte, atEOF bool, fallback rune) (rune, error) {
	var counts [][]int // per delimiter, per record
	for _, d := range Delimiters {
		counts = append(counts, fieldCounts(head, atEOF, byte(d)))
	}
	split := false
	for i, d := range Delimiters {
		c := counts[i]
		if len(c) == 0 {
			continue
		}
		same := c[0] > 1
		for _, n := range c {
			same = same && n == c[0]
			split = split || n > 1
		}
		if same {
			return d, nil
		}
	}
	if !split {
		return fallback, nil
	}
	if fallback < 128 {
		if c := fieldCounts(head, atEOF, byte(fallback)); len(c) > 0 && c[0] > 1 {
			return fallback, nil
		}
	}
	n := 0
	if len(counts) > 0 {
		n = len(counts[0])
	}
	return 0, fmt.Errorf("%w: tried %s, and none splits each of the first %d lines into the same number of fields; name it with --delimiter",
		ErrNoDelimiter, delimiterNames(), n)
}

func delimiterNames() string {
	s := ""
	for i, d := range Delimiters {
		if i > 0 {
			s += " "
		}
		s += DelimiterName(d)
	}
	return s
}

// DelimiterName spells a separator for messages: TAB for a tab.
func DelimiterName(d rune) string {
	if d == '\t' {
		return "TAB"
	}
	return fmt.Sprintf("'%c'", d)
}

// fieldCounts splits the complete records of head at d, honouring
// quotes, and returns the number of fields of each, blank lines skipped.
func fieldCounts(head []byte, atEOF bool, d byte) []int {
	var counts []int
	quoted, fields, blank := false, 1, true
	for _, c := range head {
		if len(counts) == sniffLines {
			return counts
		}
		switch {
		case c == '"':
			quoted = !quoted // a doubled quote toggles twice
			blank = false
		case quoted:
		case c == d:
			fields++
			blank = false
		case c == '\n':
			if !blank {
				counts = append(counts, fields)
			}
			fields, blank = 1, true
		case c != '\r':
			blank = false
		}
	}
	if atEOF && !blank && !quoted && len(counts) < sniffLines {
		counts = append(counts, fields)
	}
	return counts
}
