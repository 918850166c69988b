package dnsclient_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnsclient"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// closedPort is a loopback UDP address no one listens on: the host
// answers a datagram to it with ICMP port unreachable.
func closedPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// Each query sent is reported to Observe once, as what became of it; a
// closed port says "connection refused", not "timeout".
func TestObserveOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		server func(t *testing.T) string
		err    error
		want   dnsclient.Outcome
	}{
		{"answered", func(t *testing.T) string { return dnstest.New(t, rulesZone).Addr() }, nil, dnsclient.Answered},
		{"SERVFAIL is an answer", func(t *testing.T) string {
			s := dnstest.New(t, rulesZone)
			s.ServFail(dnstest.AllNames)
			return s.Addr()
		}, dnsclient.ErrServFail, dnsclient.Answered},
		{"closed port", closedPort, dnsclient.ErrConnRefused, dnsclient.ConnRefused},
		{"silent", func(t *testing.T) string {
			s := dnstest.New(t, rulesZone)
			s.Drop(dnstest.AllNames)
			return s.Addr()
		}, dnsclient.ErrTimeout, dnsclient.TimedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var (
				mu  sync.Mutex
				got []dnsclient.Outcome
			)
			// A refused port must not wait for the timeout: a long one
			// makes a regression to "timeout" slow, and visible.
			timeout := 10 * time.Second
			if tt.want == dnsclient.TimedOut {
				timeout = 200 * time.Millisecond
			}
			c, err := dnsclient.New(dnsclient.Config{
				Servers: []string{tt.server(t)}, Timeout: timeout, Retries: 2, Backoff: time.Millisecond,
				Observe: func(server int, o dnsclient.Outcome) {
					mu.Lock()
					defer mu.Unlock()
					if server != 0 {
						t.Errorf("server index %d", server)
					}
					got = append(got, o)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _, err = c.Exchange(context.Background(), "good.mxrules.net", dns.TypeMX)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			mu.Lock()
			defer mu.Unlock()
			want := 1
			if tt.err != nil {
				want = 3 // two retries
			}
			if len(got) != want {
				t.Fatalf("%d outcomes %v, want %d", len(got), got, want)
			}
			for _, o := range got {
				if o != tt.want {
					t.Errorf("outcomes %v, want all %v", got, tt.want)
					break
				}
			}
		})
	}
}
