package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	listen, upstream netip.AddrPort
	rtt              time.Duration
	loss             float64
	seed             uint64
	sockets          int
	queue            int
}

// packet is a datagram waiting in a delay queue until at.
type packet struct {
	at time.Time
	b  []byte
	up *upstream      // socket to the server, for queries
	to netip.AddrPort // client, for replies
}

// stats are the proxy's counters, all packets unless named otherwise.
type stats struct {
	queries, forwarded, replies, delivered atomic.Int64
	lostUp, lostDown, overflow, unmatched  atomic.Int64
	short, tcpConns                        atomic.Int64
}

type proxy struct {
	cfg   config
	half  time.Duration
	udp   *net.UDPConn
	tcp   *net.TCPListener
	ups   []*upstream
	upQ   chan packet // client -> server, one producer (the client reader)
	stats stats
	wg    sync.WaitGroup
	once  sync.Once
	done  chan struct{}
}

// upstream is one UDP socket towards the server. Each query sent through it
// gets the next 16-bit ID; the slot under that ID remembers the client and
// its own ID until the reply comes back.
type upstream struct {
	conn  *net.UDPConn
	downQ chan packet // server -> client, one producer (this socket's reader)
	mu    sync.Mutex
	next  uint16
	slots [1 << 16]slot
}

// slot holds no pointers, so the garbage collector never scans the 64k
// slots of a socket.
type slot struct {
	ip   [16]byte
	port uint16
	id   uint16
	used bool
}

// newProxy binds UDP and TCP on the same port and starts serving.
func newProxy(cfg config) (*proxy, error) {
	p := &proxy{cfg: cfg, half: cfg.rtt / 2, upQ: make(chan packet, cfg.queue), done: make(chan struct{})}
	var err error
	// With port 0, UDP picks the port and TCP must get the same one.
	for try := 0; ; try++ {
		p.udp, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(cfg.listen))
		if err != nil {
			return nil, err
		}
		addr := p.udp.LocalAddr().(*net.UDPAddr).AddrPort()
		p.tcp, err = net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
		if err == nil {
			break
		}
		p.udp.Close()
		if cfg.listen.Port() != 0 || try == 10 {
			return nil, err
		}
	}
	p.udp.SetReadBuffer(8 << 20)
	p.udp.SetWriteBuffer(8 << 20)
	for range cfg.sockets {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(cfg.upstream))
		if err != nil {
			p.Close()
			return nil, err
		}
		c.SetReadBuffer(8 << 20)
		c.SetWriteBuffer(8 << 20)
		p.ups = append(p.ups, &upstream{conn: c, downQ: make(chan packet, cfg.queue)})
	}
	p.wg.Add(3 + 2*len(p.ups))
	go p.readClients()
	go p.deliver(p.upQ, p.sendUp)
	for k, u := range p.ups {
		go p.readUpstream(k, u)
		go p.deliver(u.downQ, p.sendDown)
	}
	go p.acceptTCP()
	return p, nil
}

// Addr is the UDP and TCP address the proxy listens on.
func (p *proxy) Addr() netip.AddrPort { return p.udp.LocalAddr().(*net.UDPAddr).AddrPort() }

// Close stops the proxy; packets still in the delay queues are dropped.
func (p *proxy) Close() {
	p.once.Do(func() {
		close(p.done)
		if p.udp != nil {
			p.udp.Close()
		}
		if p.tcp != nil {
			p.tcp.Close()
		}
		for _, u := range p.ups {
			u.conn.Close()
		}
		p.wg.Wait()
	})
}

// Stats formats the counters.
func (p *proxy) Stats() string {
	s := &p.stats
	return fmt.Sprintf("udp queries=%d forwarded=%d replies=%d delivered=%d lost_up=%d lost_down=%d overflow=%d unmatched=%d short=%d; tcp connections=%d",
		s.queries.Load(), s.forwarded.Load(), s.replies.Load(), s.delivered.Load(),
		s.lostUp.Load(), s.lostDown.Load(), s.overflow.Load(), s.unmatched.Load(), s.short.Load(), s.tcpConns.Load())
}

func (p *proxy) enqueue(q chan packet, pk packet) {
	select {
	case q <- pk:
	default:
		p.stats.overflow.Add(1)
	}
}

// slack is how early a packet may leave: waking a goroutine costs about as
// much, and sending a little early saves a timer per packet under load.
const slack = 50 * time.Microsecond

