// Package dnstest runs an authoritative DNS server on loopback, answering
// from zone files, for tests, demos and benchmarks.
//
// mxverify's behaviour depends on what real servers send: NXDOMAIN versus
// NODATA, CNAME chains, truncation, timeouts and SERVFAIL. A fake that
// returns Go values would let the code that parses real packets go
// untested, so this package speaks DNS over UDP and TCP on one loopback
// port, like nsd or BIND would for the same zone text, and adds per-name
// fault injection (Drop, Delay, ServFail, Truncate, ...) and query
// counters so tests can assert retries and fallbacks.
//
// The layout follows CoreDNS's plugin/pkg/dnstest (UDP and TCP on one
// port, a per-server handler, NotifyStartedFunc) and miekg/dns's
// RunLocalServer. It only listens on loopback addresses, so a test can
// never answer, or be queried from, the outside.
//
// Answers follow nsd and BIND: AA set; NODATA and NXDOMAIN carry the
// zone's SOA with the RFC 2308 negative TTL; CNAME chains are followed
// across every zone served here (at most 16 hops, stopping at loops);
// wildcards match by RFC 4592's basic rule; names outside every zone get
// REFUSED; ANY gets NOTIMP. UDP answers are cut to the client's EDNS
// size (512 without EDNS), at most DefaultUDPSize, with TC set.
//
// What it does not do: delegations and referrals (NS records below an
// apex are plain data), additional-section processing (clients must ask
// for A/AAAA themselves), DNSSEC, zone transfers, DNAME.
package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// DefaultUDPSize is the EDNS buffer size the server advertises and the
// most it sends over UDP: the DNS Flag Day 2020 value that BIND, nsd and
// Knot use by default.
const DefaultUDPSize = 1232

// ErrNotLoopback is returned by Start for any listen address that is not
// a loopback IP, so a test server is never reachable from the network.
var ErrNotLoopback = errors.New("dnstest: listen address is not loopback")

// Option configures a Server.
type Option func(*config)

type config struct {
	udpSize int
}

// WithUDPSize sets the EDNS buffer size the server advertises and caps
// UDP answers at (default DefaultUDPSize). UDP answers are truncated to
// the smaller of this and the client's EDNS size (512 without EDNS).
func WithUDPSize(n int) Option {
	return func(c *config) { c.udpSize = max(n, dns.MinMsgSize) }
}

// Server is an authoritative DNS server on one loopback port (UDP and
// TCP). Its fault and counter methods are safe to call while it serves.
type Server struct {
	zones   *Zones
	udpSize int
	addr    string
	udp     *dns.Server
	tcp     *dns.Server
	// done is closed by Close so delayed answers give up at once instead
	// of holding Close for their whole delay.
	done chan struct{}
	// fin receives each listener's ActivateAndServe result. It is
	// buffered (as in miekg's RunLocalServer) so the serving goroutines
	// never block on it, whoever reads.
	fin       chan error
	closeOnce sync.Once
	closeErr  error

	faults faultTable
	counts counter
}

// Start serves z on addr over UDP and TCP, both on the same port; with
// port 0 the system picks a free one, see Addr. addr must be a loopback
// IP (or "localhost") and a port. Start returns once both listeners are
// accepting queries.
func Start(addr string, z *Zones, opts ...Option) (*Server, error) {
	if z == nil {
		return nil, errors.New("dnstest: start: nil zones")
	}
	cfg := config{udpSize: DefaultUDPSize}
	for _, o := range opts {
		o(&cfg)
	}
	addr, err := loopback(addr)
	if err != nil {
		return nil, err
	}
	pc, l, err := listen(addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		zones:   z,
		udpSize: cfg.udpSize,
		addr:    pc.LocalAddr().String(),
		done:    make(chan struct{}),
		fin:     make(chan error, 2),
	}
	s.faults.init()
	s.counts.init()
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	s.udp = &dns.Server{
		PacketConn:        pc,
		Handler:           &handler{s: s},
		NotifyStartedFunc: notify,
		// Queries with EDNS options can exceed the 512-byte default
		// read buffer; a short read would turn them into FORMERR.
		UDPSize: dns.DefaultMsgSize,
	}
	s.tcp = &dns.Server{
		Listener:          l,
		Handler:           &handler{s: s, tcp: true},
		NotifyStartedFunc: notify,
	}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		go func() { s.fin <- srv.ActivateAndServe() }()
	}
	for n := 0; n < 2; {
		select {
		case <-started:
			n++
		case err := <-s.fin:
			// One listener failed to start. Closing the sockets makes the
			// other one's serve loop fail too; collect it so no goroutine
			// outlives Start.
			pc.Close()
			l.Close()
			<-s.fin
			return nil, fmt.Errorf("dnstest: serve %s: %w", addr, err)
		}
	}
	return s, nil
}

