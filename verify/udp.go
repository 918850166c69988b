package verify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"

	"github.com/mxverify/mxverify/internal/intern"
	"github.com/mxverify/mxverify/internal/mmsg"
)

// batch is how many datagrams one sendmmsg or recvmmsg moves. A system
// call costs about as much as packing a query, so under load moving many
// at once is most of what separates a bulk client from a stub resolver.
const batch = 64

// udpBufSize holds any answer to our EDNS0 size of 1232, and more from a
// server that ignores it (the answer then fails to unpack, times out, and
// is retried, like a lost one).
const udpBufSize = 4096

// udpSocket is one connected UDP socket with its table of pending queries.
// Queries queue their packets with the client's sender, which sends them in
// batches as in-flight slots come free; one goroutine reads batches of
// answers and hands each to the query waiting for it.
type udpSocket struct {
	conn *net.UDPConn
	bc   mmsg.Conn
	// bufs recycles packed queries.
	bufs sync.Pool
	snd  *sender
	// out and msgs are the sender's, for the socket's share of a round.
	out  []outgoing
	msgs []ipv4.Message

	mu      sync.Mutex
	pending map[uint16]*call
	closed  bool
	// epoch makes deadlines small monotonic durations.
	epoch time.Time
}

type call struct {
	name    string
	qtype   uint16
	timeout time.Duration
	// sent and deadline are set, under the socket's mu, as the packet
	// leaves: only a sent query holds an in-flight slot and can time out.
	sent     bool
	deadline time.Duration // since the socket's epoch
	// answer gets the response, or nil with err set; it is buffered, so
	// that whoever removes the call from pending never blocks on it.
	answer chan *Reply
	err    error
}

func newUDPSocket(conn *net.UDPConn, snd *sender) *udpSocket {
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(1 << 20)
	s := &udpSocket{
		conn:    conn,
		pending: make(map[uint16]*call),
		snd:     snd,
		msgs:    msgsFor(),
		epoch:   time.Now(),
	}
	s.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	s.bc = mmsg.New(conn)
	return s
}

func (s *udpSocket) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.conn.Close()
}

// inFlight is a query begun on a socket, to be awaited.
type inFlight struct {
	s  *udpSocket
	id uint16
	cl *call
}

// begin registers a query and queues its packet. With send false the
// packet waits for the next query queued with send true (or for a slot to
// come free), so that queries begun together leave together.
func (s *udpSocket) begin(name string, qtype uint16, edns bool, timeout time.Duration, send bool) (inFlight, error) {
	cl := &call{name: name, qtype: qtype, timeout: timeout, answer: make(chan *Reply, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return inFlight{}, ErrClosed
	}
	id := uint16(rand.Uint32())
	for s.pending[id] != nil {
		id++
	}
	s.pending[id] = cl
	s.mu.Unlock()
	q := inFlight{s: s, id: id, cl: cl}

	bp := s.bufs.Get().(*[]byte)
	packed, err := packQuery((*bp)[:0], id, name, qtype, edns)
	if err != nil {
		s.bufs.Put(bp)
		q.forget()
		return inFlight{}, err
	}
	*bp = packed
	s.snd.enqueue(outgoing{q, bp}, send)
	return q, nil
}

// await waits for the answer. The socket's sweeper (expire) ends the wait
// at the deadline: a timer per query cost more than the query's own
// system call.
func (q inFlight) await(ctx context.Context) (*Reply, error) {
	select {
	case resp := <-q.cl.answer:
		if resp == nil {
			return nil, q.cl.err
		}
		return resp, nil
	case <-ctx.Done():
		q.forget()
		return nil, ctx.Err()
	}
}

// forget takes the query out of pending: its waiter is leaving, and reads
// neither answer nor error.
func (q inFlight) forget() {
	q.s.mu.Lock()
	waiting := q.s.pending[q.id] == q.cl
	freed := waiting && q.cl.sent
	if waiting {
		q.s.settle(q.id, q.cl, nil, nil)
	}
	q.s.mu.Unlock()
	if freed {
		q.s.snd.kick() // the slot is free now, not at the sweeper's next tick
	}
}

// read hands each answer to the query that waits for it. An answer whose ID
// or question does not match a pending query is dropped: it is late, or
// forged, and the waiting query times out and retries as if it were lost.
func (s *udpSocket) read() {
	msgs := make([]ipv4.Message, batch)
	for i := range msgs {
		msgs[i].Buffers = [][]byte{make([]byte, udpBufSize)}
	}
	// A bound, so that a list of unique hosts costs lookups, not memory.
	names := intern.New(4096)
	for {
		n, err := s.bc.ReadBatch(msgs, 0)
		if err != nil {
			if s.isClosed() {
				s.failPending()
				return
			}
			// ICMP port unreachable and the like: the query will time out.
			continue
		}
		for i := range n {
			s.deliver(msgs[i].Buffers[0][:msgs[i].N], names)
		}
		s.snd.kick()
	}
}

func (s *udpSocket) deliver(b []byte, names *intern.Strings) {
	if len(b) < 12 {
		return
	}
	id := uint16(b[0])<<8 | uint16(b[1])
	s.mu.Lock()
	cl := s.pending[id]
	s.mu.Unlock()
	if cl == nil {
		return
	}
	resp, err := unpackReply(b, cl.name, names)
	if err != nil {
		return
	}
	if !matches(resp, id, cl.name, cl.qtype) {
		return
	}
	s.mu.Lock()
	if s.pending[id] == cl {
		s.settle(id, cl, resp, nil)
	}
	s.mu.Unlock()
}

func (s *udpSocket) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *udpSocket) failPending() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, cl := range s.pending {
		s.settle(id, cl, nil, ErrClosed)
	}
}

