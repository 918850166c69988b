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

// TestQueuedQueries checks what waiting for an in-flight slot means: the
// timeout counts from the send, not from the wait, and a query whose
// context ends while it waits is never sent and holds no slot.
func TestQueuedQueries(t *testing.T) {
	t.Parallel()
	// Margins of most of a second, so that a busy machine does not turn
	// a slow answer into a timeout.
	const delay, timeout = 600 * time.Millisecond, 1500 * time.Millisecond
	tests := []struct {
		name string
		// queries run at once; cancelled ones have their context ended
		// while they wait behind the first.
		queries, cancelled int
		wantSent           int
	}{
		{"four through one slot, each inside its timeout", 4, 0, 4},
		{"cancelled while waiting", 3, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dnstest.New(t, rulesZone)
			srv.Delay(dnstest.AllNames, delay)
			// Each query takes 600 ms of its 1.5 s timeout; the last of
			// four waits 1.8 s for the slot before it is sent, and would
			// time out if the wait counted.
			c, err := verify.NewClient(verify.ClientConfig{Servers: []string{srv.Addr()}, MaxInFlight: 1, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			errs := make(chan error, tt.queries)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, err := c.Query(context.Background(), "good.mxrules.net", dns.TypeA); err != nil {
				t.Fatal(err) // warm: the sockets' readers are up
			}
			srv.ResetCounts()
			for i := range tt.queries {
				qctx := context.Background()
				if i > 0 && i <= tt.cancelled {
					qctx = ctx
				}
				go func() {
					_, err := c.Query(qctx, "good.mxrules.net", dns.TypeMX)
					errs <- err
				}()
				if i == 0 {
					// The first holds the slot once the server has it.
					for deadline := time.Now().Add(5 * time.Second); srv.Total() == 0 && time.Now().Before(deadline); {
						time.Sleep(time.Millisecond)
					}
				}
			}
			time.Sleep(delay / 5) // the others wait for the slot
			cancel()
			for range tt.queries {
				if err := <-errs; err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("query failed: %v", err)
				}
			}
			if got := srv.Total(); got != tt.wantSent {
				t.Errorf("server saw %d queries, want %d", got, tt.wantSent)
			}
			if st := c.Stats(); st.Timeouts != 0 || st.Retries != 0 {
				t.Errorf("stats %+v, want no timeouts or retries", st)
			}
			// Every slot came back: a query still goes through.
			qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer qcancel()
			if _, err := c.Query(qctx, "good.mxrules.net", dns.TypeMX); err != nil {
				t.Errorf("query after the others: %v", err)
			}
		})
	}
}
