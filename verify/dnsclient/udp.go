package dnsclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batch is how many datagrams one sendmmsg or recvmmsg moves: under load
// a system call costs about as much as handling a DNS message.
const batch = 64

// udpClient multiplexes queries over long-lived connected UDP sockets, a
// few per server, told apart by message ID, as massdns does: a socket per
// query (miekg's Client.Exchange) costs a file descriptor and a set of
// system calls each time. Packed queries wait in one queue and take an
// in-flight slot as they leave: a socket's reader, having handed out a
// batch of answers, sends the queries waiting for the slots those answers
// freed, all in one sendmmsg, as dnsperf does.
type udpClient struct {
	socks   [][]*udpSocket // by server
	next    atomic.Uint64  // spreads queries over a server's sockets
	timeout time.Duration
	slots   chan struct{}

	mu      sync.Mutex
	queue   []*call // packed, waiting for a slot
	sending bool    // someone runs flush

	wg sync.WaitGroup // the readers
}

// batchConn moves batches of datagrams, each in one buffer, over a
// connected socket. x/net's ipv4 and ipv6 PacketConns are the portable
// ones (ipv4.Message and ipv6.Message are one type); batch_linux.go has a
// faster one.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

func xnetBatch(c *net.UDPConn) batchConn {
	if c.RemoteAddr().(*net.UDPAddr).IP.To4() != nil {
		return ipv4.NewPacketConn(c)
	}
	return ipv6.NewPacketConn(c)
}

// udpSocket is one connected socket and its queries awaiting an answer.
type udpSocket struct {
	u    *udpClient
	conn *net.UDPConn
	bc   batchConn
	wmu  sync.Mutex // msgs, for one write at a time
	msgs []ipv4.Message

	mu      sync.Mutex
	pending map[uint16]*call
	closed  bool
}

// call is one query on a socket. Whoever takes it out of pending sets
// reply or err, then closes done.
type call struct {
	s      *udpSocket
	id     uint16
	q      dns.Question
	packet [1][]byte // as ipv4.Message.Buffers wants it
	// sent tells that it holds an in-flight slot and timer runs; both
	// are set under s.mu as it leaves.
	sent  bool
	timer *time.Timer
	done  chan struct{}
	reply *dns.Msg
	err   error
}

func newUDPClient(servers []string, timeout time.Duration, slots chan struct{}) (*udpClient, error) {
	u := &udpClient{timeout: timeout, slots: slots}
	// A socket holds at most 65536 IDs; a few sockets per server also
	// spread the reading over cores.
	perServer := min(16, max(2, cap(slots)/(128*len(servers))))
	for i, server := range servers {
		raddr, err := net.ResolveUDPAddr("udp", server)
		if err != nil {
			u.close()
			return nil, fmt.Errorf("resolver address %q: %w", server, err)
		}
		u.socks = append(u.socks, nil)
		for range perServer {
			conn, err := net.DialUDP("udp", nil, raddr)
			if err != nil {
				u.close()
				return nil, fmt.Errorf("resolver %s: %w", server, err)
			}
			_ = conn.SetReadBuffer(4 << 20)
			_ = conn.SetWriteBuffer(1 << 20)
			s := &udpSocket{u: u, conn: conn, bc: newBatchConn(conn), msgs: make([]ipv4.Message, batch), pending: make(map[uint16]*call)}
			u.socks[i] = append(u.socks[i], s)
			u.wg.Go(s.read)
		}
	}
	return u, nil
}

// close stops the readers; queries still waiting fail with ErrClosed.
func (u *udpClient) close() error {
	for _, socks := range u.socks {
		for _, s := range socks {
			s.mu.Lock()
			s.closed = true
			s.mu.Unlock()
			s.conn.Close()
		}
	}
	u.wg.Wait()
	return nil
}

// exchange sends a query for q to server over one of its sockets and waits
// for the answer, the timeout, or the end of ctx.
func (u *udpClient) exchange(ctx context.Context, server int, q dns.Question, edns bool) (*dns.Msg, error) {
	socks := u.socks[server]
	s := socks[u.next.Add(1)%uint64(len(socks))]
	cl, err := s.register(q, edns)
	if err != nil {
		return nil, err
	}
	u.mu.Lock()
	u.queue = append(u.queue, cl)
	send := !u.sending
	u.mu.Unlock()
	if send {
		if len(u.slots) < cap(u.slots) {
			// Yield once, so that the queries woken by the same batch of
			// answers queue their packets too and all leave in one sendmmsg.
			runtime.Gosched()
		}
		u.flush()
	}
	select {
	case <-cl.done:
		return cl.reply, cl.err
	case <-ctx.Done():
		s.end(cl, nil, ctx.Err())
		return nil, ctx.Err()
	}
}

// register gives a query for q an ID free on the socket and packs it.
func (s *udpSocket) register(q dns.Question, edns bool) (*call, error) {
	cl := &call{s: s, q: q, done: make(chan struct{})}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	cl.id = uint16(rand.Uint32())
	for s.pending[cl.id] != nil {
		cl.id++
	}
	m := newQuery(q, edns)
	m.Id = cl.id
	b, err := m.Pack()
	if err != nil {
		return nil, fmt.Errorf("pack query for %s: %w", q.Name, err)
	}
	cl.packet[0] = b
	s.pending[cl.id] = cl
	return cl, nil
}