// settle ends a pending query, under mu: it frees the query's in-flight
// slot, if it was sent, and hands it its answer, or nil and err. The slot
// is free the moment the answer is in (or the wait is over), not when the
// waiting goroutine next gets a CPU. The answer channel is buffered, so
// this never blocks, even when the waiter has left.
func (s *udpSocket) settle(id uint16, cl *call, resp *Reply, err error) {
	delete(s.pending, id)
	if cl.sent {
		s.snd.release()
	}
	cl.err = err
	cl.answer <- resp
}

// expire ends the wait of every query whose deadline has passed.
func (s *udpSocket) expire() {
	now := time.Since(s.epoch)
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, cl := range s.pending {
		if cl.sent && cl.deadline <= now {
			s.settle(id, cl, nil, ErrTimeout)
		}
	}
}

// sweepEvery is how often the sockets look for queries past their
// deadline: a sixteenth of the timeout, so that a timeout is late by at
// most about 6%, and never early.
func sweepEvery(timeout time.Duration) time.Duration {
	return min(max(timeout/16, time.Millisecond), 100*time.Millisecond)
}

// newQuery is the query packQuery writes, as a message (for TCP).
func newQuery(name string, qtype uint16, edns bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	if edns {
		m.SetEdns0(1232, false)
	}
	return m
}

// packQuery appends a query for name (fully qualified) and qtype with RD
// set and, with edns, an EDNS0 OPT record advertising 1232 bytes (the DNS
// flag day 2020 size, which avoids IP fragmentation). It writes the common
// case itself, without the allocations of dns.Msg.Pack, and leaves names
// with escapes to miekg/dns.
func packQuery(buf []byte, id uint16, name string, qtype uint16, edns bool) ([]byte, error) {
	if strings.IndexByte(name, '\\') >= 0 || !strings.HasSuffix(name, ".") {
		m := newQuery(name, qtype, edns)
		m.Id = id
		b, err := m.PackBuffer(buf)
		if err != nil {
			return nil, fmt.Errorf("pack query for %s: %w", name, err)
		}
		return b, nil
	}
	ar := byte(0)
	if edns {
		ar = 1
	}
	buf = append(buf,
		byte(id>>8), byte(id), 0x01, 0x00, // ID; flags: RD
		0, 1, 0, 0, 0, 0, 0, ar) // QD=1, AN=0, NS=0, AR=1 with EDNS
	if name != "." {
		for rest := name[:len(name)-1]; ; {
			label := rest
			i := strings.IndexByte(rest, '.')
			if i >= 0 {
				label = rest[:i]
			}
			if len(label) == 0 || len(label) > 63 {
				return nil, fmt.Errorf("pack query for %s: bad label length", name)
			}
			buf = append(buf, byte(len(label)))
			buf = append(buf, label...)
			if i < 0 {
				break
			}
			rest = rest[i+1:]
		}
	}
	if len(buf)-12 > 254 {
		return nil, fmt.Errorf("pack query for %s: name too long", name)
	}
	buf = append(buf, 0, byte(qtype>>8), byte(qtype), 0, 1) // root, QTYPE, QCLASS IN
	if edns {
		buf = append(buf, 0, 0, 41, 1232>>8, 1232&0xff, 0, 0, 0, 0, 0, 0) // OPT: root, type 41, size 1232, TTL 0, RDLEN 0
	}
	return buf, nil
}
