package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoUDP is an upstream that sends every datagram back.
func echoUDP(t testing.TB) netip.AddrPort {
	t.Helper()
	return echoUDPOn(t, netip.MustParseAddrPort("127.0.0.1:0"))
}

func echoUDPOn(t testing.TB, addr netip.AddrPort) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(4 << 20)
	c.SetWriteBuffer(4 << 20)
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1<<16)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			c.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// echoTCP is an upstream that copies each connection back to itself.
func echoTCP(t *testing.T, addr netip.AddrPort) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			go func() {
				io.Copy(c, c)
				c.CloseWrite()
				c.Close()
			}()
		}
	}()
}

func startProxy(t testing.TB, cfg config) *proxy {
	t.Helper()
	if !cfg.listen.IsValid() {
		cfg.listen = netip.MustParseAddrPort("127.0.0.1:0")
	}
	if cfg.sockets == 0 {
		cfg.sockets = 2
	}
	if cfg.queue == 0 {
		cfg.queue = 1024
	}
	p, err := newProxy(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// query is a fake DNS message: a 12-byte header with the given ID, then a tag.
// receiveAll waits until the proxy has accounted for all n queries, as
// delivered or dropped, and then counts the replies waiting in c. Waiting
// on the proxy's counters, rather than for a quiet spell, keeps the count
// right however slowly a busy machine runs the proxy.
func receiveAll(t *testing.T, p *proxy, c *net.UDPConn, n int64) int {
	t.Helper()
	s := &p.stats
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		done := s.delivered.Load() + s.short.Load() + s.lostUp.Load() + s.lostDown.Load() + s.overflow.Load() + s.unmatched.Load()
		if s.queries.Load() == n && done >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy accounted for %d of %d queries in 30 s (%s)", done, n, p.Stats())
		}
	}
	// Delivered replies are in c's buffer already: a read that waits
	// ends only once the buffer is empty.
	got := 0
	buf := make([]byte, 512)
	for {
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			return got
		}
		got++
	}
}

// delayed tells that the proxy held a reply back, not how precisely: the
// lead may send a packet up to maxLead early on each leg, and a busy
// machine only makes replies later, so half the RTT is a floor that no
// run can break. How close to the RTT replies come is BenchmarkUDPDelay's
// to report.
func delayed(el, rtt time.Duration) bool { return el >= rtt/2 }

func query(id uint16, tag string) []byte {
	b := make([]byte, 12, 12+len(tag))
	binary.BigEndian.PutUint16(b, id)
	return append(b, tag...)
}

func TestLoopbackOnly(t *testing.T) {
	for _, s := range []string{"127.0.0.1:53", "127.1.2.3:5300", "[::1]:53", "[::ffff:127.0.0.1]:53"} {
		if _, err := loopback(s); err != nil {
			t.Errorf("loopback(%q) = %v, want ok", s, err)
		}
	}
	for _, s := range []string{"10.0.0.1:53", "8.8.8.8:53", "0.0.0.0:53", "[::]:53", "localhost:53", "127.0.0.1"} {
		if _, err := loopback(s); err == nil {
			t.Errorf("loopback(%q) = ok, want an error", s)
		}
	}
	if _, err := loopback("192.0.2.1:53"); !errors.Is(err, errNotLoopback) {
		t.Errorf("loopback(192.0.2.1:53) = %v, want errNotLoopback", err)
	}
}

func TestUDPDelayRestoresIDs(t *testing.T) {
	t.Parallel()
	const rtt = 40 * time.Millisecond
	p := startProxy(t, config{upstream: echoUDP(t), rtt: rtt})
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 50
	start := time.Now()
	for i := range n {
		if _, err := c.Write(query(uint16(1000+i), "q")); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := map[uint16]bool{}
	buf := make([]byte, 512)
	for range n {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d replies: %v", len(got), err)
		}
		if el := time.Since(start); !delayed(el, rtt) {
			t.Errorf("reply after %v, want it delayed by the RTT %v", el, rtt)
		}
		if k != 13 || buf[12] != 'q' {
			t.Errorf("reply %q, want the query echoed", buf[:k])
		}
		got[binary.BigEndian.Uint16(buf)] = true
	}
	for i := range n {
		if !got[uint16(1000+i)] {
			t.Errorf("no reply with ID %d", 1000+i)
		}
	}
}

