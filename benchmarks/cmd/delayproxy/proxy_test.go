package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoUDP is an upstream that sends every datagram back.
func echoUDP(t *testing.T) netip.AddrPort {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
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

func startProxy(t *testing.T, cfg config) *proxy {
	t.Helper()
	cfg.listen = netip.MustParseAddrPort("127.0.0.1:0")
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
		if el := time.Since(start); el < rtt {
			t.Errorf("reply after %v, want >= %v", el, rtt)
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
	received := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			if _, err := c.Read(buf); err != nil {
				return
			}
			received++
		}
	}()
	for i := range n {
		c.Write(query(uint16(i), ""))
		if i%20 == 19 {
			time.Sleep(time.Millisecond) // stay within the socket buffers
		}
	}
	<-done
	s := &p.stats
	if q := s.queries.Load(); q != n {
		t.Fatalf("proxy saw %d queries, want %d", q, n)
	}
	// The client's socket buffer may overflow on a loaded machine, so the
	// loss rate is judged on the proxy's own count.
	d := s.delivered.Load()
	if received > int(d) || float64(received) < 0.9*float64(d) {
		t.Errorf("proxy delivered %d, client received %d", d, received)
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
	if el := time.Since(start); el < rtt {
		t.Errorf("echo after %v, want >= %v", el, rtt)
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
