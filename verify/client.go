package verify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/time/rate"
)

// Errors a query can end with once its retries are spent. All of them are
// temporary: they say nothing about the name asked for.
var (
	ErrTimeout  = errors.New("no answer within the timeout")
	ErrServFail = errors.New("server failure (SERVFAIL)")
	ErrRefused  = errors.New("query refused (REFUSED)")
	ErrRcode    = errors.New("unexpected response code")
	ErrReferral = errors.New("server answered with a referral, not an answer: is it a recursive resolver?")
	ErrClosed   = errors.New("client closed")
)

// ClientConfig tunes the DNS client. Zero values take the defaults noted.
type ClientConfig struct {
	Servers []string      // host:port; at least one
	Timeout time.Duration // one query's timeout, from its send; default 2s
	Retries int           // retries after a timeout, SERVFAIL or REFUSED
	// QPS caps queries per second over all servers; 0, or NoLimitQPS
	// and above, means no limit.
	QPS float64
	// MaxInFlight bounds queries awaiting an answer; default 256.
	MaxInFlight int
	// Backoff is the pause before the first retry, doubled for each
	// further one; default 20ms.
	Backoff time.Duration
}

// NoLimitQPS is a rate no client reaches: from it up, ClientConfig.QPS
// sets no limit. A limiter that cannot bind still costs a lock and two
// clock reads per query, 4% of a run's CPU against a local server.
const NoLimitQPS = 1e7

// ClientStats counts what the client sent. Queries includes retries and TCP
// fall-backs: it is the load the resolvers saw.
type ClientStats struct {
	Queries  int64 `json:"queries"`
	Retries  int64 `json:"retries"`
	TCP      int64 `json:"tcp"`
	Timeouts int64 `json:"timeouts"`
}

// Client sends DNS queries over long-lived UDP sockets, many queries in
// flight per socket, told apart by message ID and question, the way massdns
// does: a socket per query (miekg's Client.Exchange) costs a syscall set and
// a file descriptor each time, which bulk lookups cannot afford.
type Client struct {
	cfg      ClientConfig
	servers  []*upstream
	limiter  *rate.Limiter
	inFlight chan struct{}
	snd      *sender // UDP queries, sent as inFlight allows
	next     atomic.Uint64
	tcp      *dns.Client

	queries, retries, tcpCount, timeouts atomic.Int64

	wg        sync.WaitGroup
	closeOnce sync.Once
	stop      chan struct{} // ends the timeout sweeper

	// startMu lets one new domain at a time wait for the rate limiter;
	// see AwaitStart.
	startMu sync.Mutex
}

type upstream struct {
	addr  string
	socks []*udpSocket
	next  atomic.Uint64
}

// Answer is a response that matched its question, and the server that sent it.
type Answer struct {
	Reply  *Reply
	Server string
}

// NewClient opens the UDP sockets. Close releases them.
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no DNS servers configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 256
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 20 * time.Millisecond
	}
	c := &Client{
		cfg:      cfg,
		inFlight: make(chan struct{}, cfg.MaxInFlight),
		tcp:      &dns.Client{Net: "tcp", Timeout: cfg.Timeout},
		stop:     make(chan struct{}),
	}
	c.snd = newSender(c.inFlight)
	if cfg.QPS > 0 && cfg.QPS < NoLimitQPS {
		// A burst of 1/50 s of traffic keeps the limiter saturated without
		// letting a window of a few tens of milliseconds overshoot the rate.
		burst := max(1, int(cfg.QPS/50))
		c.limiter = rate.NewLimiter(rate.Limit(cfg.QPS), burst)
	}
	// A socket holds at most 65536 IDs; a few sockets per server also spread
	// the reading over cores.
	perServer := min(16, max(2, cfg.MaxInFlight/(128*len(cfg.Servers))))
	for _, s := range cfg.Servers {
		up := &upstream{addr: s}
		c.servers = append(c.servers, up)
		for range perServer {
			sock, err := c.dial(s)
			if err != nil {
				c.Close()
				return nil, err
			}
			up.socks = append(up.socks, sock)
		}
	}
	c.wg.Go(c.sweep)
	return c, nil
}