func TestUDPRoutesManyClients(t *testing.T) {
	t.Parallel()
	p := startProxy(t, config{upstream: echoUDP(t), rtt: 2 * time.Millisecond})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			tag := strings.Repeat("x", i%40)
			c.Write(query(7, tag)) // every client uses the same ID
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 512)
			k, err := c.Read(buf)
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			if binary.BigEndian.Uint16(buf) != 7 || string(buf[12:k]) != tag {
				t.Errorf("client %d got % x, want its own reply", i, buf[:k])
			}
		}()
	}
	wg.Wait()
}

func TestUDPLoss(t *testing.T) {
	t.Parallel()
	const loss, n = 0.3, 2000
	p := startProxy(t, config{upstream: echoUDP(t), loss: loss, seed: 42, sockets: 1})
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadBuffer(4 << 20)
	for i := range n {
		c.Write(query(uint16(i), ""))
		if i%20 == 19 {
			time.Sleep(time.Millisecond) // stay within the socket buffers
		}
	}
	got := receiveAll(t, p, c, n)
	s := &p.stats
	if q := s.queries.Load(); q != n {
		t.Fatalf("proxy saw %d queries, want %d", q, n)
	}
	// The client's socket buffer may overflow on a loaded machine, so the
	// loss rate is judged on the proxy's own count.
	d := s.delivered.Load()
	if got > int(d) || float64(got) < 0.9*float64(d) {
		t.Errorf("proxy delivered %d, client received %d", d, got)
	}
	want := n * (1 - loss) * (1 - loss) // dropped on either leg
	if f := float64(d); f < want*0.9 || f > want*1.1 {
		t.Errorf("delivered %d of %d, want about %.0f (%s)", d, n, want, p.Stats())
	}
	if lost := s.lostUp.Load() + s.lostDown.Load(); lost+d != n {
		t.Errorf("lost %d + delivered %d != %d (%s)", lost, d, n, p.Stats())
	}
	if s.overflow.Load() != 0 || s.unmatched.Load() != 0 {
		t.Errorf("unexpected drops: %s", p.Stats())
	}
}

func TestTCPDelay(t *testing.T) {
	t.Parallel()
	// Pick a port for the upstream by letting the kernel choose.
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	up := l.Addr().(*net.TCPAddr).AddrPort()
	l.Close()
	echoTCP(t, up)
	const rtt = 40 * time.Millisecond
	p := startProxy(t, config{upstream: up, rtt: rtt})
	c, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(p.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c) // EOF must travel back through the proxy too
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "hello" {
		t.Errorf("got %q, want hello", b)
	}
	if el := time.Since(start); !delayed(el, rtt) {
		t.Errorf("echo after %v, want it delayed by the RTT %v", el, rtt)
	}
}

func TestRunPrintsAddressAndStops(t *testing.T) {
	t.Parallel()
	up := echoUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-listen", "127.0.0.1:0", "-upstream", up.String(), "-rtt", "0s"}, pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "delayproxy listening on 127.0.0.1:") {
		t.Errorf("first line %q", line)
	}
	go io.Copy(io.Discard, pr)
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit %d, stderr %q", c, stderr.String())
	}
	if !strings.Contains(stderr.String(), "udp queries=0") {
		t.Errorf("stderr %q, want the counters", stderr.String())
	}
}

func TestRunRefusesRemoteUpstream(t *testing.T) {
	var stderr strings.Builder
	if c := run(context.Background(), []string{"-upstream", "192.0.2.1:53"}, io.Discard, &stderr); c != 1 {
		t.Errorf("exit %d, want 1", c)
	}
	if !strings.Contains(stderr.String(), "not a loopback address") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestUDPBurstManySockets sends bursts from several client sockets at once,
// so that reads and writes come in batches: every query must come back to
// its own socket, with its own ID, delayed.
func TestUDPBurstManySockets(t *testing.T) {
	t.Parallel()
	const rtt = 20 * time.Millisecond
	const clients, perClient = 8, 300
	p := startProxy(t, config{upstream: echoUDP(t), rtt: rtt, sockets: 3, queue: 1 << 14})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			conn.SetReadBuffer(4 << 20)
			tag := fmt.Sprintf("client%d", c)
			var sent [perClient]time.Time
			var mu sync.Mutex
			got := map[uint16]bool{}
			done := make(chan struct{})
			go func() { // read while sending, so that no socket buffer fills up
				defer close(done)
				buf := make([]byte, 512)
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				for range perClient {
					k, err := conn.Read(buf)
					if err != nil {
						t.Errorf("%s after %d replies: %v", tag, len(got), err)
						return
					}
					id := binary.BigEndian.Uint16(buf)
					if k < 12 || string(buf[12:k]) != tag || int(id) >= perClient || got[id] {
						t.Errorf("%s got % x, want a reply of its own", tag, buf[:k])
						return
					}
					got[id] = true
					mu.Lock()
					at := sent[id]
					mu.Unlock()
					if el := time.Since(at); !delayed(el, rtt) {
						t.Errorf("%s: reply %d after %v, want it delayed by the RTT %v", tag, id, el, rtt)
					}
				}
			}()
			for i := range perClient {
				mu.Lock()
				sent[i] = time.Now()
				mu.Unlock()
				if _, err := conn.Write(query(uint16(i), tag)); err != nil {
					t.Error(err)
				}
				if i%100 == 99 {
					// Bursts of 100 come back as bursts of 100, which
					// the client's socket buffer is sure to hold.
					time.Sleep(2 * time.Millisecond)
				}
			}
			<-done
		}()
	}
	wg.Wait()
	// A deliverer counts what it sent once sendmmsg returns, which may be
	// after the clients have read it: the counters are final once it stops.
	p.Close()
	s := &p.stats
	const n = clients * perClient
	if s.queries.Load() != n || s.forwarded.Load() != n || s.replies.Load() != n || s.delivered.Load() != n {
		t.Errorf("want %d of each: %s", n, p.Stats())
	}
}

