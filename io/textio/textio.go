// Package textio turns the bytes of a text list into UTF-8, whatever a
// spreadsheet or CRM saved it as: UTF-8 with or without a byte order mark,
// UTF-16 with one (Excel's "Unicode text"), or a single-byte legacy
// encoding the user names. Text that claims to be UTF-8 is checked as it is
// read, so that a Windows-1252 file fails at its first accent with the
// byte offset, instead of writing mojibake into the results.
package textio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// ErrInvalidUTF8 means text without a named encoding holds a byte sequence
// that is not UTF-8.
var ErrInvalidUTF8 = errors.New("not valid UTF-8")

// ErrUnknownEncoding means --encoding names no encoding this build knows.
var ErrUnknownEncoding = errors.New("unknown encoding")

// BOM is the UTF-8 byte order mark.
var BOM = []byte{0xEF, 0xBB, 0xBF}

// Info is what Decode learnt of the text's encoding.
type Info struct {
	// Encoding names it: "utf-8", "utf-16le", "utf-16be", or the name
	// given.
	Encoding string
	// BOM is true when the input began with a byte order mark (UTF-8 or
	// UTF-16): an output of it then starts with a UTF-8 one, which Excel
	// needs to show accents.
	BOM bool
}

// Lookup finds an encoding by its IANA name or alias (windows-1252,
// latin1, iso-8859-15, cp850...), in any case.
func Lookup(name string) (encoding.Encoding, error) {
	e, err := ianaindex.IANA.Encoding(strings.TrimSpace(name))
	if err != nil || e == nil {
		// ianaindex knows names it has no encoder for; a few
		// spellings users type are not IANA names.
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "cp1252", "windows1252":
			return charmap.Windows1252, nil
		case "latin-1":
			return charmap.ISO8859_1, nil
		}
		return nil, fmt.Errorf("%w %q: want an IANA name such as windows-1252, iso-8859-1, iso-8859-15 or utf-16", ErrUnknownEncoding, name)
	}
	return e, nil
}

// Decode returns a reader of r's text as UTF-8, without a byte order mark.
// With enc empty the text is UTF-8 (checked as it is read, see
// ErrInvalidUTF8) unless a UTF-16 byte order mark says otherwise; a named
// enc is used as it is, except that a UTF-8 or UTF-16 byte order mark wins
// over it.
func Decode(r io.Reader, enc string) (io.Reader, Info, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	head, err := br.Peek(3)
	if err != nil && err != io.EOF {
		return nil, Info{}, err
	}
	switch {
	case bytes.HasPrefix(head, BOM):
		br.Discard(len(BOM))
		return newValidator(br), Info{Encoding: "utf-8", BOM: true}, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		d := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return d.Reader(br), Info{Encoding: "utf-16le", BOM: true}, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		d := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return d.Reader(br), Info{Encoding: "utf-16be", BOM: true}, nil
	}
	if enc == "" {
		return newValidator(br), Info{Encoding: "utf-8"}, nil
	}
	e, err := Lookup(enc)
	if err != nil {
		return nil, Info{}, err
	}
	name, _ := ianaindex.MIME.Name(e)
	if name == "" {
		name, _ = ianaindex.IANA.Name(e)
	}
	if name == "" {
		name = strings.ToLower(enc)
	}
	if e == unicode.UTF8 {
		return newValidator(br), Info{Encoding: "utf-8"}, nil
	}
	return e.NewDecoder().Reader(br), Info{Encoding: strings.ToLower(name)}, nil
}

// validator passes UTF-8 through and fails at the first invalid sequence,
// naming its byte offset and line. utf8.Valid on each chunk costs little
// next to parsing it.
type validator struct {
	r     io.Reader
	off   int64 // bytes passed on so far
	lines int   // line ends passed on so far
	carry []byte
	err   error
}

func newValidator(r io.Reader) *validator { return &validator{r: r} }

// InvalidError places invalid UTF-8.
type InvalidError struct {
	Offset int64 // 0-based byte offset in the decompressed text
	Line   int   // 1-based
}

func (e *InvalidError) Error() string {
	// The readers above put the line in front.
	return fmt.Sprintf("byte %d: %v; if the list is in a legacy encoding, name it, e.g. --encoding windows-1252",
		e.Offset, ErrInvalidUTF8)
}

func (e *InvalidError) Unwrap() error { return ErrInvalidUTF8 }

func (v *validator) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if len(p) <= utf8.UTFMax {
		// Too small to hold back an incomplete sequence: read through
		// a buffer of our own.
		var buf [64]byte
		n, err := v.Read(buf[:])
		copy(p, buf[:n])
		if n > len(p) {
			v.carry = append(append([]byte(nil), buf[len(p):n]...), v.carry...)
			n = len(p)
		}
		return n, err
	}
	n := copy(p, v.carry)
	v.carry = v.carry[:0]
	m, err := v.r.Read(p[n:])
	n += m
	// Hold back an incomplete sequence at the end for the next read,
	// unless the input ends here.
	keep := 0
	if err == nil {
		keep = incomplete(p[:n])
	}
	good := n - keep
	if !utf8.Valid(p[:good]) {
		i := firstInvalid(p[:good])
		v.err = &InvalidError{Offset: v.off + int64(i), Line: v.lines + 1 + bytes.Count(p[:i], []byte{'\n'})}
		// The bytes before it still count, so that a reader sees the
		// rows up to it.
		v.off += int64(i)
		return i, v.err
	}
	v.carry = append(v.carry, p[good:n]...)
	v.off += int64(good)
	v.lines += bytes.Count(p[:good], []byte{'\n'})
	if err != nil {
		v.err = err
	}
	return good, err
}

// incomplete is the length of a UTF-8 sequence cut off at b's end.
func incomplete(b []byte) int {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return i
			}
			return 0
		}
	}
	return 0
}

func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}