// sweep times out the queries that have waited too long.
func (c *Client) sweep() {
	t := time.NewTicker(sweepEvery(c.cfg.Timeout))
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			for _, up := range c.servers {
				for _, s := range up.socks {
					s.expire()
				}
			}
			c.snd.kick()
		}
	}
}

func (c *Client) dial(server string) (*udpSocket, error) {
	raddr, err := net.ResolveUDPAddr("udp", server)
	if err != nil {
		return nil, fmt.Errorf("resolver address %q: %w", server, err)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("resolver %s: %w", server, err)
	}
	s := newUDPSocket(conn, c.snd)
	c.wg.Go(s.read)
	return s, nil
}

// Close stops the socket readers; queries still waiting fail with ErrClosed.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		for _, up := range c.servers {
			for _, s := range up.socks {
				s.close()
			}
		}
	})
	c.wg.Wait()
	return nil
}

// Stats reports the queries sent so far.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Queries:  c.queries.Load(),
		Retries:  c.retries.Load(),
		TCP:      c.tcpCount.Load(),
		Timeouts: c.timeouts.Load(),
	}
}

// QueryError is a query that got no usable answer after all its attempts.
type QueryError struct {
	Name   string
	Type   uint16
	Server string // the last server asked
	Err    error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("%s %s via %s: %v", strings.TrimSuffix(e.Name, "."), dns.TypeToString[e.Type], e.Server, e.Err)
}

func (e *QueryError) Unwrap() error { return e.Err }

// Query asks for name and qtype with RD set and EDNS0, and retries after a
// timeout, SERVFAIL or REFUSED on the next server. NOERROR and NXDOMAIN are
// final. A truncated UDP answer is asked again over TCP (RFC 7766).
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (Answer, error) {
	return c.run(ctx, c.begin(ctx, name, qtype, true))
}

// queryPair asks two questions about one name, as Query does each, with
// their first packets on the wire together: a mail host's A and AAAA
// lookups from one goroutine, where a goroutine for the second cost a stack
// grown anew for each host.
func (c *Client) queryPair(ctx context.Context, name string, qtype1, qtype2 uint16) (a1 Answer, err1 error, a2 Answer, err2 error) {
	f1 := c.begin(ctx, name, qtype1, false)
	f2 := c.begin(ctx, name, qtype2, true)
	if f2.err != nil {
		c.snd.kick() // f1's packet waits for no one now
	}
	a1, again1, err1 := c.first(ctx, f1)
	a2, again2, err2 := c.first(ctx, f2)
	switch {
	case again1 && again2:
		// Retries take timeouts and back-offs: the two run side by side,
		// as the first attempts did.
		var wg sync.WaitGroup
		wg.Go(func() { a2, err2 = c.retry(ctx, f2, err2) })
		a1, err1 = c.retry(ctx, f1, err1)
		wg.Wait()
	case again1:
		a1, err1 = c.retry(ctx, f1, err1)
	case again2:
		a2, err2 = c.retry(ctx, f2, err2)
	}
	return a1, err1, a2, err2
}

// flight is a question's first attempt, begun: its UDP query is queued.
type flight struct {
	name  string
	qtype uint16
	start int // the server of the first attempt, and the next ones in turn
	q     inFlight
	err   error // from beginning the UDP query
}

// begin starts the first attempt of a question; send as for udpSocket.begin.
func (c *Client) begin(ctx context.Context, name string, qtype uint16, send bool) flight {
	f := flight{name: dns.Fqdn(name), qtype: qtype, start: int(c.next.Add(1))}
	up := c.servers[f.start%len(c.servers)]
	f.q, f.err = c.udpBegin(ctx, up, f.name, f.qtype, true, send)
	return f
}

