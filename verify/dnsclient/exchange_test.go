package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/time/rate"
)

// server is a scripted server's behaviour, for the fake exchange.
type server string

const (
	answers  server = "answers"
	nxdomain server = "nxdomain"
	servfail server = "servfail"
	refused  server = "refused"
	notimp   server = "notimp"
	formerr  server = "formerr"   // FORMERR with an OPT record: it knows EDNS
	noEDNS   server = "no-edns"   // FORMERR without OPT to EDNS, answers without
	oldBroke server = "old-broke" // FORMERR without OPT, with or without EDNS
	silent   server = "silent"    // times out
	referrer server = "referrer"  // NS records instead of an answer
	truncOK  server = "truncates" // TC=1 over UDP, the answer over TCP
)

func (s server) reply(q *dns.Msg, tcp bool) (*dns.Msg, error) {
	r := new(dns.Msg).SetReply(q)
	edns := q.IsEdns0() != nil
	switch {
	case s == nxdomain:
		r.Rcode = dns.RcodeNameError
	case s == servfail:
		r.Rcode = dns.RcodeServerFailure
	case s == refused:
		r.Rcode = dns.RcodeRefused
	case s == notimp:
		r.Rcode = dns.RcodeNotImplemented
	case s == formerr:
		r.Rcode = dns.RcodeFormatError
		r.SetEdns0(1232, false)
	case s == oldBroke, s == noEDNS && edns:
		r.Rcode = dns.RcodeFormatError
	case s == silent:
		return nil, ErrTimeout
	case s == referrer:
		ns, _ := dns.NewRR("net. 3600 IN NS ns.elsewhere.")
		r.Ns = append(r.Ns, ns)
	case s == truncOK && !tcp:
		r.Truncated = true
	default:
		mx, _ := dns.NewRR(q.Question[0].Name + " 300 IN MX 10 mx.example.net.")
		r.Answer = append(r.Answer, mx)
	}
	return r, nil
}

// fakeClient is a Client whose exchange asks scripted servers, and the
// log of what it sent: "server/udp", "server/udp-noedns", "server/tcp".
func fakeClient(retries int, servers ...server) (*Client, *[]string) {
	c := &Client{cfg: Config{Retries: retries, Backoff: time.Microsecond}}
	var mu sync.Mutex
	var sent []string
	for i := range servers {
		c.servers = append(c.servers, fmt.Sprint(i))
	}
	c.exchange = func(_ context.Context, i int, q dns.Question, edns, tcp bool) (*dns.Msg, error) {
		how := "udp"
		switch {
		case tcp:
			how = "tcp"
		case !edns:
			how = "udp-noedns"
		}
		mu.Lock()
		sent = append(sent, fmt.Sprintf("%d/%s", i, how))
		mu.Unlock()
		return servers[i].reply(newQuery(q, edns), tcp)
	}
	return c, &sent
}