// loopback checks that addr is host:port with a loopback host and
// returns it with "localhost" replaced by 127.0.0.1, so that no name
// lookup (which might leave the machine) happens.
func loopback(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("dnstest: listen address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return "", fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// listen opens UDP and TCP sockets on one port. With port 0 the UDP port
// the system picked may be taken for TCP, so it tries a few times.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	_, port, _ := net.SplitHostPort(addr)
	tries := 1
	if port == "0" {
		tries = 20
	}
	var lastErr error
	for range tries {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("dnstest: listen udp %s: %w", addr, err)
		}
		if uc, ok := pc.(*net.UDPConn); ok {
			// A client sends queries in batches of dozens; the default
			// buffer of ~200 KB drops some under load, and each drop
			// costs the client a timeout.
			_ = uc.SetReadBuffer(4 << 20)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		lastErr = err
		if !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, nil, fmt.Errorf("dnstest: listen tcp %s: %w", addr, lastErr)
}

// Addr returns the host:port the server listens on (UDP and TCP).
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners and waits for every serving goroutine,
// including delayed answers, which are abandoned. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := errors.Join(s.udp.ShutdownContext(ctx), s.tcp.ShutdownContext(ctx))
		for range 2 {
			err = errors.Join(err, <-s.fin)
		}
		if err != nil {
			s.closeErr = fmt.Errorf("dnstest: close: %w", err)
		}
	})
	return s.closeErr
}

// New loads zone files, serves them on 127.0.0.1 (a free port) and closes
// the server when the test ends. It fails the test on any error, so test
// code stays one line.
func New(tb testing.TB, zoneFiles ...string) *Server {
	tb.Helper()
	z, err := Load(zoneFiles...)
	if err != nil {
		tb.Fatal(err)
	}
	return startTB(tb, z)
}

// NewFromText is New for zone text held in the test itself.
func NewFromText(tb testing.TB, zoneText string) *Server {
	tb.Helper()
	z, err := Parse(tb.Name(), zoneText)
	if err != nil {
		tb.Fatal(err)
	}
	return startTB(tb, z)
}

func startTB(tb testing.TB, z *Zones) *Server {
	tb.Helper()
	s, err := Start("127.0.0.1:0", z)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
	return s
}

// handler is the per-server dns.Handler. There is one per transport so
// each knows whether it may truncate, without inspecting addresses on
// every query.
type handler struct {
	s   *Server
	tcp bool
}

// ServeDNS counts the query, applies any fault, then answers from the
// zones with EDNS and, over UDP, truncation.
func (h *handler) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	s := h.s
	var f fault
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		s.counts.add(name, q.Qtype, h.tcp)
		f = s.faults.match(name, q.Qtype)
	}
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return
		}
	}
	var m *dns.Msg
	opt := req.IsEdns0()
	switch {
	case f.action == actDrop:
		return
	case f.failNow || f.action == actServFail:
		m = new(dns.Msg).SetRcode(req, dns.RcodeServerFailure)
	case f.action == actRefuse:
		m = new(dns.Msg).SetRcode(req, dns.RcodeRefused)
	case f.action == actNotImp:
		m = new(dns.Msg).SetRcode(req, dns.RcodeNotImplemented)
	case f.action == actNoEDNS && opt != nil:
		m = new(dns.Msg).SetRcode(req, dns.RcodeFormatError)
		opt = nil // no OPT in the answer, and the classic 512 bytes
	case opt != nil && opt.Version() != 0:
		m = new(dns.Msg).SetRcode(req, dns.RcodeBadVers) // RFC 6891 §6.1.3
	case f.action == actTruncate && !h.tcp:
		m = new(dns.Msg).SetReply(req)
		m.Authoritative = true
		m.Truncated = true
	default:
		m = s.zones.Reply(req)
	}
	size := dns.MinMsgSize
	if opt != nil {
		m.SetEdns0(uint16(s.udpSize), false)
		size = min(max(int(opt.UDPSize()), dns.MinMsgSize), s.udpSize)
	}
	if f.action == actMismatch {
		m.Id++
	}
	if h.tcp {
		m.Compress = true
	} else {
		m.Truncate(size)
	}
	// A write error means the client went away; a test server has no
	// one to tell.
	_ = w.WriteMsg(m)
}
