package verify

import "testing"

// TestNoLimit checks where a rate stops being a limit: below NoLimitQPS
// queries take tokens, from it up they skip the limiter.
func TestNoLimit(t *testing.T) {
	for _, tt := range []struct {
		qps     float64
		limited bool
	}{
		{0, false},
		{500, true},
		{NoLimitQPS - 1, true},
		{NoLimitQPS, false},
		{1e9, false},
	} {
		c, err := NewClient(ClientConfig{Servers: []string{"127.0.0.1:53"}, QPS: tt.qps})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.limiter != nil; got != tt.limited {
			t.Errorf("--qps %g: limited %v, want %v", tt.qps, got, tt.limited)
		}
		c.Close()
	}
}