// TestUDPCountersAddUp drops packets every way the proxy can: short
// queries, loss on both legs and a queue too small for the burst. Every
// query must be counted once as delivered or as one kind of drop.
func TestUDPCountersAddUp(t *testing.T) {
	t.Parallel()
	const n = 600
	p := startProxy(t, config{upstream: echoUDP(t), rtt: 100 * time.Millisecond, loss: 0.1, seed: 7, queue: 64})
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadBuffer(4 << 20)
	for i := range n {
		if i%50 == 0 {
			c.Write([]byte("short"))
		} else {
			c.Write(query(uint16(i), "q"))
		}
	}
	got := receiveAll(t, p, c, n)
	s := &p.stats
	if s.queries.Load() != n {
		t.Errorf("proxy saw %d queries, want %d (%s)", s.queries.Load(), n, p.Stats())
	}
	if s.overflow.Load() == 0 || s.lostUp.Load() == 0 || s.lostDown.Load() == 0 || s.short.Load() != n/50 {
		t.Errorf("want every kind of drop: %s", p.Stats())
	}
	// The echo server answers every query that reached it.
	if s.replies.Load() != s.forwarded.Load() || s.unmatched.Load() != 0 {
		t.Errorf("replies != forwarded: %s", p.Stats())
	}
	drops := s.short.Load() + s.lostUp.Load() + s.lostDown.Load() + s.overflow.Load()
	if d := s.delivered.Load(); d+drops != n || int64(got) != d {
		t.Errorf("delivered %d + dropped %d != %d queries, or client received %d (%s)", d, drops, n, got, p.Stats())
	}
	// Every reply is timed, lost or not, and every sent packet's lateness
	// is counted: the means in Stats are over all of them.
	if s.timed.Load() != s.replies.Load() || s.server.Load() <= 0 {
		t.Errorf("timed %d replies of %d, server time %d (%s)", s.timed.Load(), s.replies.Load(), s.server.Load(), p.Stats())
	}
	if p.upQ.sent.Load() != s.forwarded.Load() || p.downQ.sent.Load() != s.delivered.Load() {
		t.Errorf("lateness counted over %d and %d packets, want %d and %d (%s)",
			p.upQ.sent.Load(), p.downQ.sent.Load(), s.forwarded.Load(), s.delivered.Load(), p.Stats())
	}
}

