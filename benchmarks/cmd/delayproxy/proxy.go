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

	"golang.org/x/net/ipv4"
)

type config struct {
	listen, upstream netip.AddrPort
	rtt              time.Duration
	loss             float64
	seed             uint64
	sockets          int
	queue            int
	neverEarly       bool // no lead: packets leave at their time or later
}

// The UDP path moves datagrams in batches, because on a small machine
// shared with the client and the server the proxy's cost is dominated by
// system calls and goroutine wake-ups, not by the bytes: each reader takes
// up to readBatch datagrams per recvmmsg, hands the survivors of the loss
// model to a delay queue as one batch, and each delivery sends everything
// due in one sendmmsg.

// readBatch is how many datagrams one recvmmsg may return. Each needs a
// buffer for the largest datagram, so a reader holds readBatch*maxDatagram
// bytes (2 MiB); DNS-sized datagrams only ever fill the first page of each
// buffer, and the datagrams are copied out to a batch at once.
const (
	readBatch   = 32
	maxDatagram = 1 << 16
)

// packet is one datagram of a batch.
type packet struct {
	b    []byte   // in its batch's buf
	ip   [16]byte // replies: the client's IP, IPv4 as IPv4-mapped
	port uint16   // replies: the client's port
}

// batch is the datagrams of one recvmmsg that survived the loss model,
// going through a delay queue together: read by the same call, they share
// one time, and queries share one upstream socket, so that a delivery
// usually needs one sendmmsg per batch or fewer.
type batch struct {
	arrived time.Time // of its last datagram
	at      time.Time // when it is due
	up      *upstream // queries: the socket to the server
	pks     []packet
	buf     []byte // the datagrams' bytes, one after another
}

// batches recycles batches and their buffers, so that the proxy allocates
// nothing per datagram itself. (x/net still allocates the source address of
// each datagram ReadBatch returns: a net.UDPAddr and its IP.)
var batches = sync.Pool{New: func() any { return new(batch) }}

// getBatch returns an empty batch with room for size bytes of datagrams.
func getBatch(size int) *batch {
	b := batches.Get().(*batch)
	if cap(b.buf) < size {
		b.buf = make([]byte, 0, max(size, 16<<10))
	}
	return b
}

func putBatch(b *batch) {
	b.up = nil
	b.pks = b.pks[:0]
	b.buf = b.buf[:0]
	batches.Put(b)
}

// add copies d into b, so that the read buffer can be reused at once. The
// room reserved by getBatch means buf never moves, so earlier packets'
// slices stay valid.
func (b *batch) add(d []byte) *packet {
	n := len(b.buf)
	b.buf = append(b.buf, d...)
	b.pks = append(b.pks, packet{b: b.buf[n:len(b.buf):len(b.buf)]})
	return &b.pks[len(b.pks)-1]
}

// queue is a delay queue: batches in the order of their times, and a count
// of the packets in it for the -queue limit.
type queue struct {
	// mu is held while a producer stamps a batch and sends it, so that the
	// channel stays ordered by time even with several producers.
	mu      sync.Mutex
	c       chan *batch
	last    time.Time    // the latest time pushed, under mu
	pending atomic.Int64 // packets pushed and not yet sent
	// late sums how long after its time each packet was sent, negative if
	// before, over sent packets: what the proxy added to the RTT it was
	// asked for. lead is the deliverer's latest lead (see deliver).
	late, sent, lead atomic.Int64
}

// stats are the proxy's counters, all packets unless named otherwise.
type stats struct {
	queries, forwarded, replies, delivered atomic.Int64
	lostUp, lostDown, overflow, unmatched  atomic.Int64
	short, tcpConns                        atomic.Int64
	// server sums the time from sending a query to the arrival of its
	// reply, over the replies timed: the server's own share of the RTT.
	server, timed atomic.Int64
}

type proxy struct {
	cfg   config
	half  time.Duration
	epoch time.Time // slot.sent counts from it
	udp   *net.UDPConn
	udpB  batchConn // udp, read and written in batches
	tcp   *net.TCPListener
	ups   []*upstream
	upQ   queue  // client -> server, one producer (the client reader)
	downQ queue  // server -> client, one producer per upstream socket
	down  writer // replies being sent, used by downQ's deliverer only
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
	connB batchConn // conn, read and written in batches
	out   writer    // queries being sent, used by upQ's deliverer only
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
	sent time.Duration // since the proxy's epoch
}

