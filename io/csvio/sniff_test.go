package csvio_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/io/csvio"
)

func TestSniffDelimiter(t *testing.T) {
	tests := []struct {
		name     string
		head     string
		atEOF    bool
		fallback rune
		want     rune
		err      error
	}{
		{"comma", "email,name\na@x.net,A\n", true, ',', ',', nil},
		{"semicolon", "email;name\na@x.net;A, B\n", true, ',', ';', nil},
		{"tab", "email\tname\na@x.net\tA;B\n", true, ',', '\t', nil},
		{"pipe", "email|name\na@x.net|A\n", true, ',', '|', nil},
		{"comma first when both fit", "a,b;c\n1,2;3\n", true, ',', ',', nil},
		{"quotes hide separators", "email;note\na@x.net;\"x;y\"\nb@x.net;\"multi\nline;z\"\n", true, ',', ';', nil},
		{"one column", "email\na@x.net\nb@x.net\n", true, '\t', '\t', nil},
		{"cut last record ignored", "email;name\na@x.net;A\nb@x.net;B;C;D", false, ',', ';', nil},
		{"cut quoted record ignored", "email;name\na@x.net;\"open", false, ',', ';', nil},
		{"ragged comma list kept for its error", "email,name\na@x.net,A,B\n", true, ',', ',', nil},
		{"blank lines skipped", "email;name\n\n\r\na@x.net;A\n", true, ',', ';', nil},
		{"nothing fits", "email;name\na@x.net;A;x\nb@x.net\n", true, ',', 0, csvio.ErrNoDelimiter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := csvio.SniffDelimiter([]byte(tt.head), tt.atEOF, tt.fallback)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Fatalf("SniffDelimiter = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
			if err != nil && !strings.Contains(err.Error(), "',' ';' TAB '|'") {
				t.Errorf("error %q does not name the separators tried", err)
			}
		})
	}
}

// A line past MaxField fails at its line, without reading it all.
func TestMaxField(t *testing.T) {
	for _, text := range []string{
		"email\n" + strings.Repeat("x", 1<<20) + "\n",
		"email\n\"" + strings.Repeat("x\n", 1<<19) + "\"\n",
	} {
		r, err := csvio.NewReaderOptions(strings.NewReader(text), "l.csv", ',', csvio.Options{MaxField: 64 << 10})
		if err == nil {
			_, err = r.Read()
		}
		if !errors.Is(err, csvio.ErrTooLong) || !strings.HasPrefix(err.Error(), "l.csv:2: ") {
			t.Errorf("error %v, want ErrTooLong at l.csv:2", err)
		}
	}
}
