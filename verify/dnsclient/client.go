// Package dnsclient asks DNS servers questions in bulk: many queries in
// flight over a few long-lived UDP sockets, under one rate limit and one
// in-flight bound, with the retry, rotation and fall-back rules of a stub
// resolver. It knows nothing of what the answers mean.
package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/time/rate"
)

// Errors a query can end with. ErrTimeout, ErrServFail, ErrRefused and
// ErrReferral are retried on the next server; all of them are temporary:
// they say nothing about the name asked for.
var (
	ErrTimeout = errors.New("no answer within the timeout")
	// ErrConnRefused: the server's host said no one listens on its port.
	// It is retried like a timeout, but tells the user something else.
	ErrConnRefused = errors.New("connection refused (ICMP port unreachable)")
	ErrServFail    = errors.New("server failure (SERVFAIL)")
	ErrRefused     = errors.New("query refused (REFUSED)")
	ErrReferral    = errors.New("server answered with a referral, not an answer: is it a recursive resolver?")
	ErrRcode       = errors.New("unexpected response code")
	ErrRateLimit   = errors.New("the rate limit allows no query before the deadline")
	ErrClosed      = errors.New("client closed")
)

// Config tunes a Client. Zero values take the defaults noted.
type Config struct {
	Servers []string      // host:port; at least one
	Timeout time.Duration // one query's timeout, from its send; default 2s
	Retries int           // retries after a timeout, SERVFAIL or REFUSED, each on the next server
	// QPS caps queries per second over all servers; 0, or NoLimitQPS
	// and above, means no limit.
	QPS float64
	// MaxInFlight bounds the queries awaiting an answer; default 256.
	MaxInFlight int
	// Backoff is the pause before the first retry, doubled for each
	// further one; default 20ms.
	Backoff time.Duration
	// Observe, when set, hears what became of each query sent, by the
	// server's index in Servers: the outage detector's input. It is
	// called from the querying goroutines, at once, and must be quick.
	// Queries ended by their context or by Close are not reported.
	Observe func(server int, o Outcome)
}

// Outcome is what became of one query sent to a server.
type Outcome uint8

const (
	Answered    Outcome = iota // any DNS reply, whatever its rcode
	TimedOut                   // no reply within the timeout
	ConnRefused                // ICMP port unreachable, or a TCP connection refused
	Failed                     // no reply for another reason (a TCP reset, say)
)

// outcome sorts the result of one exchange.
func outcome(err error) Outcome {
	switch {
	case err == nil:
		return Answered
	case errors.Is(err, ErrConnRefused), errors.Is(err, syscall.ECONNREFUSED):
		return ConnRefused
	case errors.Is(err, ErrTimeout), errors.Is(err, os.ErrDeadlineExceeded):
		return TimedOut
	}
	return Failed
}

// NoLimitQPS is a rate no client reaches: from it up, Config.QPS sets no
// limit. A limiter that cannot bind still costs a lock and two clock reads
// per query.
const NoLimitQPS = 1e7

// Stats counts what a Client sent. Queries includes retries and TCP
// fall-backs: it is the load the servers saw.
type Stats struct {
	Queries  int64 `json:"queries"`
	Retries  int64 `json:"retries"`
	TCP      int64 `json:"tcp"`
	Timeouts int64 `json:"timeouts"`
}

// Client asks DNS servers questions. It is safe for concurrent use.
type Client struct {
	cfg     Config
	servers []string
	// exchange sends one query to one server and returns its reply: the
	// sockets, or a fake in tests. Exchange decides what to send.
	exchange func(ctx context.Context, server int, q dns.Question, edns, tcp bool) (*dns.Msg, error)
	next     atomic.Uint64 // spreads first attempts over the servers

	limiter *rate.Limiter // nil: no rate limit
	startMu sync.Mutex    // the Starter's line: see pace
	slots   chan struct{} // the in-flight bound, taken as a query leaves
	udp     *udpClient
	tcp     *dns.Client

	queries, retries, tcpQueries, timeouts atomic.Int64
}