// newProxy binds UDP and TCP on the same port and starts serving.
func newProxy(cfg config) (*proxy, error) {
	p := &proxy{cfg: cfg, half: cfg.rtt / 2, epoch: time.Now(), done: make(chan struct{})}
	// A batch holds at least one packet and a queue at most cfg.queue, so
	// channels of that capacity never block a producer.
	p.upQ.c = make(chan *batch, cfg.queue)
	p.downQ.c = make(chan *batch, cfg.queue)
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
	stampArrivals(p.udp)
	p.udpB = newBatchConn(p.udp)
	for range cfg.sockets {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(cfg.upstream))
		if err != nil {
			p.Close()
			return nil, err
		}
		c.SetReadBuffer(8 << 20)
		c.SetWriteBuffer(8 << 20)
		stampArrivals(c)
		p.ups = append(p.ups, &upstream{conn: c, connB: newBatchConn(c)})
	}
	p.wg.Add(4 + len(p.ups))
	go p.readClients()
	go p.deliver(&p.upQ, p.sendUp)
	go p.deliver(&p.downQ, p.sendDown)
	for k, u := range p.ups {
		go p.readUpstream(k, u)
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

// Stats formats the counters, and the mean times that make up a UDP round
// trip beyond -rtt: how late the proxy sent packets on each leg (negative
// if early), and how long the server took to reply; and the leads the
// deliverers ended with.
func (p *proxy) Stats() string {
	s := &p.stats
	return fmt.Sprintf("udp queries=%d forwarded=%d replies=%d delivered=%d lost_up=%d lost_down=%d overflow=%d unmatched=%d short=%d; tcp connections=%d; mean us late_up=%.0f late_down=%.0f server=%.0f; lead us up=%.0f down=%.0f",
		s.queries.Load(), s.forwarded.Load(), s.replies.Load(), s.delivered.Load(),
		s.lostUp.Load(), s.lostDown.Load(), s.overflow.Load(), s.unmatched.Load(), s.short.Load(), s.tcpConns.Load(),
		meanMicros(p.upQ.late.Load(), p.upQ.sent.Load()), meanMicros(p.downQ.late.Load(), p.downQ.sent.Load()),
		meanMicros(s.server.Load(), s.timed.Load()),
		float64(p.upQ.lead.Load())/1e3, float64(p.downQ.lead.Load())/1e3)
}

func meanMicros(sum, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n) / 1e3
}

// push stamps b with its time, half the RTT after it arrived, and appends
// it to q. Packets beyond the -queue limit are dropped from its end and
// counted as overflow. With several producers a batch can have arrived a
// little before the one pushed ahead of it: it then waits for that one, so
// that the queue stays ordered by time.
func (p *proxy) push(q *queue, b *batch) {
	q.mu.Lock()
	room := max(p.cfg.queue-int(q.pending.Load()), 0)
	if over := len(b.pks) - room; over > 0 {
		p.stats.overflow.Add(int64(over))
		b.pks = b.pks[:room]
	}
	if len(b.pks) == 0 {
		q.mu.Unlock()
		putBatch(b)
		return
	}
	q.pending.Add(int64(len(b.pks)))
	b.at = b.arrived.Add(p.half)
	if b.at.Before(q.last) {
		b.at = q.last
	}
	q.last = b.at
	q.c <- b // never blocks: see newProxy
	q.mu.Unlock()
}

// slack is how early a packet may leave: waking a goroutine costs about as
// much, and under load it lets one wake-up and one sendmmsg take care of
// batches that are due a few microseconds apart.
const slack = 50 * time.Microsecond

// A deliverer wakes up late: a timerfd fires on time, but on a machine
// whose cores the proxy shares with a busy client and server the thread
// then waits its turn for a core, 0.25-0.35 ms on average on the 2-core
// benchmark machine (perf sched), and each leg of a round trip took that
// much longer than asked. netem, which this proxy stands in for, runs in
// the kernel's softirq and is on time whatever the load; and a real
// network does not slow down when the client is busy, while this lateness
// grew with the client's share of the cores. So each deliverer aims early,
// by a lead that follows how late its packets have been, early or late
// (see leadGain), which holds the mean delay of a leg at half the RTT.
// Single packets then leave a little early or late, as under netem's
// jitter; the counters report the mean, signed.

