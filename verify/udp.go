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
	"golang.org/x/net/ipv6"
)

// batch is how many datagrams one sendmmsg or recvmmsg moves. A system
// call costs about as much as packing a query, so under load moving many
// at once is most of what separates a bulk client from a stub resolver.
const batch = 64

// udpBufSize holds any answer to our EDNS0 size of 1232, and more from a
// server that ignores it (the answer then fails to unpack, times out, and
// is retried, like a lost one).
const udpBufSize = 4096

// batchConn is ipv4.PacketConn or ipv6.PacketConn: both move
// batches of socket.Message with recvmmsg and sendmmsg.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// udpSocket is one connected UDP socket with its table of pending queries.
// One goroutine writes, draining a queue of packed queries into batches;
// one reads batches of answers and hands each to the query waiting for it.
type udpSocket struct {
	conn  *net.UDPConn
	bc    batchConn
	sendq chan *[]byte
	done  chan struct{}
	// bufs recycles packed queries between exchange and the writer.
	bufs sync.Pool

	mu      sync.Mutex
	pending map[uint16]*call
	closed  bool
}

type call struct {
	name   string
	qtype  uint16
	answer chan *dns.Msg // buffered: the reader never blocks on a late waiter
}

func newUDPSocket(conn *net.UDPConn, v6 bool) *udpSocket {
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(1 << 20)
	s := &udpSocket{
		conn:    conn,
		sendq:   make(chan *[]byte, 4*batch),
		done:    make(chan struct{}),
		pending: make(map[uint16]*call),
	}
	s.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	if v6 {
		s.bc = ipv6.NewPacketConn(conn)
	} else {
		s.bc = ipv4.NewPacketConn(conn)
	}
	return s
}

func (s *udpSocket) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.conn.Close()
}

func (s *udpSocket) exchange(ctx context.Context, name string, qtype uint16, edns bool, timeout time.Duration) (*dns.Msg, error) {
	cl := &call{name: name, qtype: qtype, answer: make(chan *dns.Msg, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	id := uint16(rand.Uint32())
	for s.pending[id] != nil {
		id++
	}
	s.pending[id] = cl
	s.mu.Unlock()

	forget := func() {
		s.mu.Lock()
		if s.pending[id] == cl {
			delete(s.pending, id)
		}
		s.mu.Unlock()
	}
	bp := s.bufs.Get().(*[]byte)
	packed, err := packQuery((*bp)[:0], id, name, qtype, edns)
	if err != nil {
		s.bufs.Put(bp)
		forget()
		return nil, err
	}
	*bp = packed
	select {
	case s.sendq <- bp:
	case <-s.done:
		forget()
		return nil, ErrClosed
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	}

	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case resp := <-cl.answer:
		if resp == nil {
			return nil, ErrClosed
		}
		return resp, nil
	case <-t.C:
		forget()
		return nil, ErrTimeout
	case <-ctx.Done():
		forget()
		return nil, ctx.Err()
	}
}

// write sends queued queries in batches. A send error is not reported to
// the query: it times out and is retried, as if the packet were lost.
func (s *udpSocket) write() {
	msgs := make([]ipv4.Message, batch)
	bufs := make([]*[]byte, 0, batch)
	for i := range msgs {
		msgs[i].Buffers = make([][]byte, 1)
	}
	for {
		select {
		case bp := <-s.sendq:
			bufs = append(bufs[:0], bp)
		case <-s.done:
			return
		}
	fill:
		for len(bufs) < batch {
			select {
			case bp := <-s.sendq:
				bufs = append(bufs, bp)
			default:
				break fill
			}
		}
		for i, bp := range bufs {
			msgs[i].Buffers[0] = *bp
		}
		for sent := 0; sent < len(bufs); {
			n, err := s.bc.WriteBatch(msgs[sent:len(bufs)], 0)
			if err != nil {
				break
			}
			sent += n
		}
		for _, bp := range bufs {
			s.bufs.Put(bp)
		}
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
			s.deliver(msgs[i].Buffers[0][:msgs[i].N])
		}
	}
}

func (s *udpSocket) deliver(b []byte) {
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
	resp := new(dns.Msg)
	if err := resp.Unpack(b); err != nil {
		return
	}
	if !matches(resp, id, cl.name, cl.qtype) {
		return
	}
	s.mu.Lock()
	if s.pending[id] == cl {
		delete(s.pending, id)
		cl.answer <- resp
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
		delete(s.pending, id)
		close(cl.answer)
	}
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
