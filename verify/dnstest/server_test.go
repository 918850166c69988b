package dnstest_test

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify/dnstest"
)

// ask sends one query with a real dns.Client. edns 0 means no OPT record.
func ask(addr, network, name string, qtype, edns uint16) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	m := new(dns.Msg).SetQuestion(name, qtype)
	if edns != 0 {
		m.SetEdns0(edns, false)
	}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func mustAsk(t testing.TB, addr, network, name string, qtype, edns uint16) *dns.Msg {
	t.Helper()
	r, err := ask(addr, network, name, qtype, edns)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", name, dns.TypeToString[qtype], network, err)
	}
	return r
}

// rrs renders records in canonical text form, sorted, so tests can
// compare whole sections with zone-file lines.
func rrs(t testing.TB, in []dns.RR) []string {
	t.Helper()
	out := make([]string, 0, len(in))
	for _, rr := range in {
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// want parses zone-file lines the same way, the CoreDNS test.MX("…")
// idiom.
func want(t testing.TB, lines ...string) []string {
	t.Helper()
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("bad expected record %q: %v", l, err)
		}
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

func TestAnswers(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	const (
		demoSOA  = "mxdemo.net. 300 IN SOA ns1.mxdemo.net. hostmaster.mxdemo.net. 2024060101 7200 900 1209600 300"
		casesSOA = "mxcases.org. 60 IN SOA ns1.mxdemo.net. hostmaster.mxcases.org. 2024060101 7200 900 1209600 60"
	)
	shopMX := []string{
		"shop.mxdemo.net. 3600 IN MX 10 mx1.shop.mxdemo.net.",
		"shop.mxdemo.net. 3600 IN MX 10 mx2.shop.mxdemo.net.",
		"shop.mxdemo.net. 3600 IN MX 20 backup.shop.mxdemo.net.",
	}
	var long []string
	long = append(long, "long.mxcases.org. 600 IN CNAME c1.mxcases.org.")
	for i := 1; i < 16; i++ {
		long = append(long, fmt.Sprintf("c%d.mxcases.org. 600 IN CNAME c%d.mxcases.org.", i, i+1))
	}
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		aa     bool
		answer []string
		ns     []string
	}{
		{"answer", "shop.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true, shopMX, nil},
		{"answer AAAA", "mx1.shop.mxdemo.net.", dns.TypeAAAA, dns.RcodeSuccess, true,
			[]string{"mx1.shop.mxdemo.net. 3600 IN AAAA 2001:db8:10::10"}, nil},
		{"apex SOA keeps its TTL", "mxdemo.net.", dns.TypeSOA, dns.RcodeSuccess, true,
			[]string{strings.Replace(demoSOA, " 300 IN", " 3600 IN", 1)}, nil},
		{"null MX", "nullmx.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"nullmx.mxdemo.net. 3600 IN MX 0 ."}, nil},
		{"nodata", "shop.mxdemo.net.", dns.TypeAAAA, dns.RcodeSuccess, true, nil, []string{demoSOA}},
		{"nodata at empty non-terminal", "hosting.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true, nil, []string{demoSOA}},
		{"nxdomain", "missing.mxdemo.net.", dns.TypeMX, dns.RcodeNameError, true, nil, []string{demoSOA}},
		{"nxdomain below a name", "no.mx1.shop.mxdemo.net.", dns.TypeA, dns.RcodeNameError, true, nil, []string{demoSOA}},
		{"outside every zone", "mxdemo.com.", dns.TypeMX, dns.RcodeRefused, false, nil, nil},
		{"mx target written as an IP", "192.0.2.1.", dns.TypeA, dns.RcodeRefused, false, nil, nil},
		{"domain is a CNAME", "alias.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true,
			append([]string{"alias.mxdemo.net. 3600 IN CNAME shop.mxdemo.net."}, shopMX...), nil},
		{"CNAME query is not chased", "alias.mxdemo.net.", dns.TypeCNAME, dns.RcodeSuccess, true,
			[]string{"alias.mxdemo.net. 3600 IN CNAME shop.mxdemo.net."}, nil},
		{"MX target is a CNAME", "mail.cnamemx.mxdemo.net.", dns.TypeA, dns.RcodeSuccess, true,
			[]string{"mail.cnamemx.mxdemo.net. 3600 IN CNAME relay.cnamemx.mxdemo.net.", "relay.cnamemx.mxdemo.net. 3600 IN A 192.0.2.40"}, nil},
		{"CNAME to NODATA", "alias.mxdemo.net.", dns.TypeAAAA, dns.RcodeSuccess, true,
			[]string{"alias.mxdemo.net. 3600 IN CNAME shop.mxdemo.net."}, []string{demoSOA}},
		{"CNAME chain to a missing name (RFC 6604)", "broken.mxdemo.net.", dns.TypeMX, dns.RcodeNameError, true,
			[]string{"broken.mxdemo.net. 3600 IN CNAME step.broken.mxdemo.net.", "step.broken.mxdemo.net. 3600 IN CNAME gone.broken.mxdemo.net."},
			[]string{demoSOA}},
		{"CNAME loop", "loop.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"loop.mxdemo.net. 3600 IN CNAME loop2.mxdemo.net.", "loop2.mxdemo.net. 3600 IN CNAME loop.mxdemo.net."}, nil},
		{"CNAME across zones", "crosszone.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true,
			append([]string{"crosszone.mxcases.org. 600 IN CNAME shop.mxdemo.net."}, shopMX...), nil},
		{"CNAME out of the served zones", "outside.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"outside.mxcases.org. 600 IN CNAME mail.elsewhere.net."}, nil},
		{"CNAME chain stops after 16", "long.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true, long, nil},
		{"wildcard", "anything.wild.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"anything.wild.mxcases.org. 600 IN MX 10 mx.hosting.mxdemo.net."}, nil},
		{"wildcard matches several labels", "a.b.wild.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"a.b.wild.mxcases.org. 600 IN MX 10 mx.hosting.mxdemo.net."}, nil},
		{"wildcard without the type", "anything.wild.mxcases.org.", dns.TypeA, dns.RcodeSuccess, true, nil, []string{casesSOA}},
		{"wildcard parent is an empty non-terminal", "wild.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true, nil, []string{casesSOA}},
		{"empty non-terminal", "ent.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true, nil, []string{casesSOA}},
		{"no wildcard below an empty non-terminal", "x.ent.mxcases.org.", dns.TypeMX, dns.RcodeNameError, true, nil, []string{casesSOA}},
		{"mixed-case owner", "mixed.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"MiXeD.mxcases.org. 600 IN MX 10 Mx.Hosting.MxDemo.Net."}, nil},
		{"duplicates removed", "multi.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, true,
			[]string{"multi.mxcases.org. 600 IN MX 10 mx.hosting.mxdemo.net."}, nil},
		{"ANY", "shop.mxdemo.net.", dns.TypeANY, dns.RcodeNotImplemented, false, nil, nil},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				t.Parallel()
				r := mustAsk(t, s.Addr(), network, tt.qname, tt.qtype, 0)
				if r.Rcode != tt.rcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				if r.Authoritative != tt.aa {
					t.Errorf("AA = %v, want %v", r.Authoritative, tt.aa)
				}
				if r.RecursionAvailable || r.Truncated {
					t.Errorf("RA = %v, TC = %v, want both false", r.RecursionAvailable, r.Truncated)
				}
				if got, w := rrs(t, r.Answer), want(t, tt.answer...); !slices.Equal(got, w) {
					t.Errorf("answer:\n got %q\nwant %q", got, w)
				}
				if got, w := rrs(t, r.Ns), want(t, tt.ns...); !slices.Equal(got, w) {
					t.Errorf("authority:\n got %q\nwant %q", got, w)
				}
				if len(r.Extra) != 0 {
					t.Errorf("additional = %v, want none", r.Extra)
				}
			})
		}
	}
}

// TestQuestionCase checks that names match case-insensitively and that
// the question comes back exactly as asked, which 0x20-randomising
// clients check.
func TestQuestionCase(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	r := mustAsk(t, s.Addr(), "udp", "ShOp.MXDEMO.net.", dns.TypeMX, 0)
	if r.Question[0].Name != "ShOp.MXDEMO.net." {
		t.Errorf("question = %q, want the asked case", r.Question[0].Name)
	}
	if len(r.Answer) != 3 {
		t.Errorf("got %d answers, want 3", len(r.Answer))
	}
	// Wildcard answers take the owner from the question.
	r = mustAsk(t, s.Addr(), "udp", "Any.WILD.mxcases.org.", dns.TypeMX, 0)
	if len(r.Answer) != 1 || r.Answer[0].Header().Name != "Any.WILD.mxcases.org." {
		t.Errorf("wildcard answer = %v, want owner Any.WILD.mxcases.org.", r.Answer)
	}
}

func TestTruncation(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	const big = "big.mxdemo.net."

	// The fixture must be bigger than 1232 bytes even compressed, or the
	// cases below test nothing.
	z, err := dnstest.Load(fixtures...)
	if err != nil {
		t.Fatal(err)
	}
	full := z.Reply(new(dns.Msg).SetQuestion(big, dns.TypeMX))
	full.Compress = true
	if n := full.Len(); n <= dnstest.DefaultUDPSize {
		t.Fatalf("big.mxdemo.net MX is %d bytes compressed, want > %d", n, dnstest.DefaultUDPSize)
	}

	tests := []struct {
		name    string
		network string
		edns    uint16
		tc      bool
		maxLen  int
	}{
		{"UDP without EDNS", "udp", 0, true, dns.MinMsgSize},
		{"UDP with EDNS 1232", "udp", 1232, true, 1232},
		{"UDP with EDNS 4096 is capped at the server's 1232", "udp", 4096, true, 1232},
		{"UDP with EDNS below 512 counts as 512", "udp", 300, true, dns.MinMsgSize},
		{"TCP", "tcp", 0, false, dns.MaxMsgSize},
		{"TCP with EDNS", "tcp", 1232, false, dns.MaxMsgSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &dns.Client{Net: tt.network, Timeout: 2 * time.Second, UDPSize: dns.MaxMsgSize}
			m := new(dns.Msg).SetQuestion(big, dns.TypeMX)
			if tt.edns != 0 {
				m.SetEdns0(tt.edns, false)
			}
			r, _, err := c.Exchange(m, s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if r.Truncated != tt.tc {
				t.Errorf("TC = %v, want %v", r.Truncated, tt.tc)
			}
			r.Compress = true // Len of the wire form, as the server packed it
			if n := r.Len(); n > tt.maxLen {
				t.Errorf("reply is %d bytes, want at most %d", n, tt.maxLen)
			}
			if !tt.tc && len(r.Answer) != 40 {
				t.Errorf("got %d answers, want all 40", len(r.Answer))
			}
			if tt.tc && (len(r.Answer) == 0 || len(r.Answer) >= 40) {
				t.Errorf("got %d answers, want as many as fit", len(r.Answer))
			}
		})
	}

	t.Run("WithUDPSize raises the cap", func(t *testing.T) {
		s2, err := dnstest.Start("127.0.0.1:0", z, dnstest.WithUDPSize(4096))
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		c := &dns.Client{Timeout: 2 * time.Second}
		m := new(dns.Msg).SetQuestion(big, dns.TypeMX).SetEdns0(4096, false)
		r, _, err := c.Exchange(m, s2.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if r.Truncated || len(r.Answer) != 40 || r.IsEdns0().UDPSize() != 4096 {
			t.Errorf("TC = %v, %d answers, EDNS size %d; want full answer and 4096", r.Truncated, len(r.Answer), r.IsEdns0().UDPSize())
		}
	})
}

func TestEDNS(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	tests := []struct {
		name    string
		network string
		edns    uint16
		version uint8
		rcode   int
		wantOPT bool
	}{
		{"no EDNS, no OPT", "udp", 0, 0, dns.RcodeSuccess, false},
		{"EDNS echoed over UDP", "udp", 4096, 0, dns.RcodeSuccess, true},
		{"EDNS echoed over TCP", "tcp", 1232, 0, dns.RcodeSuccess, true},
		{"unknown version", "udp", 1232, 1, dns.RcodeBadVers, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &dns.Client{Net: tt.network, Timeout: 2 * time.Second}
			m := new(dns.Msg).SetQuestion("shop.mxdemo.net.", dns.TypeMX)
			if tt.edns != 0 {
				m.SetEdns0(tt.edns, false)
				m.IsEdns0().SetVersion(tt.version)
			}
			r, _, err := c.Exchange(m, s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if r.Rcode != tt.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
			}
			opt := r.IsEdns0()
			if (opt != nil) != tt.wantOPT {
				t.Fatalf("OPT = %v, want present %v", opt, tt.wantOPT)
			}
			if opt != nil && opt.UDPSize() != dnstest.DefaultUDPSize {
				t.Errorf("advertised size = %d, want %d", opt.UDPSize(), dnstest.DefaultUDPSize)
			}
		})
	}
}

// TestFaults exercises every fault over real packets. Each case gets its
// own server, so cases cannot leak faults into each other.
func TestFaults(t *testing.T) {
	const (
		name  = "servfail.mxdemo.net."
		other = "refused.mxdemo.net."
	)
	type q struct {
		network string
		name    string
		qtype   uint16
		rcode   int  // -1: expect a timeout
		tc      bool // want TC=1 and an empty answer
	}
	tests := []struct {
		name    string
		setup   func(s *dnstest.Server)
		queries []q
	}{
		{"ServFail", func(s *dnstest.Server) { s.ServFail(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"tcp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"udp", other, dns.TypeMX, dns.RcodeSuccess, false},
		}},
		{"ServFail is case-insensitive", func(s *dnstest.Server) { s.ServFail("SERVFAIL.MxDemo.Net") }, []q{
			{"udp", "servFail.mxdemo.net.", dns.TypeMX, dns.RcodeServerFailure, false},
		}},
		{"ServFail for one type", func(s *dnstest.Server) { s.ServFail(name, dns.TypeAAAA) }, []q{
			{"udp", name, dns.TypeAAAA, dns.RcodeServerFailure, false},
			{"udp", name, dns.TypeMX, dns.RcodeSuccess, false},
		}},
		{"Refuse", func(s *dnstest.Server) { s.Refuse(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeRefused, false},
			{"tcp", name, dns.TypeMX, dns.RcodeRefused, false},
		}},
		{"Drop", func(s *dnstest.Server) { s.Drop(name) }, []q{
			{"udp", name, dns.TypeMX, -1, false},
			{"tcp", name, dns.TypeMX, -1, false},
			{"udp", other, dns.TypeMX, dns.RcodeSuccess, false},
		}},
		{"Mismatch", func(s *dnstest.Server) { s.Mismatch(name) }, []q{
			{"udp", name, dns.TypeMX, -1, false}, // the client ignores the stray ID and times out
			{"udp", other, dns.TypeMX, dns.RcodeSuccess, false},
		}},
		{"Truncate", func(s *dnstest.Server) { s.Truncate(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeSuccess, true},
			{"tcp", name, dns.TypeMX, dns.RcodeSuccess, false},
		}},
		{"FailFirst", func(s *dnstest.Server) { s.FailFirst(name, 2) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"tcp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"udp", name, dns.TypeMX, dns.RcodeSuccess, false},
			{"udp", name, dns.TypeMX, dns.RcodeSuccess, false},
		}},
		{"FailFirst then an action", func(s *dnstest.Server) { s.FailFirst(name, 1); s.Refuse(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"udp", name, dns.TypeMX, dns.RcodeRefused, false},
		}},
		{"later action replaces earlier", func(s *dnstest.Server) { s.Drop(name); s.ServFail(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeServerFailure, false},
		}},
		{"Clear", func(s *dnstest.Server) { s.ServFail(name); s.ServFail(name, dns.TypeA); s.Clear(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeSuccess, false},
			{"udp", name, dns.TypeA, dns.RcodeSuccess, false},
		}},
		{"Clear one type", func(s *dnstest.Server) { s.ServFail(name, dns.TypeMX, dns.TypeA); s.Clear(name, dns.TypeA) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"udp", name, dns.TypeA, dns.RcodeSuccess, false},
		}},
		{"AllNames", func(s *dnstest.Server) { s.Refuse(dnstest.AllNames) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeRefused, false},
			{"udp", "missing.mxdemo.net.", dns.TypeA, dns.RcodeRefused, false},
		}},
		{"a name's fault beats AllNames", func(s *dnstest.Server) { s.Refuse(dnstest.AllNames); s.ServFail(name) }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeServerFailure, false},
			{"udp", other, dns.TypeMX, dns.RcodeRefused, false},
		}},
		{"ClearAll", func(s *dnstest.Server) { s.Drop(dnstest.AllNames); s.ServFail(name); s.ClearAll() }, []q{
			{"udp", name, dns.TypeMX, dns.RcodeSuccess, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := dnstest.New(t, fixtures...)
			tt.setup(s)
			sent := make(map[string]int)
			for i, q := range tt.queries {
				sent[strings.ToLower(q.name)]++
				c := &dns.Client{Net: q.network, Timeout: 300 * time.Millisecond}
				r, _, err := c.Exchange(new(dns.Msg).SetQuestion(q.name, q.qtype), s.Addr())
				if q.rcode == -1 {
					var ne net.Error
					if !errors.As(err, &ne) || !ne.Timeout() {
						t.Errorf("query %d (%s): err = %v, want a timeout", i, q.network, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("query %d (%s): %v", i, q.network, err)
				}
				if r.Rcode != q.rcode {
					t.Errorf("query %d (%s): rcode = %s, want %s", i, q.network, dns.RcodeToString[r.Rcode], dns.RcodeToString[q.rcode])
				}
				if r.Truncated != q.tc {
					t.Errorf("query %d (%s): TC = %v, want %v", i, q.network, r.Truncated, q.tc)
				}
				if q.tc && len(r.Answer) != 0 {
					t.Errorf("query %d (%s): %d answers with TC, want none", i, q.network, len(r.Answer))
				}
				if !q.tc && q.rcode == dns.RcodeSuccess && q.qtype == dns.TypeMX && len(r.Answer) == 0 {
					t.Errorf("query %d (%s): empty answer, want the MX", i, q.network)
				}
			}
			// Every query counts, faulted ones included.
			for n, want := range sent {
				if got := s.Queries(n, 0); got != want {
					t.Errorf("Queries(%s, 0) = %d, want %d", n, got, want)
				}
			}
		})
	}
}

// TestMismatchTCP checks the TCP side of Mismatch: the client reports
// the wrong ID as an error rather than waiting.
func TestMismatchTCP(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	s.Mismatch("shop.mxdemo.net")
	_, err := ask(s.Addr(), "tcp", "shop.mxdemo.net.", dns.TypeMX, 0)
	if !errors.Is(err, dns.ErrId) {
		t.Errorf("err = %v, want dns.ErrId", err)
	}
}

func TestDelay(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	// Long enough that a busy machine answers the unrelated query first,
	// short of the client's 2 s timeout.
	const d = time.Second
	s.Delay("slow.mxdemo.net", d)

	var slowRTT time.Duration
	var slowErr error
	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		start := time.Now()
		_, slowErr = ask(s.Addr(), "udp", "slow.mxdemo.net.", dns.TypeMX, 0)
		slowRTT = time.Since(start)
	}()
	// While the slow query waits, others are answered: the unrelated
	// answer comes back before the delayed one, however busy the machine.
	for s.Queries("slow.mxdemo.net", dns.TypeMX) == 0 {
		time.Sleep(time.Millisecond)
	}
	mustAsk(t, s.Addr(), "udp", "shop.mxdemo.net.", dns.TypeMX, 0)
	select {
	case <-slowDone:
		t.Errorf("an unrelated query was answered only after the delayed one (%v)", slowRTT)
	default:
	}
	<-slowDone
	if slowErr != nil {
		t.Fatal(slowErr)
	}
	if slowRTT < d {
		t.Errorf("delayed query answered after %v, want at least %v", slowRTT, d)
	}

	// A delay combines with an action.
	const short = 300 * time.Millisecond
	s.Delay("slow.mxdemo.net", short)
	s.ServFail("slow.mxdemo.net")
	start := time.Now()
	r := mustAsk(t, s.Addr(), "tcp", "slow.mxdemo.net.", dns.TypeMX, 0)
	if r.Rcode != dns.RcodeServerFailure || time.Since(start) < short {
		t.Errorf("rcode %s after %v, want SERVFAIL after %v", dns.RcodeToString[r.Rcode], time.Since(start), short)
	}
	s.Delay("slow.mxdemo.net", 0)
	s.Clear("slow.mxdemo.net")
}

func TestCounters(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	s.ServFail("servfail.mxdemo.net")
	for _, q := range []struct {
		network, name string
		qtype         uint16
	}{
		{"udp", "shop.mxdemo.net.", dns.TypeMX},
		{"udp", "SHOP.mxdemo.net.", dns.TypeMX},
		{"tcp", "shop.mxdemo.net.", dns.TypeMX},
		{"udp", "shop.mxdemo.net.", dns.TypeA},
		{"udp", "servfail.mxdemo.net.", dns.TypeMX},
		{"tcp", "servfail.mxdemo.net.", dns.TypeMX},
		{"udp", "nowhere.org.", dns.TypeMX},
	} {
		mustAsk(t, s.Addr(), q.network, q.name, q.qtype, 0)
	}
	tests := []struct {
		name     string
		qtype    uint16
		all, tcp int
	}{
		{"shop.mxdemo.net.", dns.TypeMX, 3, 1},
		{"Shop.MxDemo.Net", dns.TypeMX, 3, 1}, // case and trailing dot do not matter
		{"shop.mxdemo.net.", dns.TypeA, 1, 0},
		{"shop.mxdemo.net.", 0, 4, 1}, // every type
		{"servfail.mxdemo.net.", dns.TypeMX, 2, 1},
		{"nowhere.org.", dns.TypeMX, 1, 0},
		{"never.mxdemo.net.", dns.TypeMX, 0, 0},
	}
	for _, tt := range tests {
		if got := s.Queries(tt.name, tt.qtype); got != tt.all {
			t.Errorf("Queries(%q, %s) = %d, want %d", tt.name, dns.TypeToString[tt.qtype], got, tt.all)
		}
		if got := s.QueriesTCP(tt.name, tt.qtype); got != tt.tcp {
			t.Errorf("QueriesTCP(%q, %s) = %d, want %d", tt.name, dns.TypeToString[tt.qtype], got, tt.tcp)
		}
	}
	if got := s.Total(); got != 7 {
		t.Errorf("Total() = %d, want 7", got)
	}
	s.ResetCounts()
	if s.Total() != 0 || s.Queries("shop.mxdemo.net", dns.TypeMX) != 0 {
		t.Errorf("after ResetCounts: Total %d, Queries %d; want 0", s.Total(), s.Queries("shop.mxdemo.net", dns.TypeMX))
	}
}

// TestConcurrent hammers one server from several goroutines while faults
// and counters change, for the race detector.
func TestConcurrent(t *testing.T) {
	s := dnstest.New(t, fixtures...)
	const workers, perWorker = 8, 100
	names := []string{"shop.mxdemo.net.", "alias.mxdemo.net.", "missing.mxdemo.net.", "anything.wild.mxcases.org.", "flaky.mxdemo.net."}
	stop := make(chan struct{})
	var fiddler sync.WaitGroup
	fiddler.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.FailFirst("flaky.mxdemo.net", 3)
			s.ServFail("flaky.mxdemo.net", dns.TypeA)
			_ = s.Queries("shop.mxdemo.net", 0)
			_ = s.Total()
			s.Clear("flaky.mxdemo.net")
			time.Sleep(time.Millisecond)
		}
	})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			network := []string{"udp", "tcp"}[w%2]
			for i := range perWorker {
				name := names[(w+i)%len(names)]
				r, err := ask(s.Addr(), network, name, []uint16{dns.TypeMX, dns.TypeA}[i%2], 1232)
				if err != nil {
					errs <- err
					return
				}
				if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError && r.Rcode != dns.RcodeServerFailure {
					errs <- errors.New(dns.RcodeToString[r.Rcode])
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	fiddler.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.Total(); got != workers*perWorker {
		t.Errorf("Total() = %d, want %d", got, workers*perWorker)
	}
}

// TestCloseNoLeak checks that Close returns promptly even with a query
// held by a long Delay and an idle TCP connection open, and that every
// goroutine the server started is gone afterwards.
func TestCloseNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	z, err := dnstest.Load(fixtures...)
	if err != nil {
		t.Fatal(err)
	}
	s, err := dnstest.Start("127.0.0.1:0", z)
	if err != nil {
		t.Fatal(err)
	}
	s.Delay("slow.mxdemo.net", time.Hour)
	for _, network := range []string{"udp", "tcp"} {
		mustAsk(t, s.Addr(), network, "shop.mxdemo.net.", dns.TypeMX, 0)
	}
	// An idle TCP connection the server must give up on.
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A query stuck in its delay, over UDP and TCP.
	delayed := make(chan error, 2)
	for _, network := range []string{"udp", "tcp"} {
		go func() {
			_, _, err := (&dns.Client{Net: network, Timeout: 500 * time.Millisecond}).Exchange(
				new(dns.Msg).SetQuestion("slow.mxdemo.net.", dns.TypeMX), s.Addr())
			delayed <- err
		}()
	}
	deadline := time.Now().Add(2 * time.Second)
	for s.Queries("slow.mxdemo.net", dns.TypeMX) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	<-delayed
	<-delayed
	conn.Close()

	// After Close nothing answers on the port.
	if _, _, err := (&dns.Client{Net: "tcp", Timeout: 200 * time.Millisecond}).Exchange(
		new(dns.Msg).SetQuestion("shop.mxdemo.net.", dns.TypeMX), s.Addr()); err == nil {
		t.Error("server still answers over TCP after Close")
	}

	deadline = time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before Start, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestStartAddresses(t *testing.T) {
	z, err := dnstest.Parse("a.zone", soa)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		ok   bool
		is   error
	}{
		{"127.0.0.1:0", true, nil},
		{"localhost:0", true, nil},
		{"127.0.0.2:0", true, nil},
		{"0.0.0.0:0", false, dnstest.ErrNotLoopback},
		{":0", false, dnstest.ErrNotLoopback},
		{"[::]:0", false, dnstest.ErrNotLoopback},
		{"192.0.2.1:53", false, dnstest.ErrNotLoopback},
		{"dns.google:53", false, dnstest.ErrNotLoopback},
		{"127.0.0.1", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			s, err := dnstest.Start(tt.addr, z)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				host, _, _ := net.SplitHostPort(s.Addr())
				if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
					t.Errorf("Addr() = %q, want a loopback IP", s.Addr())
				}
				mustAsk(t, s.Addr(), "udp", "a.net.", dns.TypeSOA, 0)
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("err = %v, want %v", err, tt.is)
			}
		})
	}

	t.Run("port in use", func(t *testing.T) {
		s := dnstest.NewFromText(t, soa)
		if s2, err := dnstest.Start(s.Addr(), z); err == nil {
			s2.Close()
			t.Fatal("second Start on the same port succeeded")
		}
	})
	t.Run("nil zones", func(t *testing.T) {
		if _, err := dnstest.Start("127.0.0.1:0", nil); err == nil {
			t.Fatal("Start(nil zones) succeeded")
		}
	})
}

// BenchmarkServeUDP measures queries per second through the real UDP
// path, the load-test case.
func BenchmarkServeUDP(b *testing.B) {
	s := dnstest.New(b, fixtures...)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := &dns.Client{Timeout: 2 * time.Second}
		conn, err := c.Dial(s.Addr())
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		m := new(dns.Msg).SetQuestion("shop.mxdemo.net.", dns.TypeMX)
		for pb.Next() {
			m.Id = dns.Id()
			if _, _, err := c.ExchangeWithConn(m, conn); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(s.Total())/b.Elapsed().Seconds(), "queries/s")
}