// TestExchangeRules holds Exchange to its table of cases: which answers
// are final, which are retried on the next server, which skip a server,
// and the fall-backs without EDNS and over TCP.
func TestExchangeRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		servers []server
		retries int
		rcode   int   // of the answer, when err is nil
		err     error // errors.Is
		sent    string
		retried int64
	}{
		{"answer", []server{answers}, 2, dns.RcodeSuccess, nil, "0/udp", 0},
		{"NXDOMAIN is final", []server{nxdomain, answers}, 2, dns.RcodeNameError, nil, "0/udp", 0},
		{"SERVFAIL: the next server", []server{servfail, answers}, 1, dns.RcodeSuccess, nil, "0/udp 1/udp", 1},
		{"REFUSED: the next server", []server{refused, answers}, 1, dns.RcodeSuccess, nil, "0/udp 1/udp", 1},
		{"timeout: the next server", []server{silent, answers}, 1, dns.RcodeSuccess, nil, "0/udp 1/udp", 1},
		{"referral: the next server", []server{referrer, answers}, 1, dns.RcodeSuccess, nil, "0/udp 1/udp", 1},
		{"no retries", []server{servfail, answers}, 0, 0, ErrServFail, "0/udp", 0},
		{"retries spent", []server{servfail}, 2, 0, ErrServFail, "0/udp 0/udp 0/udp", 2},
		{"rotation wraps", []server{silent, refused}, 3, 0, ErrRefused, "0/udp 1/udp 0/udp 1/udp", 3},
		{"last error reported", []server{refused, silent}, 1, 0, ErrTimeout, "0/udp 1/udp", 1},
		{"truncated: TCP", []server{truncOK}, 0, dns.RcodeSuccess, nil, "0/udp 0/tcp", 0},
		{"no EDNS: again without", []server{noEDNS}, 0, dns.RcodeSuccess, nil, "0/udp 0/udp-noedns", 0},
		{"NOTIMP: the next server, no retry spent", []server{notimp, answers}, 0, dns.RcodeSuccess, nil, "0/udp 1/udp", 0},
		{"FORMERR with EDNS: the next server", []server{formerr, answers}, 0, dns.RcodeSuccess, nil, "0/udp 1/udp", 0},
		{"FORMERR without EDNS too: the next server", []server{oldBroke, answers}, 0, dns.RcodeSuccess, nil,
			"0/udp 0/udp-noedns 1/udp", 0},
		{"NOTIMP everywhere", []server{notimp, notimp}, 3, 0, ErrRcode, "0/udp 1/udp", 0},
		{"a skipped server stays skipped", []server{servfail, notimp}, 2, 0, ErrServFail, "0/udp 1/udp 0/udp 0/udp", 2},
		{"skip, then retry on the third", []server{notimp, servfail, answers}, 1, dns.RcodeSuccess, nil,
			"0/udp 1/udp 2/udp", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, sent := fakeClient(tt.retries, tt.servers...)
			m, server, err := c.Exchange(context.Background(), "shop.example.net", dns.TypeMX)
			switch {
			case tt.err != nil && !errors.Is(err, tt.err):
				t.Errorf("error %v, want %v", err, tt.err)
			case tt.err == nil && err != nil:
				t.Errorf("error %v", err)
			case tt.err == nil && m.Rcode != tt.rcode:
				t.Errorf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tt.rcode])
			}
			if got := strings.Join(*sent, " "); got != tt.sent {
				t.Errorf("sent %q, want %q", got, tt.sent)
			}
			if last := (*sent)[len(*sent)-1]; server != last[:strings.IndexByte(last, '/')] {
				t.Errorf("server %q, the last asked was %q", server, last)
			}
			if got := c.Stats().Retries; got != tt.retried {
				t.Errorf("%d retries counted, want %d", got, tt.retried)
			}
		})
	}
}

// A query whose context ends is not retried.
func TestExchangeCancelled(t *testing.T) {
	t.Parallel()
	c, sent := fakeClient(3, servfail, servfail)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Exchange(ctx, "shop.example.net", dns.TypeMX); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if len(*sent) != 1 {
		t.Errorf("sent %q, want one query", *sent)
	}
}

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
		c, err := New(Config{Servers: []string{"127.0.0.1:53"}, QPS: tt.qps})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.limiter != nil; got != tt.limited {
			t.Errorf("--qps %g: limited %v, want %v", tt.qps, got, tt.limited)
		}
		c.Close()
	}
}

// FuzzReply feeds arbitrary replies through what reads them here: the
// question check and the table of Exchange. A hostile or broken server
// must never crash a run, and only NOERROR or NXDOMAIN is an answer.
func FuzzReply(f *testing.F) {
	q := newQuery(dns.Question{Name: "shop.example.net.", Qtype: dns.TypeMX, Qclass: dns.ClassINET}, true)
	for _, s := range []server{answers, nxdomain, servfail, formerr, noEDNS, referrer, truncOK} {
		r, _ := s.reply(q, false)
		b, err := r.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(dns.Msg)
		if r.Unpack(b) != nil {
			return
		}
		_ = matches(r, r.Id, q.Question[0])
		c := &Client{cfg: Config{Retries: 1, Backoff: time.Microsecond}, servers: []string{"a", "b"}}
		c.exchange = func(context.Context, int, dns.Question, bool, bool) (*dns.Msg, error) { return r, nil }
		m, _, err := c.Exchange(context.Background(), "shop.example.net", dns.TypeMX)
		if err == nil && m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError {
			t.Fatalf("rcode %s taken for an answer", dns.RcodeToString[m.Rcode])
		}
	})
}

// TestStarterWaitsBehind: under a rate limit, questions that start new
// work wait for their turn one at a time, so a question of work under way
// goes ahead of all but one of them. In arrival order it would go last.
func TestStarterWaitsBehind(t *testing.T) {
	t.Parallel()
	c, sent := fakeClient(0, answers)
	c.limiter = rate.NewLimiter(20, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.Starter().Exchange(context.Background(), "new.example.net", dns.TypeMX) })
	}
	for c.Stats().Queries == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, _, err := c.Exchange(context.Background(), "under-way.example.net", dns.TypeA); err != nil {
		t.Fatal(err)
	}
	after := 9 - int(c.Stats().Queries)
	wg.Wait()
	if after < 4 {
		t.Errorf("%d of 8 new questions were left when the one under way was sent, want most (%q)", after, *sent)
	}
}