// leadGain sets how fast the lead follows: each packet sent moves it by
// 1/leadGain of that packet's lateness. Weighing by packet makes the mean
// lateness per packet, not per send, the one held at zero; and a send of
// up to a few dozen packets moves the lead by less than their lateness, so
// the lead settles instead of swinging.
const leadGain = 64

// maxLead bounds the lead, so that a stall (a busy host, a paused VM)
// cannot teach a deliverer to send packets far ahead of their time: a
// tenth of the delay, and no more than 2 ms whatever the RTT, as a wait
// for a core is not longer for a longer delay.
func (p *proxy) maxLead() time.Duration {
	if p.cfg.neverEarly {
		return 0
	}
	return min(p.half/10, 2*time.Millisecond)
}

// deliver sends the packets of q when their time comes. The delay is the
// same for every packet of a queue and batches are stamped and queued under
// the queue's lock, so the queue is ordered by time and a FIFO is all the
// timer structure needed: one goroutine and one sleeper per queue, whatever
// the packet rate. Each wake-up hands send every batch due within slack,
// then sleeps until the next batch's time, less the lead.
func (p *proxy) deliver(q *queue, send func([]*batch)) {
	defer p.wg.Done()
	s := newSleeper()
	defer s.close()
	var due []*batch
	var next *batch // taken from q but not yet due
	var lead time.Duration
	maxLead := p.maxLead()
	for {
		if next == nil {
			select {
			case next = <-q.c:
			case <-p.done:
				return
			}
		}
		if d := time.Until(next.at) - lead; d > slack {
			// A sleeper may return before the time (see maxSleep). Then
			// it sleeps again, however little is left: slack is there to
			// spare a wake-up, and this one is spent already.
			for ; d > 0; d = time.Until(next.at) - lead {
				if !s.sleep(d, p.done) {
					return
				}
			}
		}
		// next is due; so are the batches behind it up to horizon. Being
		// ordered, the first one beyond it ends the search.
		horizon := time.Now().Add(lead + slack)
		due = append(due[:0], next)
		next = nil
	gather:
		for {
			select {
			case b := <-q.c:
				if b.at.After(horizon) {
					next = b
					break gather
				}
				due = append(due, b)
			default:
				break gather
			}
		}
		start := time.Now()
		send(due)
		// The packets left one after another during the call: the middle
		// of it is when they left, on average.
		sent := start.Add(time.Since(start) / 2)
		var n, late int64
		for i, b := range due {
			n += int64(len(b.pks))
			late += int64(sent.Sub(b.at)) * int64(len(b.pks))
			putBatch(b)
			due[i] = nil
		}
		q.pending.Add(-n)
		q.late.Add(late)
		q.sent.Add(n)
		lead = min(max(lead+time.Duration(late/leadGain), 0), maxLead)
		q.lead.Store(int64(lead))
	}
}

// A sleeper puts a deliverer to sleep until its next batch is due. The
// added delay is only as exact as these sleeps: every packet waits in two
// of them, one per leg.
type sleeper interface {
	// sleep waits for d, or less, and reports false once done is closed.
	sleep(d time.Duration, done <-chan struct{}) bool
	close()
}

// timerSleeper sleeps on a Go timer. On Linux a Go timer fires up to a
// millisecond late on a quiet process, as the runtime waits for it in
// epoll_wait, whose timeout is in whole milliseconds: newSleeper prefers a
// timerfd there and falls back to this only if it has none.
type timerSleeper struct{ t *time.Timer }

func newTimerSleeper() *timerSleeper {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerSleeper{t}
}

func (s *timerSleeper) sleep(d time.Duration, done <-chan struct{}) bool {
	s.t.Reset(d)
	select {
	case <-s.t.C:
		return true
	case <-done:
		s.t.Stop()
		return false
	}
}

func (s *timerSleeper) close() { s.t.Stop() }

