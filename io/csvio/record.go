package csvio

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/mxverify/mxverify/io/rowio"
)

// This file reads the records that plainLine leaves: those with quotes,
// carriage returns, a wrong number of fields, or lines longer than the
// buffer. It follows encoding/csv's readRecord (strict quotes, blank lines
// skipped, the same errors at the same lines and columns) with one
// difference: a line break inside a quoted field keeps its bytes. RFC 4180
// makes CR LF inside quotes part of the field, and encoding/csv's LF would
// change the data between a list and its results. A record's own line end
// is never part of its last field.

// position is where a field starts, for errors.
type position struct{ line, col int }

// readLine returns the next line with its line end, counting it. A CR LF
// line end comes back as LF, so that columns count as in encoding/csv, and
// crlf says that the CR is to be put back where the line end is a field's
// data. A last line without a line end loses a trailing CR, as in
// encoding/csv. The line is valid until the next read.
func (r *Reader) readLine() (line []byte, crlf bool, err error) {
	line, err = r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if r.maxField > 0 && len(r.long) > r.maxField {
				return nil, false, r.tooLong(r.lines + 1)
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if n := len(line); n > 0 && err == io.EOF {
		err = nil
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	r.lines++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
		crlf = true
	}
	return line, crlf, err
}

// lengthNL is 1 when b ends with its line end.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

func nextRune(b []byte) rune {
	c, _ := utf8.DecodeRune(b)
	return c
}

// readRecord reads the next record, skipping blank lines; io.EOF after the
// last. r.fieldPos holds where each field starts, for fieldCountError.
func (r *Reader) readRecord() (rowio.Row, error) {
	var line []byte
	var crlf bool
	var errRead error
	for errRead == nil {
		line, crlf, errRead = r.readLine()
		if errRead == nil && len(line) == lengthNL(line) {
			continue // a blank line
		}
		break
	}
	if errRead == io.EOF {
		return nil, io.EOF
	}

	var err error
	commaLen := utf8.RuneLen(r.sep)
	recLine := r.lines
	r.recBuf = r.recBuf[:0]
	r.fieldEnds = r.fieldEnds[:0]
	r.fieldPos = r.fieldPos[:0]
	pos := position{line: r.lines, col: 1}
parseField:
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexRune(line, r.sep)
			field := line
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				err = r.syntaxError(recLine, r.lines, pos.col+j, csv.ErrBareQuote)
				break parseField
			}
			r.recBuf = append(r.recBuf, field...)
			r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
			r.fieldPos = append(r.fieldPos, pos)
			if i >= 0 {
				line = line[i+commaLen:]
				pos.col += i + commaLen
				continue parseField
			}
			break parseField
		}

		// A quoted field.
		fieldPos := pos
		line = line[1:]
		pos.col++
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				r.recBuf = append(r.recBuf, line[:i]...)
				line = line[i+1:]
				pos.col += i + 1
				switch c := nextRune(line); {
				case c == '"': // a doubled quote
					r.recBuf = append(r.recBuf, '"')
					line = line[1:]
					pos.col++
				case c == r.sep: // the end of the field
					line = line[commaLen:]
					pos.col += commaLen
					r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
					r.fieldPos = append(r.fieldPos, fieldPos)
					continue parseField
				case lengthNL(line) == len(line): // the end of the record
					r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
					r.fieldPos = append(r.fieldPos, fieldPos)
					break parseField
				default: // text after the closing quote
					err = r.syntaxError(recLine, r.lines, pos.col-1, csv.ErrQuote)
					break parseField
				}
			case len(line) > 0:
				// The field goes on past this line's end, which is the
				// field's data: CR LF stays CR LF.
				if crlf {
					r.recBuf = append(r.recBuf, line[:len(line)-1]...)
					r.recBuf = append(r.recBuf, '\r', '\n')
				} else {
					r.recBuf = append(r.recBuf, line...)
				}
				if errRead != nil {
					break parseField
				}
				if r.maxField > 0 && len(r.recBuf) > r.maxField {
					err = r.tooLong(recLine)
					break parseField
				}
				pos.col += len(line)
				line, crlf, errRead = r.readLine()
				if len(line) > 0 {
					pos.line++
					pos.col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				// The input ended inside the quotes.
				if errRead == nil {
					err = r.syntaxError(recLine, pos.line, pos.col, csv.ErrQuote)
					break parseField
				}
				r.fieldEnds = append(r.fieldEnds, len(r.recBuf))
				r.fieldPos = append(r.fieldPos, fieldPos)
				break parseField
			}
		}
	}
	if err == nil && errRead != nil {
		if _, ok := errRead.(*rowio.PosError); ok {
			err = errRead
		} else {
			err = &rowio.PosError{Path: r.name, Line: r.lines, Err: errRead}
		}
	}
	if err != nil {
		return nil, err
	}

	// One string per record, the fields slices of it: one allocation.
	s := string(r.recBuf)
	row := make(rowio.Row, len(r.fieldEnds))
	start := 0
	for i, end := range r.fieldEnds {
		row[i] = s[start:end]
		start = end
	}
	return row, nil
}

// syntaxError places a quoting error. A quoted field can span lines, and an
// unclosed quote is only noticed at the end of the input, far from the
// quote itself: the error then names the line the record starts on too.
func (r *Reader) syntaxError(start, line, col int, err error) error {
	if start != line {
		err = fmt.Errorf("%w (in the record starting on line %d)", err, start)
	}
	return &rowio.PosError{Path: r.name, Line: line, Column: col, Err: err}
}

// ErrTooLong means a line, or a quoted field, is longer than
// Options.MaxField.
var ErrTooLong = errors.New("longer than the limit")

// tooLong reports a line or field past Options.MaxField at the line it
// starts on, with the bound.
func (r *Reader) tooLong(line int) error {
	r.long, r.recBuf = nil, nil // give the memory back at once
	return &rowio.PosError{Path: r.name, Line: line,
		Err: fmt.Errorf("a line or field %w of %d bytes (--max-field); is this a list at all?", ErrTooLong, r.maxField)}
}