// New opens the sockets of a Client; Close releases them.
func New(cfg Config) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no DNS servers configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	cfg.Retries = max(cfg.Retries, 0)
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 20 * time.Millisecond
	}
	c := &Client{
		cfg:     cfg,
		servers: cfg.Servers,
		slots:   make(chan struct{}, cfg.MaxInFlight),
		tcp:     &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
	}
	c.exchange = c.transmit
	if cfg.QPS > 0 && cfg.QPS < NoLimitQPS {
		// A burst of 1/50 s of traffic keeps the limiter saturated without
		// letting a window of a few tens of milliseconds overshoot the rate.
		c.limiter = rate.NewLimiter(rate.Limit(cfg.QPS), max(1, int(cfg.QPS/50)))
	}
	var err error
	if c.udp, err = newUDPClient(cfg.Servers, cfg.Timeout, c.slots); err != nil {
		return nil, err
	}
	return c, nil
}

// Close releases the sockets; queries still waiting fail with ErrClosed.
func (c *Client) Close() error { return c.udp.close() }

// Stats reports the queries sent so far.
func (c *Client) Stats() Stats {
	return Stats{
		Queries:  c.queries.Load(),
		Retries:  c.retries.Load(),
		TCP:      c.tcpQueries.Load(),
		Timeouts: c.timeouts.Load(),
	}
}

// Exchange asks for name and qtype, with RD set, and returns the first
// final answer, NOERROR or NXDOMAIN, and the server that gave it; with an
// error, server is the last one asked. Like Go's own resolver (tryOneName
// in net/dnsclient_unix.go) it tries the servers in turn, the first one
// round robin. Each server is asked over UDP with EDNS0, again without
// EDNS if it answers FORMERR without an OPT record (RFC 6891 §7), and
// over TCP if the answer is truncated (RFC 7766). Then:
//
//	NOERROR, NXDOMAIN          final: another server would say the same
//	timeout, SERVFAIL,         a retry on the next server after a back-off,
//	  REFUSED, a referral        while Config.Retries allows
//	NOTIMP, FORMERR, others    this server cannot answer the query: the
//	                             next one at once, no retry spent (RFC 1035 §7.2)
//	ctx ended, rate limit,     final
//	  Close
func (c *Client) Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
	return c.ask(ctx, name, qtype, false)
}

// Starter asks questions that start new work, such as a domain's first.
// Under a rate limit they wait for their turn one at a time, so that at
// most one waits ahead of the questions of work under way: work finishes
// in a steady stream, not all of it at the end, and a stopped run loses
// only its last moments.
type Starter struct{ c *Client }

// Starter returns the Client's Starter.
func (c *Client) Starter() Starter { return Starter{c} }

// Exchange is Client.Exchange for a question that starts new work.
func (s Starter) Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, string, error) {
	return s.c.ask(ctx, name, qtype, true)
}

func (c *Client) ask(ctx context.Context, name string, qtype uint16, start bool) (*dns.Msg, string, error) {
	q := dns.Question{Name: dns.Fqdn(name), Qtype: qtype, Qclass: dns.ClassINET}
	// send sends one query: the rate limit applies here, once per query.
	send := func(server int, edns, tcp bool) (*dns.Msg, error) {
		if err := c.pace(ctx, start); err != nil {
			return nil, err
		}
		start = false
		c.queries.Add(1)
		m, err := c.exchange(ctx, server, q, edns, tcp)
		if c.cfg.Observe != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) {
			c.cfg.Observe(server, outcome(err))
		}
		return m, err
	}
	n := len(c.servers)
	skipped := make([]bool, n)
	left, retries := n, 0
	for i := int((c.next.Add(1) - 1) % uint64(n)); ; i = (i + 1) % n {
		if skipped[i] {
			continue
		}
		server := c.servers[i]
		edns := true
		m, err := send(i, edns, false)
		if err == nil && m.Rcode == dns.RcodeFormatError && m.IsEdns0() == nil {
			edns = false
			m, err = send(i, edns, false)
		}
		if err == nil && m.Truncated {
			m, err = send(i, edns, true)
		}
		retry := true
		switch {
		case ctx.Err() != nil:
			return nil, server, ctx.Err()
		case errors.Is(err, ErrRateLimit), errors.Is(err, ErrClosed):
			return nil, server, err
		case err != nil:
		case m.Rcode == dns.RcodeSuccess && referral(m):
			err = ErrReferral
		case m.Rcode == dns.RcodeSuccess, m.Rcode == dns.RcodeNameError:
			return m, server, nil
		case m.Rcode == dns.RcodeServerFailure:
			err = ErrServFail
		case m.Rcode == dns.RcodeRefused:
			err = ErrRefused
		default:
			err = fmt.Errorf("%w %s", ErrRcode, dns.RcodeToString[m.Rcode])
			retry, skipped[i] = false, true
			left--
		}
		if retry && retries < c.cfg.Retries {
			retries++
			c.retries.Add(1)
			select {
			case <-time.After(c.backoff(retries)):
			case <-ctx.Done():
				return nil, server, ctx.Err()
			}
			continue
		}
		if retry || left == 0 {
			return nil, server, fmt.Errorf("%s %s via %s: %w", strings.TrimSuffix(q.Name, "."), dns.TypeToString[qtype], server, err)
		}
	}
}