// writer collects the messages of one sendmmsg. Its messages, and the
// addresses of addressed ones, are reused from call to call, so sending
// allocates nothing once they exist.
type writer struct {
	ms []ipv4.Message
	n  int
}

// add appends a message of b, without an address: for a connected socket.
func (w *writer) add(b []byte) *ipv4.Message {
	if w.n == len(w.ms) {
		w.ms = append(w.ms, ipv4.Message{Buffers: make([][]byte, 1)})
	}
	m := &w.ms[w.n]
	w.n++
	m.Buffers[0] = b
	return m
}

// addTo appends a message of b to ip (IPv4 as IPv4-mapped) and port.
func (w *writer) addTo(b []byte, ip *[16]byte, port uint16) {
	m := w.add(b)
	a, _ := m.Addr.(*net.UDPAddr)
	if a == nil {
		a = &net.UDPAddr{IP: make(net.IP, net.IPv6len)}
		m.Addr = a
	}
	// An IPv4-mapped IP is sent as a plain IPv4 address (AF_INET), as
	// WriteToUDPAddrPort did after Unmap.
	copy(a.IP, ip[:])
	a.Port = int(port)
}

// flush sends the collected messages on c and returns how many were sent. A
// message the kernel refuses (say ECONNREFUSED while the server is down) is
// skipped and not counted, as a failed write of a single packet was; the
// messages after it are still sent.
func (w *writer) flush(c batchConn) int {
	ms := w.ms[:w.n]
	w.n = 0
	sent := 0
	for len(ms) > 0 {
		n, err := c.WriteBatch(ms, 0) // n is -1 on an error
		if n > 0 {
			sent += n
			ms = ms[n:]
		}
		if errors.Is(err, net.ErrClosed) {
			break
		}
		// sendmmsg reports the error of a message only when it is the
		// first of the call, so ms[0] is the culprit.
		if (err != nil || n <= 0) && len(ms) > 0 {
			ms = ms[1:]
		}
	}
	return sent
}

// readBuffers returns messages for ReadBatch, each with room for the
// largest datagram and its arrival time.
func readBuffers() []ipv4.Message {
	buf := make([]byte, readBatch*maxDatagram)
	oob := make([]byte, readBatch*arrivalSize)
	ms := make([]ipv4.Message, readBatch)
	for i := range ms {
		ms[i].Buffers = [][]byte{buf[i*maxDatagram : (i+1)*maxDatagram : (i+1)*maxDatagram]}
		ms[i].OOB = oob[i*arrivalSize : (i+1)*arrivalSize : (i+1)*arrivalSize]
	}
	return ms
}

// arrivedAt is when the datagram read into m reached the socket, on the
// clock of now, taken just after the read; now if the kernel did not say.
func arrivedAt(m *ipv4.Message, now time.Time) time.Time {
	ns, ok := arrival(m.OOB[:m.NN])
	if !ok {
		return now
	}
	age := time.Duration(now.UnixNano() - ns)
	if age < 0 || age > time.Second { // the wall clock was stepped
		return now
	}
	return now.Add(-age)
}

// runs gathers the datagrams of one read into batches of close arrival
// times: a batch has one time, that of its last datagram, so that no
// datagram leaves early and none more than slack late. One read can span
// half a millisecond of arrivals when the proxy shares the machine with a
// busy client.
type runs struct {
	out   []*batch
	first time.Time // of the open batch
}

// add copies d, which arrived at, into the open batch or a new one; room
// is what the rest of the read may need.
func (r *runs) add(d []byte, at time.Time, room int) *packet {
	if len(r.out) == 0 || at.Sub(r.first) > slack {
		r.out = append(r.out, getBatch(room))
		r.first = at
	}
	b := r.out[len(r.out)-1]
	b.arrived = at
	return b.add(d)
}

// push pushes the batches to q, in order, and empties r.
func (r *runs) push(p *proxy, q *queue) {
	for i, b := range r.out {
		p.push(q, b)
		r.out[i] = nil
	}
	r.out = r.out[:0]
}

// size is the number of bytes read into ms.
func size(ms []ipv4.Message) int {
	n := 0
	for i := range ms {
		n += ms[i].N
	}
	return n
}