// run completes a question begun by begin: its first attempt and the
// retries after it.
func (c *Client) run(ctx context.Context, f flight) (Answer, error) {
	ans, again, err := c.first(ctx, f)
	if !again {
		return ans, err
	}
	return c.retry(ctx, f, err)
}

// first waits for a question's first attempt and judges it.
func (c *Client) first(ctx context.Context, f flight) (Answer, bool, error) {
	up := c.servers[f.start%len(c.servers)]
	var msg *Reply
	err := f.err
	if err == nil {
		msg, err = c.udpAwait(ctx, f.q)
	}
	msg, err = c.finishAttempt(ctx, up, f.name, f.qtype, msg, err)
	return c.judge(ctx, up, f, msg, err)
}

// retry makes the attempts after the first, each on the next server, and
// fails with the last attempt's error once they are spent.
func (c *Client) retry(ctx context.Context, f flight, lastErr error) (Answer, error) {
	up := c.servers[f.start%len(c.servers)]
	for attempt := 1; attempt <= c.cfg.Retries; attempt++ {
		c.retries.Add(1)
		if err := sleep(ctx, c.backoff(attempt)); err != nil {
			return Answer{}, err
		}
		up = c.servers[(f.start+attempt)%len(c.servers)]
		msg, err := c.attempt(ctx, up, f.name, f.qtype)
		ans, again, err := c.judge(ctx, up, f, msg, err)
		if !again {
			return ans, err
		}
		lastErr = err
	}
	return Answer{}, &QueryError{Name: f.name, Type: f.qtype, Server: up.addr, Err: lastErr}
}

// judge tells a final answer or error from one worth another attempt
// (again, with the error to report if none succeeds).
func (c *Client) judge(ctx context.Context, up *upstream, f flight, msg *Reply, err error) (Answer, bool, error) {
	if err != nil {
		if ctx.Err() != nil {
			return Answer{}, false, ctx.Err()
		}
		if errors.Is(err, ErrClosed) {
			return Answer{}, false, err
		}
		return Answer{}, true, err
	}
	switch msg.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
		if msg.Rcode == dns.RcodeSuccess && isReferral(msg) {
			return Answer{}, true, ErrReferral
		}
		return Answer{Reply: msg, Server: up.addr}, false, nil
	case dns.RcodeServerFailure:
		return Answer{}, true, ErrServFail
	case dns.RcodeRefused:
		return Answer{}, true, ErrRefused
	default:
		// FORMERR, NOTIMP and the like will not change on a retry.
		return Answer{}, false, &QueryError{Name: f.name, Type: f.qtype, Server: up.addr,
			Err: fmt.Errorf("%w %s", ErrRcode, dns.RcodeToString[msg.Rcode])}
	}
}

// isReferral tells a delegation from an empty answer: a server that is not
// recursive hands out NS records instead of an answer, and taking that for
// NODATA would report a live domain as having no mail set-up.
func isReferral(m *Reply) bool {
	return m.Answers == 0 && !m.Authoritative && !m.SOA && m.NS
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.Backoff << (attempt - 1)
	d = min(d, time.Second)
	// Jitter keeps many domains that failed together from retrying in step.
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AwaitStart takes the rate-limit token of a new domain's first query,
// one domain at a time, and returns a context that carries it. Under a
// rate limit a token bucket serves waiters in arrival order: hundreds of
// domains started at once would queue all their MX queries ahead of the
// first domain's address lookups, and no domain would finish until every
// MX query had gone out. With at most one new domain waiting, follow-up
// queries go first: domains finish in a steady stream, which keeps the
// reorder buffer small and lets a killed run lose only its last moments,
// while the limiter stays saturated.
func (c *Client) AwaitStart(ctx context.Context) (context.Context, error) {
	if c.limiter == nil {
		return ctx, ctx.Err()
	}
	c.startMu.Lock()
	defer c.startMu.Unlock()
	if err := c.wait(ctx); err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, prepaidKey{}, new(atomic.Bool)), nil
}

