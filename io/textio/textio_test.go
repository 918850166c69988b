package textio_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/mxverify/mxverify/io/textio"
)

func utf16(t *testing.T, order unicode.Endianness, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	cp1252, _ := charmap.Windows1252.NewEncoder().Bytes([]byte("email,name\na@x.net,José – “café” €\n"))
	tests := []struct {
		name   string
		in     []byte
		enc    string
		want   string
		info   textio.Info
		errIs  error
		errMsg string
	}{
		{"utf-8", []byte("email\nZoë\n"), "", "email\nZoë\n", textio.Info{Encoding: "utf-8"}, nil, ""},
		{"utf-8 with bom", []byte("\uFEFFemail\nZoë\n"), "", "email\nZoë\n", textio.Info{Encoding: "utf-8", BOM: true}, nil, ""},
		{"utf-16le", utf16(t, unicode.LittleEndian, "email\tname\nŁukasz\n"), "", "email\tname\nŁukasz\n", textio.Info{Encoding: "utf-16le", BOM: true}, nil, ""},
		{"utf-16be", utf16(t, unicode.BigEndian, "email\nZoë\n"), "", "email\nZoë\n", textio.Info{Encoding: "utf-16be", BOM: true}, nil, ""},
		{"bom wins over a name", utf16(t, unicode.LittleEndian, "email\n"), "windows-1252", "email\n", textio.Info{Encoding: "utf-16le", BOM: true}, nil, ""},
		{"windows-1252", cp1252, "windows-1252", "email,name\na@x.net,José – “café” €\n", textio.Info{Encoding: "windows-1252"}, nil, ""},
		{"cp1252 alias", cp1252, "CP1252", "email,name\na@x.net,José – “café” €\n", textio.Info{Encoding: "windows-1252"}, nil, ""},
		{"latin1", []byte("Jos\xe9\n"), "latin1", "José\n", textio.Info{Encoding: "iso-8859-1"}, nil, ""},
		{"invalid utf-8", cp1252, "", "email,name\na@x.net,Jos", textio.Info{Encoding: "utf-8"}, textio.ErrInvalidUTF8, "byte 22: not valid UTF-8; if the list is in a legacy encoding, name it, e.g. --encoding windows-1252"},
		{"cut sequence at the end", []byte("ab\xc3"), "", "ab", textio.Info{Encoding: "utf-8"}, textio.ErrInvalidUTF8, "byte 2"},
		{"unknown", []byte("x"), "klingon", "", textio.Info{}, textio.ErrUnknownEncoding, `unknown encoding "klingon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time: sequences cut between reads must pass.
			r, info, err := textio.Decode(iotest.OneByteReader(bytes.NewReader(tt.in)), tt.enc)
			var got []byte
			if err == nil {
				if info != tt.info {
					t.Errorf("info %+v, want %+v", info, tt.info)
				}
				got, err = io.ReadAll(r)
			}
			if string(got) != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			switch {
			case tt.errIs == nil && err != nil:
				t.Errorf("error %v", err)
			case tt.errIs != nil && (!errors.Is(err, tt.errIs) || !strings.Contains(err.Error(), tt.errMsg)):
				t.Errorf("error %v, want %v saying %q", err, tt.errIs, tt.errMsg)
			}
		})
	}
}

// The offset and line of invalid UTF-8 far into a long input, read in
// large chunks as the list readers do.
func TestInvalidPlace(t *testing.T) {
	var b bytes.Buffer
	for range 10000 {
		b.WriteString("someone@example.net,Zoë\n")
	}
	off := b.Len() + len("x@y.net,Jos")
	b.WriteString("x@y.net,Jos\xe9\n")
	r, _, err := textio.Decode(&b, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	var ie *textio.InvalidError
	if !errors.As(err, &ie) || ie.Offset != int64(off) || ie.Line != 10001 {
		t.Fatalf("error %v (%+v), want byte %d on line 10001", err, ie, off)
	}
}