// TestDeliverOrderAndTimes drives a delay queue directly: batches must leave
// in order, never earlier than the lead's bound and slack, and those due
// together in one call.
func TestDeliverOrderAndTimes(t *testing.T) {
	t.Parallel()
	const half = 5 * time.Millisecond
	p := &proxy{cfg: config{queue: 1000}, half: half, done: make(chan struct{})}
	q := &queue{c: make(chan *batch, p.cfg.queue)}
	type call struct {
		at   time.Time
		seqs []int
	}
	calls := make(chan call, 1000)
	send := func(due []*batch) {
		now := time.Now()
		var c call
		for _, b := range due {
			if early := b.at.Sub(now); early > p.maxLead()+slack {
				t.Errorf("batch %d sent %v early", b.pks[0].b[0], early)
			}
			for i := range b.pks {
				c.seqs = append(c.seqs, int(b.pks[i].b[0]))
			}
		}
		c.at = now
		calls <- c
	}
	mk := func(seq, packets int) *batch {
		b := getBatch(packets)
		for range packets {
			b.add([]byte{byte(seq)})
		}
		b.arrived = time.Now()
		return b
	}
	// Ten batches queued before the deliverer starts are all due when it
	// does: they must go in one call.
	total := 0
	for i := range 10 {
		p.push(q, mk(i, 1+i%3))
		total += 1 + i%3
	}
	waiting := total
	time.Sleep(half + time.Millisecond)
	p.wg.Add(1)
	go p.deliver(q, send)
	var seqs []int
	next := func() call {
		select {
		case c := <-calls:
			seqs = append(seqs, c.seqs...)
			return c
		case <-time.After(5 * time.Second):
			t.Fatalf("sent %v, then nothing", seqs)
			return call{}
		}
	}
	// The trickle starts once the first call is made: pushed before, on a
	// loaded machine whose deliverer had not run yet, its batches could
	// fall due in that call.
	if c := next(); len(c.seqs) != waiting || c.seqs[waiting-1] != 9 {
		t.Errorf("first call sent %v, want the 10 waiting batches", c.seqs)
	}
	// Then a trickle, each batch due on its own.
	for i := 10; i < 40; i++ {
		p.push(q, mk(i, 2))
		total += 2
		time.Sleep(time.Duration(i%4) * 300 * time.Microsecond)
	}
	for len(seqs) < total {
		next()
	}
	close(p.done)
	p.wg.Wait()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] < seqs[i-1] {
			t.Fatalf("sent out of order: %v", seqs)
		}
	}
	if n := q.pending.Load(); n != 0 {
		t.Errorf("%d packets still pending", n)
	}
}

func TestUDPOverIPv6(t *testing.T) {
	t.Parallel()
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	l.Close()
	up := echoUDPOn(t, netip.MustParseAddrPort("[::1]:0"))
	p := startProxy(t, config{listen: netip.MustParseAddrPort("[::1]:0"), upstream: up, rtt: 2 * time.Millisecond})
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 20 {
		c.Write(query(uint16(500+i), "v6"))
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	for range 20 {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%v (%s)", err, p.Stats())
		}
		if id := binary.BigEndian.Uint16(buf); id < 500 || id >= 520 || string(buf[12:k]) != "v6" {
			t.Errorf("got % x", buf[:k])
		}
	}
}

// deliverOneByOne sends n batches one at a time through a delay queue, the
// way packets go at a low rate, and returns how late each left (negative
// when early). Their times are spread over a millisecond, as those of real
// packets are: a Go timer is late by however far its time falls from the
// runtime's next whole millisecond of epoll_wait.
func deliverOneByOne(neverEarly bool, n int) (late []time.Duration, earliest time.Duration) {
	const half = 10 * time.Millisecond
	p := &proxy{cfg: config{queue: 10, neverEarly: neverEarly}, half: half, done: make(chan struct{})}
	q := &queue{c: make(chan *batch, p.cfg.queue)}
	lateness := make(chan time.Duration, 1)
	p.wg.Add(1)
	go p.deliver(q, func(due []*batch) { lateness <- time.Since(due[0].at) })
	defer func() {
		close(p.done)
		p.wg.Wait()
	}()
	for i := range n {
		b := getBatch(1)
		b.add([]byte{byte(i)})
		b.at = time.Now().Add(half + rand.N(time.Millisecond))
		q.pending.Add(1)
		q.c <- b
		late = append(late, <-lateness)
	}
	earliest = -(p.maxLead() + slack)
	if neverEarly {
		earliest = 0
	}
	return late, earliest
}

// TestDeliverNeverEarly holds the deliverer to its bound on the early
// side, which a busy machine cannot break (it only makes packets later):
// never before a packet's time with -never-early, never more than the
// lead's bound and slack before it otherwise. How close to its time a
// packet leaves is BenchmarkDeliverOnTime's to report.
func TestDeliverNeverEarly(t *testing.T) {
	t.Parallel()
	for _, neverEarly := range []bool{true, false} {
		t.Run(fmt.Sprintf("never-early=%v", neverEarly), func(t *testing.T) {
			t.Parallel()
			late, earliest := deliverOneByOne(neverEarly, 40)
			if m := slices.Min(late); m < earliest {
				t.Errorf("a batch left %v early, want at most %v", -m, -earliest)
			}
		})
	}
}