// prepaidKey marks a context whose first query's token AwaitStart took.
type prepaidKey struct{}

func (c *Client) wait(ctx context.Context) error {
	if err := c.limiter.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The deadline cannot cover the wait: report it as the
		// cancellation it will become.
		return context.DeadlineExceeded
	}
	return nil
}

// pace takes a rate-limit token, unless AwaitStart paid it.
func (c *Client) pace(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	paid, _ := ctx.Value(prepaidKey{}).(*atomic.Bool)
	if paid != nil && paid.CompareAndSwap(false, true) {
		return nil
	}
	return c.wait(ctx)
}

// acquire takes a rate-limit token and an in-flight slot, for a TCP query;
// the sender takes UDP queries' slots.
func (c *Client) acquire(ctx context.Context) error {
	if err := c.pace(ctx); err != nil {
		return err
	}
	// A free slot is the usual case, and a select with a default is far
	// cheaper than one that may block on two channels.
	select {
	case c.inFlight <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.inFlight <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Client) release() { <-c.inFlight }

func (c *Client) attempt(ctx context.Context, up *upstream, name string, qtype uint16) (*Reply, error) {
	resp, err := c.udp(ctx, up, name, qtype, true)
	return c.finishAttempt(ctx, up, name, qtype, resp, err)
}

// finishAttempt takes an attempt on from its UDP answer (or error) to one
// Query can judge: asked again without EDNS, or over TCP, if need be.
func (c *Client) finishAttempt(ctx context.Context, up *upstream, name string, qtype uint16, resp *Reply, err error) (*Reply, error) {
	edns := true
	if err == nil && resp.Rcode == dns.RcodeFormatError && !resp.EDNS {
		// A server that does not know EDNS answers FORMERR without an OPT
		// record; RFC 6891 §7 has the client ask again without one.
		edns = false
		resp, err = c.udp(ctx, up, name, qtype, edns)
	}
	if err != nil || !resp.Truncated {
		return resp, err
	}

	if err := c.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() {
		c.release()
		c.snd.kick() // UDP queries may be waiting for this slot
	}()
	c.queries.Add(1)
	c.tcpCount.Add(1)
	m := newQuery(name, qtype, edns)
	msg, _, err := c.tcp.ExchangeContext(ctx, m, up.addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: %w", err)
	}
	resp = replyOf(msg)
	if !matches(resp, m.Id, name, qtype) {
		return nil, errors.New("tcp: answer does not match the question")
	}
	return resp, nil
}

// udp sends one query over one of the server's UDP sockets and waits for
// its answer.
func (c *Client) udp(ctx context.Context, up *upstream, name string, qtype uint16, edns bool) (*Reply, error) {
	q, err := c.udpBegin(ctx, up, name, qtype, edns, true)
	if err != nil {
		return nil, err
	}
	return c.udpAwait(ctx, q)
}

// udpBegin queues one query on one of the server's UDP sockets; send as
// for udpSocket.begin.
func (c *Client) udpBegin(ctx context.Context, up *upstream, name string, qtype uint16, edns, send bool) (inFlight, error) {
	if err := c.pace(ctx); err != nil {
		return inFlight{}, err
	}
	c.queries.Add(1)
	sock := up.socks[up.next.Add(1)%uint64(len(up.socks))]
	return sock.begin(name, qtype, edns, c.cfg.Timeout, send)
}

func (c *Client) udpAwait(ctx context.Context, q inFlight) (*Reply, error) {
	resp, err := q.await(ctx)
	if errors.Is(err, ErrTimeout) {
		c.timeouts.Add(1)
	}
	return resp, err
}

// matches checks what RFC 5452 asks a client to check of an answer.
func matches(m *Reply, id uint16, name string, qtype uint16) bool {
	if m == nil || !m.Response || m.ID != id || m.Questions != 1 {
		return false
	}
	q := m.Question
	return q.Qtype == qtype && q.Qclass == dns.ClassINET && strings.EqualFold(q.Name, name)
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
