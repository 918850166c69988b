package verify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// TestQueryTimeout checks the timeout that the sockets' sweeper enforces:
// a lost query fails with ErrTimeout, never before its timeout, and a slow
// answer inside the timeout is taken.
func TestQueryTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   func(*dnstest.Server)
		timeout time.Duration
		err     error
	}{
		{"lost", func(s *dnstest.Server) { s.Drop(dnstest.AllNames) }, 150 * time.Millisecond, verify.ErrTimeout},
		{"lost, short timeout", func(s *dnstest.Server) { s.Drop(dnstest.AllNames) }, 5 * time.Millisecond, verify.ErrTimeout},
		{"slow", func(s *dnstest.Server) { s.Delay(dnstest.AllNames, 50*time.Millisecond) }, 2 * time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dnstest.New(t, rulesZone)
			tt.fault(srv)
			c, err := verify.NewClient(verify.ClientConfig{Servers: []string{srv.Addr()}, Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			ans, err := c.Query(context.Background(), "good.mxrules.net", dns.TypeMX)
			elapsed := time.Since(start)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if tt.err != nil {
				if elapsed < tt.timeout {
					t.Errorf("timed out after %v, before the %v timeout", elapsed, tt.timeout)
				}
				if st := c.Stats(); st.Timeouts != 1 {
					t.Errorf("stats count %d timeouts, want 1", st.Timeouts)
				}
				return
			}
			if len(ans.Reply.Answer) == 0 {
				t.Errorf("no answer records in %+v", ans.Reply)
			}
		})
	}
}