// deliver sends each packet of q when its time comes. The delay is the same
// for every packet of a queue and each queue has one producer, so the queue
// is ordered by time and a FIFO is all the timer structure needed: one
// goroutine and one reused timer per queue, whatever the packet rate.
func (p *proxy) deliver(q chan packet, send func(packet)) {
	defer p.wg.Done()
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case pk := <-q:
			if d := time.Until(pk.at); d > slack {
				t.Reset(d)
				select {
				case <-t.C:
				case <-p.done:
					return
				}
			}
			send(pk)
		case <-p.done:
			return
		}
	}
}

func (p *proxy) readClients() {
	defer p.wg.Done()
	r := rand.New(rand.NewPCG(p.cfg.seed, 0))
	buf := make([]byte, 1<<16)
	var rr int
	for {
		n, from, err := p.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.stats.queries.Add(1)
		if n < 12 { // shorter than a DNS header: nothing to route by
			p.stats.short.Add(1)
			continue
		}
		if p.cfg.loss > 0 && r.Float64() < p.cfg.loss {
			p.stats.lostUp.Add(1)
			continue
		}
		u := p.ups[rr%len(p.ups)]
		rr++
		b := make([]byte, n)
		copy(b, buf[:n])
		u.mu.Lock()
		id := u.next
		u.next++
		u.slots[id] = slot{ip: from.Addr().As16(), port: from.Port(), id: binary.BigEndian.Uint16(b), used: true}
		u.mu.Unlock()
		binary.BigEndian.PutUint16(b, id)
		p.enqueue(p.upQ, packet{at: time.Now().Add(p.half), b: b, up: u})
	}
}

func (p *proxy) sendUp(pk packet) {
	if _, err := pk.up.conn.Write(pk.b); err == nil {
		p.stats.forwarded.Add(1)
	}
}

func (p *proxy) readUpstream(k int, u *upstream) {
	defer p.wg.Done()
	r := rand.New(rand.NewPCG(p.cfg.seed, uint64(k)+1))
	buf := make([]byte, 1<<16)
	for {
		n, err := u.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ECONNREFUSED while the server is down
		}
		p.stats.replies.Add(1)
		if n < 12 {
			p.stats.short.Add(1)
			continue
		}
		id := binary.BigEndian.Uint16(buf)
		u.mu.Lock()
		s := u.slots[id]
		u.slots[id].used = false
		u.mu.Unlock()
		if !s.used {
			p.stats.unmatched.Add(1)
			continue
		}
		if p.cfg.loss > 0 && r.Float64() < p.cfg.loss {
			p.stats.lostDown.Add(1)
			continue
		}
		b := make([]byte, n)
		copy(b, buf[:n])
		binary.BigEndian.PutUint16(b, s.id)
		to := netip.AddrPortFrom(netip.AddrFrom16(s.ip).Unmap(), s.port)
		p.enqueue(u.downQ, packet{at: time.Now().Add(p.half), b: b, to: to})
	}
}

func (p *proxy) sendDown(pk packet) {
	if _, err := p.udp.WriteToUDPAddrPort(pk.b, pk.to); err == nil {
		p.stats.delivered.Add(1)
	}
}

func (p *proxy) acceptTCP() {
	defer p.wg.Done()
	for {
		c, err := p.tcp.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.stats.tcpConns.Add(1)
		go p.serveTCP(c)
	}
}

// serveTCP copies both ways, each chunk delayed by half the RTT.
func (p *proxy) serveTCP(c *net.TCPConn) {
	u, err := net.DialTCP("tcp", nil, net.TCPAddrFromAddrPort(p.cfg.upstream))
	if err != nil {
		c.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, u) }()
	go func() { defer wg.Done(); p.pipe(u, c) }()
	stop := make(chan struct{})
	go func() {
		select {
		case <-p.done:
			c.Close()
			u.Close()
		case <-stop:
		}
	}()
	wg.Wait()
	close(stop)
	c.Close()
	u.Close()
}

type chunk struct {
	at time.Time
	b  []byte
}

// pipe reads src and writes each chunk to dst half an RTT later. A full
// queue blocks the reader, which is TCP's own back-pressure.
func (p *proxy) pipe(src, dst *net.TCPConn) {
	q := make(chan chunk, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		failed := false
		for ch := range q {
			if failed {
				continue
			}
			if d := time.Until(ch.at); d > 0 {
				time.Sleep(d)
			}
			if _, err := dst.Write(ch.b); err != nil {
				failed = true
				src.Close() // unblock the reader
				dst.Close()
			}
		}
		if !failed {
			dst.CloseWrite()
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			b := make([]byte, n)
			copy(b, buf[:n])
			q <- chunk{at: time.Now().Add(p.half), b: b}
		}
		if err != nil {
			break
		}
	}
	close(q)
	<-done
}