// referral tells a delegation from an empty answer: a server that is not
// recursive hands out NS records instead of an answer, and taking that for
// NODATA would report a live domain as having no mail set-up.
func referral(m *dns.Msg) bool {
	if len(m.Answer) > 0 || m.Authoritative {
		return false
	}
	ns := false
	for _, rr := range m.Ns {
		switch rr.Header().Rrtype {
		case dns.TypeSOA:
			return false
		case dns.TypeNS:
			ns = true
		}
	}
	return ns
}

// newQuery is a query for q with RD set and, with edns, an EDNS0 OPT
// record advertising 1232 bytes (the DNS flag day 2020 size, which avoids
// IP fragmentation).
func newQuery(q dns.Question, edns bool) *dns.Msg {
	m := &dns.Msg{Question: []dns.Question{q}}
	m.RecursionDesired = true
	if edns {
		m.SetEdns0(1232, false)
	}
	return m
}

func (c *Client) backoff(retry int) time.Duration {
	d := min(c.cfg.Backoff<<(retry-1), time.Second)
	// Jitter keeps many domains that failed together from retrying in step.
	return d/2 + rand.N(d/2+1)
}

// pace waits for the rate limiter, if there is one; a Starter's query
// waits in a line of its own first.
func (c *Client) pace(ctx context.Context, start bool) error {
	if c.limiter == nil {
		return nil
	}
	if start {
		c.startMu.Lock()
		defer c.startMu.Unlock()
	}
	if err := c.limiter.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrRateLimit
	}
	return nil
}

// transmit is the exchange of a real Client. The in-flight bound applies
// here: a UDP query takes its slot as it leaves, a TCP one before it
// starts.
func (c *Client) transmit(ctx context.Context, server int, q dns.Question, edns, tcp bool) (*dns.Msg, error) {
	if !tcp {
		r, err := c.udp.exchange(ctx, server, q, edns)
		if errors.Is(err, ErrTimeout) {
			c.timeouts.Add(1)
		}
		return r, err
	}
	c.tcpQueries.Add(1)
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() {
		<-c.slots
		c.udp.flush() // UDP queries may be waiting for this slot
	}()
	m := newQuery(q, edns)
	m.Id = dns.Id()
	r, _, err := c.tcp.ExchangeContext(ctx, m, c.servers[server])
	if err != nil {
		return nil, fmt.Errorf("tcp: %w", err)
	}
	if !matches(r, m.Id, q) {
		return nil, errors.New("tcp: answer does not match the question")
	}
	return r, nil
}

// matches checks what RFC 5452 asks a client to check of an answer.
func matches(r *dns.Msg, id uint16, q dns.Question) bool {
	if !r.Response || r.Id != id || len(r.Question) != 1 {
		return false
	}
	a := r.Question[0]
	return a.Qtype == q.Qtype && a.Qclass == q.Qclass && strings.EqualFold(a.Name, q.Name)
}

// ResolvConf reads the nameservers of a resolv.conf file as host:port
// addresses: the default when no resolver is given.
func ResolvConf(path string) ([]string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("read resolvers from %s: %w", path, err)
	}
	if len(cc.Servers) == 0 {
		return nil, fmt.Errorf("%s names no nameserver", path)
	}
	out := make([]string, len(cc.Servers))
	for i, s := range cc.Servers {
		out[i] = net.JoinHostPort(s, cc.Port)
	}
	return out, nil
}
