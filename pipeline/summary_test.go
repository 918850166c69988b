package pipeline

import (
	"strings"
	"testing"
)

// The summary's first line counts in words that agree with their numbers.
func TestWriteTextPlural(t *testing.T) {
	tests := []struct {
		sum  Summary
		want string
	}{
		{Summary{Rows: 1, Domains: 1, Queries: 1, Retries: 1, ElapsedSeconds: 1, QueriesPerSecond: 1},
			"mxverify: 1 row (0 invalid), 1 domain in 1.0s; 1 query (1/s, 1 retry)\n"},
		{Summary{Rows: 2, InvalidRows: 1, Domains: 0, Queries: 12, Retries: 3, ElapsedSeconds: 2, QueriesPerSecond: 6},
			"mxverify: 2 rows (1 invalid), 0 domains in 2.0s; 12 queries (6/s, 3 retries)\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		if err := tt.sum.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(b.String(), "\n"); first+"\n" != tt.want {
			t.Errorf("got  %q\nwant %q", first+"\n", tt.want)
		}
	}
	if got := count(1, "miss") + ", " + count(2, "miss") + ", " + count(2, "hit"); got != "1 miss, 2 misses, 2 hits" {
		t.Errorf("count: %q", got)
	}
}