// flush sends queued queries, oldest first, while in-flight slots are
// free. One goroutine sends at a time; whoever queues a query or frees a
// slot meanwhile leaves it to that one, which looks again before it stops.
func (u *udpClient) flush() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sending {
		return
	}
	u.sending = true
	for {
		n := 0
		for n < len(u.queue) && n < batch && u.take() {
			n++
		}
		if n == 0 {
			break
		}
		out := u.queue[:n:n]
		u.queue = u.queue[n:]
		u.mu.Unlock()
		// One sendmmsg per socket: gather each socket's queries in turn.
		for len(out) > 0 {
			k := 1
			for j := 1; j < len(out); j++ {
				if out[j].s == out[0].s {
					out[k], out[j] = out[j], out[k]
					k++
				}
			}
			out[0].s.write(out[:k])
			clear(out[:k])
			out = out[k:]
		}
		u.mu.Lock()
	}
	u.sending = false
}

func (u *udpClient) take() bool {
	select {
	case u.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// write sends calls, each holding a slot. A call whose waiter has left
// gives its slot back unsent. A send error is not reported: the query
// times out and is retried, as if the packet were lost.
func (s *udpSocket) write(calls []*call) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	msgs := s.msgs[:0]
	s.mu.Lock()
	for _, cl := range calls {
		if s.pending[cl.id] != cl {
			<-s.u.slots
			continue
		}
		// The timeout counts from the send: a query waiting for a slot
		// has not been asked yet.
		cl.sent = true
		cl.timer = time.AfterFunc(s.u.timeout, func() { s.end(cl, nil, ErrTimeout) })
		msgs = append(msgs, ipv4.Message{Buffers: cl.packet[:]})
	}
	s.mu.Unlock()
	for len(msgs) > 0 {
		n, err := s.bc.WriteBatch(msgs, 0)
		if errors.Is(err, syscall.ECONNREFUSED) {
			// The error of an earlier datagram, reported on this send:
			// the port is closed, and these would meet the same fate.
			s.refuse()
		}
		if err != nil {
			break
		}
		msgs = msgs[n:]
	}
	clear(s.msgs)
}

// refuse ends the queries sent on the socket with ErrConnRefused. On a
// connected UDP socket Linux reports an ICMP port unreachable as
// ECONNREFUSED on the next receive or send, once, without saying which
// datagram met it; every query awaiting an answer went to the same closed
// port, so all of them end now rather than at their timeout. Queries
// still waiting for a slot are left: they will meet the port themselves.
func (s *udpSocket) refuse() {
	s.mu.Lock()
	var sent []*call
	for _, cl := range s.pending {
		if cl.sent {
			sent = append(sent, cl)
		}
	}
	s.mu.Unlock()
	for _, cl := range sent {
		s.settle(cl, nil, ErrConnRefused)
	}
}

// read hands each answer to the query waiting for it. An answer that
// matches no pending query is dropped: it is late, forged or garbled, and
// the query times out and is retried as if it were lost.
func (s *udpSocket) read() {
	msgs := make([]ipv4.Message, batch)
	for i := range msgs {
		// Room for any answer to our EDNS0 size of 1232, and more.
		msgs[i].Buffers = [][]byte{make([]byte, 4096)}
	}
	for {
		n, err := s.bc.ReadBatch(msgs, 0)
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				for _, cl := range s.calls() {
					s.settle(cl, nil, ErrClosed)
				}
				return
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				s.refuse()
				s.u.flush()
			}
			continue // other ICMP errors: the queries time out
		}
		for _, m := range msgs[:n] {
			b := m.Buffers[0][:m.N]
			if len(b) < 12 {
				continue
			}
			id := binary.BigEndian.Uint16(b)
			s.mu.Lock()
			cl := s.pending[id]
			s.mu.Unlock()
			if cl == nil {
				continue
			}
			if r, err := unpack(b); err == nil && matches(r, id, cl.q) {
				s.settle(cl, r, nil)
			}
		}
		s.u.flush()
	}
}

// end settles cl and, if that freed a slot, sends the queries waiting for
// one.
func (s *udpSocket) end(cl *call, r *dns.Msg, err error) {
	if s.settle(cl, r, err) {
		s.u.flush()
	}
}

// settle ends cl with its reply or error unless it has ended already, and
// reports whether that freed an in-flight slot. The slot is free the
// moment the answer is in, not when its waiter next runs.
func (s *udpSocket) settle(cl *call, r *dns.Msg, err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[cl.id] != cl {
		return false
	}
	delete(s.pending, cl.id)
	if cl.sent {
		cl.timer.Stop()
		<-s.u.slots
	}
	cl.reply, cl.err = r, err
	close(cl.done)
	return cl.sent
}

func (s *udpSocket) calls() []*call {
	s.mu.Lock()
	defer s.mu.Unlock()
	calls := make([]*call, 0, len(s.pending))
	for _, cl := range s.pending {
		calls = append(calls, cl)
	}
	return calls
}
