package parquetio

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// jsonScanner splits the JSON text of one nested value into the tokens
// jsonParser reads, as json.Decoder.Token does, but without its cost:
// Token makes a new decoder's buffers for every value and allocates an
// error to find the end of every scalar, which made writing a list column
// four times slower than writing its JSON text. It holds the text, not a
// stream, and allocates only the strings and numbers it returns.
//
// It accepts exactly RFC 8259 JSON. Strings with escapes or invalid UTF-8
// are left to encoding/json, so they decode as they always have (invalid
// bytes become U+FFFD); numbers are returned as json.Number text, so that
// no value is rounded before its column's encoder sees it.
type jsonScanner struct {
	b   []byte
	pos int
}

// jsonSyntaxError is text that is not JSON, with where it stops being so.
type jsonSyntaxError struct {
	msg string
	off int
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.off, e.msg)
}

func (s *jsonScanner) fail(format string, args ...any) error {
	return &jsonSyntaxError{msg: fmt.Sprintf(format, args...), off: s.pos}
}

// unexpected reports the byte at s.pos, or the end of the text.
func (s *jsonScanner) unexpected(want string) error {
	if s.pos >= len(s.b) {
		return s.fail("unexpected end, want %s", want)
	}
	c, _ := utf8.DecodeRune(s.b[s.pos:])
	return s.fail("unexpected %q, want %s", c, want)
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// token reads the first token of a value: json.Delim('[') or ('{'), a
// string, a json.Number, a bool, or nil for null.
func (s *jsonScanner) token() (json.Token, error) {
	s.skipSpace()
	if s.pos >= len(s.b) {
		return nil, s.unexpected("a value")
	}
	switch c := s.b[s.pos]; {
	case c == '[' || c == '{':
		s.pos++
		return json.Delim(c), nil
	case c == '"':
		return s.str()
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	for _, lit := range [...]struct {
		text string
		v    json.Token
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(s.b)-s.pos >= len(lit.text) && string(s.b[s.pos:s.pos+len(lit.text)]) == lit.text {
			s.pos += len(lit.text)
			return lit.v, nil
		}
	}
	return nil, s.unexpected("a value")
}

// more reports whether the array or object being read, which ends with
// end, has another item, and reads the comma before it unless it would be
// the first. At the end it reads end. A comma before end is left for the
// item's reading to refuse.
func (s *jsonScanner) more(end byte, first bool) (bool, error) {
	s.skipSpace()
	if s.pos < len(s.b) && s.b[s.pos] == end {
		s.pos++
		return false, nil
	}
	if first {
		return true, nil
	}
	if s.pos >= len(s.b) || s.b[s.pos] != ',' {
		return false, s.unexpected(fmt.Sprintf("',' or '%c'", end))
	}
	s.pos++
	return true, nil
}

// key reads an object member's name and the colon after it.
func (s *jsonScanner) key() (string, error) {
	s.skipSpace()
	if s.pos >= len(s.b) || s.b[s.pos] != '"' {
		return "", s.unexpected("a member name")
	}
	k, err := s.str()
	if err != nil {
		return "", err
	}
	s.skipSpace()
	if s.pos >= len(s.b) || s.b[s.pos] != ':' {
		return "", s.unexpected("':'")
	}
	s.pos++
	return k, nil
}

// str reads a string whose quote is at s.pos.
func (s *jsonScanner) str() (string, error) {
	start := s.pos
	plain := true // no escape, no invalid UTF-8: the bytes are the string
	for i := start + 1; i < len(s.b); i++ {
		switch c := s.b[i]; {
		case c == '"':
			s.pos = i + 1
			if plain {
				return string(s.b[start+1 : i]), nil
			}
			var v string
			if err := json.Unmarshal(s.b[start:s.pos], &v); err != nil {
				s.pos = start
				return "", s.fail("invalid string: %v", err)
			}
			return v, nil
		case c == '\\':
			plain = false
			i++ // the escaped byte cannot end the string; json.Unmarshal checks it
		case c < 0x20:
			s.pos = i
			return "", s.fail("control character %#x in a string", c)
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s.b[i:])
			if r == utf8.RuneError && n == 1 {
				plain = false
			}
			i += n - 1
		}
	}
	s.pos = len(s.b)
	return "", s.fail("unexpected end in a string")
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() (json.Token, error) {
	start, i := s.pos, s.pos
	digits := func() int {
		n := 0
		for i < len(s.b) && s.b[i] >= '0' && s.b[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	if s.b[i] == '-' {
		i++
	}
	switch {
	case i < len(s.b) && s.b[i] == '0':
		i++
	case digits() == 0:
		s.pos = i
		return nil, s.unexpected("a digit")
	}
	if i < len(s.b) && s.b[i] == '.' {
		i++
		if digits() == 0 {
			s.pos = i
			return nil, s.unexpected("a digit")
		}
	}
	if i < len(s.b) && (s.b[i] == 'e' || s.b[i] == 'E') {
		i++
		if i < len(s.b) && (s.b[i] == '+' || s.b[i] == '-') {
			i++
		}
		if digits() == 0 {
			s.pos = i
			return nil, s.unexpected("a digit")
		}
	}
	s.pos = i
	return json.Number(s.b[start:i]), nil
}

// end checks that nothing but spaces follows the value.
func (s *jsonScanner) end() error {
	s.skipSpace()
	if s.pos < len(s.b) {
		return s.unexpected("the end after the value")
	}
	return nil
}