// BenchmarkDeliverOnTime reports how late the deliverer sends packets that
// come one at a time: the median and p90, in microseconds.
func BenchmarkDeliverOnTime(b *testing.B) {
	for _, neverEarly := range []bool{true, false} {
		b.Run(fmt.Sprintf("never-early=%v", neverEarly), func(b *testing.B) {
			var all []time.Duration
			for b.Loop() {
				late, _ := deliverOneByOne(neverEarly, 40)
				all = append(all, late...)
			}
			reportSpread(b, all)
		})
	}
}

// reportSpread reports a distribution of lateness in microseconds.
func reportSpread(b *testing.B, ds []time.Duration) {
	slices.Sort(ds)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(ds[0]), "us-min")
	b.ReportMetric(us(ds[len(ds)/2]), "us-p50")
	b.ReportMetric(us(ds[len(ds)*9/10]), "us-p90")
	b.ReportMetric(us(ds[len(ds)*99/100]), "us-p99")
}

// slowSends gives a deliverer a send that takes longer than the wake-up
// tolerance, as a loaded machine does, and returns each batch's lateness at
// the middle of its send and the deliverer's lead at the end.
func slowSends() (late []time.Duration, lead, maxLead time.Duration) {
	const (
		half      = 5 * time.Millisecond
		sendTakes = 600 * time.Microsecond
		batches   = 240
		packets   = 4
	)
	p := &proxy{cfg: config{queue: batches * packets}, half: half, done: make(chan struct{})}
	q := &queue{c: make(chan *batch, p.cfg.queue)}
	var mu sync.Mutex
	p.wg.Add(1)
	go p.deliver(q, func(due []*batch) {
		start := time.Now()
		for time.Since(start) < sendTakes {
			// A busy send, as a sendmmsg that runs the receiver's stack.
		}
		mid := start.Add(time.Since(start) / 2)
		mu.Lock()
		for _, b := range due {
			late = append(late, mid.Sub(b.at))
		}
		mu.Unlock()
	})
	for i := range batches {
		b := getBatch(packets)
		for range packets {
			b.add([]byte{byte(i)})
		}
		b.arrived = time.Now()
		p.push(q, b)
		time.Sleep(time.Millisecond)
	}
	for q.pending.Load() > 0 {
		time.Sleep(time.Millisecond)
	}
	close(p.done)
	p.wg.Wait()
	return late, time.Duration(q.lead.Load()), p.maxLead()
}

// TestLeadFollowsSlowSends checks that a deliverer whose sends are slow
// learns a lead, within its bound: every send here is late by at least
// half its length, on any machine, so the lead must grow. How near zero
// the lead brings the lateness is BenchmarkLeadOffsetsSlowSends's to
// report.
func TestLeadFollowsSlowSends(t *testing.T) {
	t.Parallel()
	_, lead, maxLead := slowSends()
	if lead <= 0 || lead > maxLead {
		t.Errorf("lead %v after slow sends, want above 0 and at most %v", lead, maxLead)
	}
}

// BenchmarkLeadOffsetsSlowSends reports the lateness of the second half of
// the batches, once the lead has learnt the slow sends: without the lead
// each would leave at least half a send (300 us) late.
func BenchmarkLeadOffsetsSlowSends(b *testing.B) {
	var tail []time.Duration
	for b.Loop() {
		late, _, _ := slowSends()
		tail = append(tail, late[len(late)/2:]...)
	}
	var sum time.Duration
	for _, d := range tail {
		sum += d
	}
	b.ReportMetric(float64(sum/time.Duration(len(tail)))/float64(time.Microsecond), "us-mean")
	reportSpread(b, tail)
}

// BenchmarkUDPDelay reports the round trip that clients see through the
// proxy at a 20 ms RTT, against an echo server: what the tests hold only
// to a floor.
func BenchmarkUDPDelay(b *testing.B) {
	const rtt = 20 * time.Millisecond
	p := startProxy(b, config{upstream: echoUDP(b), rtt: rtt})
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(p.Addr()))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var rtts []time.Duration
	buf := make([]byte, 512)
	for i := 0; b.Loop(); i++ {
		// Bursts of 10, as a resolver's clients send them.
		sent := time.Now()
		for k := range 10 {
			c.Write(query(uint16(i*10+k), "b"))
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for range 10 {
			if _, err := c.Read(buf); err != nil {
				b.Fatal(err)
			}
			rtts = append(rtts, time.Since(sent)-rtt)
		}
	}
	reportSpread(b, rtts)
}
