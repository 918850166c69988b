package xlsxio

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// A cell holds a date as a day count that its number format shows as a
// date, in whatever pattern the author's locale used (3/14/24, 14.03.2024).
// isoDates points every date or time format of the workbook at an ISO 8601
// one instead, so that excelize's formatting, which still shows numbers as
// Excel does, writes dates one way for every list.

type dateKind int

const (
	notDate dateKind = iota
	dateOnly
	dateTime
	timeOnly
)

var isoCode = map[dateKind]string{
	dateOnly: "yyyy-mm-dd",
	dateTime: `yyyy-mm-dd"T"hh:mm:ss`,
	timeOnly: "hh:mm:ss",
}

// builtinKind is the kind of the built-in formats (ECMA-376 18.8.30) that
// show dates or times.
func builtinKind(id int) dateKind {
	switch {
	case id >= 14 && id <= 17:
		return dateOnly
	case id == 22:
		return dateTime
	case id >= 18 && id <= 21, id >= 45 && id <= 47:
		return timeOnly
	case id >= 27 && id <= 31, id >= 50 && id <= 58:
		return dateOnly // East Asian date formats
	}
	return notDate
}

// codeKind reads a format code: letters y and d make a date, h and s a
// time, outside quoted text, escapes and [colour] or [$-locale] brackets.
// An elapsed time ([h]) is a duration, not a time of day: left alone.
func codeKind(code string) dateKind {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the positive section decides
	}
	lc := strings.ToLower(code)
	if strings.Contains(lc, "[h") || strings.Contains(lc, "[m") || strings.Contains(lc, "[s") {
		return notDate
	}
	date, clock := false, false
	for i := 0; i < len(lc); i++ {
		switch c := lc[i]; c {
		case '"':
			if j := strings.IndexByte(lc[i+1:], '"'); j >= 0 {
				i += j + 1
			}
		case '\\', '_', '*':
			i++
		case '[':
			if j := strings.IndexByte(lc[i:], ']'); j >= 0 {
				i += j
			}
		case 'y', 'd':
			date = true
		case 'h', 's':
			clock = true
		}
	}
	switch {
	case date && clock:
		return dateTime
	case date:
		return dateOnly
	case clock:
		return timeOnly
	}
	return notDate
}

func isoDates(f *excelize.File) {
	if f.Styles == nil || f.Styles.CellXfs == nil {
		return
	}
	custom := map[int]string{}
	if f.Styles.NumFmts != nil {
		for _, nf := range f.Styles.NumFmts.NumFmt {
			code := nf.FormatCode
			if nf.FormatCode16 != "" {
				code = nf.FormatCode16
			}
			custom[nf.NumFmtID] = code
		}
	}
	n := len(f.Styles.CellXfs.Xf)
	kinds := make([]dateKind, n)
	need := map[dateKind]bool{}
	for i := range n {
		id := f.Styles.CellXfs.Xf[i].NumFmtID
		if id == nil {
			continue
		}
		if code, ok := custom[*id]; ok {
			kinds[i] = codeKind(code)
		} else {
			kinds[i] = builtinKind(*id)
		}
		if kinds[i] != notDate {
			need[kinds[i]] = true
		}
	}
	ids := map[dateKind]int{}
	for k := range need {
		code := isoCode[k]
		style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil || style >= len(f.Styles.CellXfs.Xf) || f.Styles.CellXfs.Xf[style].NumFmtID == nil {
			continue // the dates keep the author's format
		}
		ids[k] = *f.Styles.CellXfs.Xf[style].NumFmtID
	}
	for i, k := range kinds {
		if id, ok := ids[k]; ok {
			f.Styles.CellXfs.Xf[i].NumFmtID = &id
		}
	}
}