// readClients reads queries, gives each an ID on an upstream socket and
// queues them for the server. All the queries of one read go to the same
// socket, the next read's to the next socket: one lock per read, and the
// delivery can send a read's queries in one sendmmsg.
func (p *proxy) readClients() {
	defer p.wg.Done()
	r := rand.New(rand.NewPCG(p.cfg.seed, 0))
	ms := readBuffers()
	var rr int
	var out runs
	for {
		n, err := p.udpB.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		now := time.Now()
		var short, lost int64
		u := p.ups[rr%len(p.ups)]
		rr++
		u.mu.Lock()
		for i := range ms[:n] {
			d := ms[i].Buffers[0][:ms[i].N]
			if len(d) < 12 { // shorter than a DNS header: nothing to route by
				short++
				continue
			}
			if p.cfg.loss > 0 && r.Float64() < p.cfg.loss {
				lost++
				continue
			}
			from := ms[i].Addr.(*net.UDPAddr)
			ip, _ := netip.AddrFromSlice(from.IP)
			id := u.next
			u.next++
			u.slots[id] = slot{ip: ip.As16(), port: uint16(from.Port), id: binary.BigEndian.Uint16(d), used: true}
			binary.BigEndian.PutUint16(out.add(d, arrivedAt(&ms[i], now), size(ms[i:n])).b, id)
		}
		u.mu.Unlock()
		p.stats.queries.Add(int64(n))
		p.stats.short.Add(short)
		p.stats.lostUp.Add(lost)
		for _, b := range out.out {
			b.up = u
		}
		out.push(p, &p.upQ)
	}
}

// sendUp sends due queries: one sendmmsg per upstream socket they use. It
// notes when in each query's slot, to time the server.
func (p *proxy) sendUp(due []*batch) {
	t := time.Since(p.epoch)
	for _, b := range due {
		b.up.mu.Lock()
		for i := range b.pks {
			d := b.pks[i].b
			b.up.slots[binary.BigEndian.Uint16(d)].sent = t
			b.up.out.add(d)
		}
		b.up.mu.Unlock()
	}
	sent := 0
	for _, u := range p.ups {
		if u.out.n > 0 {
			sent += u.out.flush(u.connB)
		}
	}
	p.stats.forwarded.Add(int64(sent))
}

// readUpstream reads replies on one upstream socket, gives them back their
// clients' IDs and queues them for the clients.
func (p *proxy) readUpstream(k int, u *upstream) {
	defer p.wg.Done()
	r := rand.New(rand.NewPCG(p.cfg.seed, uint64(k)+1))
	ms := readBuffers()
	var out runs
	for {
		n, err := u.connB.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ECONNREFUSED while the server is down
		}
		now := time.Now()
		var short, unmatched, lost, server, timed int64
		u.mu.Lock()
		for i := range ms[:n] {
			d := ms[i].Buffers[0][:ms[i].N]
			if len(d) < 12 {
				short++
				continue
			}
			id := binary.BigEndian.Uint16(d)
			s := u.slots[id]
			u.slots[id].used = false
			if !s.used {
				unmatched++
				continue
			}
			at := arrivedAt(&ms[i], now)
			if s.sent > 0 {
				server += int64(at.Sub(p.epoch) - s.sent)
				timed++
			}
			if p.cfg.loss > 0 && r.Float64() < p.cfg.loss {
				lost++
				continue
			}
			pk := out.add(d, at, size(ms[i:n]))
			binary.BigEndian.PutUint16(pk.b, s.id)
			pk.ip, pk.port = s.ip, s.port
		}
		u.mu.Unlock()
		p.stats.replies.Add(int64(n))
		p.stats.short.Add(short)
		p.stats.unmatched.Add(unmatched)
		p.stats.lostDown.Add(lost)
		p.stats.server.Add(server)
		p.stats.timed.Add(timed)
		out.push(p, &p.downQ)
	}
}

// sendDown sends due replies to their clients in one sendmmsg.
func (p *proxy) sendDown(due []*batch) {
	for _, b := range due {
		for i := range b.pks {
			pk := &b.pks[i]
			p.down.addTo(pk.b, &pk.ip, pk.port)
		}
	}
	p.stats.delivered.Add(int64(p.down.flush(p.udpB)))
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
