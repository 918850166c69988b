package dnsclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnsclient"
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
		{"lost", func(s *dnstest.Server) { s.Drop(dnstest.AllNames) }, 150 * time.Millisecond, dnsclient.ErrTimeout},
		{"lost, short timeout", func(s *dnstest.Server) { s.Drop(dnstest.AllNames) }, 5 * time.Millisecond, dnsclient.ErrTimeout},
		{"slow", func(s *dnstest.Server) { s.Delay(dnstest.AllNames, 50*time.Millisecond) }, 2 * time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := dnstest.New(t, rulesZone)
			tt.fault(srv)
			c, err := dnsclient.New(dnsclient.Config{Servers: []string{srv.Addr()}, Timeout: tt.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			ans, _, err := c.Exchange(context.Background(), "good.mxrules.net", dns.TypeMX)
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
			if len(ans.Answer) == 0 {
				t.Errorf("no answer records in %v", ans)
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
			c, err := dnsclient.New(dnsclient.Config{Servers: []string{srv.Addr()}, MaxInFlight: 1, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			errs := make(chan error, tt.queries)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, _, err := c.Exchange(context.Background(), "good.mxrules.net", dns.TypeA); err != nil {
				t.Fatal(err) // warm: the sockets' readers are up
			}
			srv.ResetCounts()
			for i := range tt.queries {
				qctx := context.Background()
				if i > 0 && i <= tt.cancelled {
					qctx = ctx
				}
				go func() {
					_, _, err := c.Exchange(qctx, "good.mxrules.net", dns.TypeMX)
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
			if _, _, err := c.Exchange(qctx, "good.mxrules.net", dns.TypeMX); err != nil {
				t.Errorf("query after the others: %v", err)
			}
		})
	}
}

const rulesZone = "../../testdata/zones/rules.zone"

// TestFaults runs the rules of Exchange against real servers on loopback
// that misbehave on purpose.
func TestFaults(t *testing.T) {
	t.Parallel()
	const name = "good.mxrules.net"
	none := func(*dnstest.Server) {}
	tests := []struct {
		name    string
		faults  []func(*dnstest.Server) // one server each
		retries int
		rcode   int   // of the answer, when err is nil
		err     error // errors.Is
		asked   []int // queries each server saw, UDP and TCP
		tcp     int   // of them over TCP
		retried int64
	}{
		{"SERVFAIL: the next server", []func(*dnstest.Server){func(s *dnstest.Server) { s.ServFail(name) }, none},
			1, dns.RcodeSuccess, nil, []int{1, 1}, 0, 1},
		{"REFUSED: the next server", []func(*dnstest.Server){func(s *dnstest.Server) { s.Refuse(name) }, none},
			1, dns.RcodeSuccess, nil, []int{1, 1}, 0, 1},
		{"lost: the next server", []func(*dnstest.Server){func(s *dnstest.Server) { s.Drop(name) }, none},
			1, dns.RcodeSuccess, nil, []int{1, 1}, 0, 1},
		{"lost everywhere", []func(*dnstest.Server){func(s *dnstest.Server) { s.Drop(name) }},
			2, 0, dnsclient.ErrTimeout, []int{3}, 0, 2},
		{"first two fail", []func(*dnstest.Server){func(s *dnstest.Server) { s.FailFirst(name, 2) }},
			2, dns.RcodeSuccess, nil, []int{3}, 0, 2},
		{"slow, inside the timeout", []func(*dnstest.Server){func(s *dnstest.Server) { s.Delay(name, 50*time.Millisecond) }},
			2, dns.RcodeSuccess, nil, []int{1}, 0, 0},
		{"truncated: TCP", []func(*dnstest.Server){func(s *dnstest.Server) { s.Truncate(name) }},
			0, dns.RcodeSuccess, nil, []int{2}, 1, 0},
		{"no EDNS: again without", []func(*dnstest.Server){func(s *dnstest.Server) { s.NoEDNS(name) }},
			0, dns.RcodeSuccess, nil, []int{2}, 0, 0},
		{"NOTIMP: the next server", []func(*dnstest.Server){func(s *dnstest.Server) { s.NotImp(name) }, none},
			0, dns.RcodeSuccess, nil, []int{1, 1}, 0, 0},
		{"NOTIMP everywhere", []func(*dnstest.Server){func(s *dnstest.Server) { s.NotImp(name) }, func(s *dnstest.Server) { s.NotImp(name) }},
			2, 0, dnsclient.ErrRcode, []int{1, 1}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := dnsclient.Config{Retries: tt.retries, Timeout: 300 * time.Millisecond}
			var srvs []*dnstest.Server
			for _, fault := range tt.faults {
				s := dnstest.New(t, rulesZone)
				fault(s)
				srvs = append(srvs, s)
				cfg.Servers = append(cfg.Servers, s.Addr())
			}
			c, err := dnsclient.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			m, _, err := c.Exchange(context.Background(), name, dns.TypeMX)
			switch {
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Errorf("error %v, want %v", err, tt.err)
			case tt.err == nil && err != nil:
				t.Errorf("error %v", err)
			case tt.err == nil && m.Rcode != tt.rcode:
				t.Errorf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
			tcp := 0
			for i, s := range srvs {
				if got := s.Queries(name, dns.TypeMX); got != tt.asked[i] {
					t.Errorf("server %d asked %d times, want %d", i, got, tt.asked[i])
				}
				tcp += s.QueriesTCP(name, dns.TypeMX)
			}
			st := c.Stats()
			if tcp != tt.tcp || st.TCP != int64(tt.tcp) {
				t.Errorf("%d TCP queries, %d counted, want %d", tcp, st.TCP, tt.tcp)
			}
			if st.Retries != tt.retried {
				t.Errorf("%d retries counted, want %d", st.Retries, tt.retried)
			}
		})
	}
}
