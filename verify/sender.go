package verify

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// sender sends the UDP queries of all a client's sockets, as many as the
// in-flight bound lets out. A query in flight is one on the wire: packed
// queries wait in one queue, and a slot is taken as a packet leaves. So a
// socket's reader, once it has handed out a batch of answers, sends the
// queries waiting for the slots those answers freed, in the same moment and
// one sendmmsg, as dnsperf does. When a query took its slot before it was
// packed, each freed slot waited for a goroutine to be scheduled, pack and
// send: on a loaded machine 0.5 to 1 ms of every 20 ms round trip, a slot
// held with nothing on the wire.
type sender struct {
	slots chan struct{} // the client's in-flight slots, shared with TCP

	mu sync.Mutex
	// queue[head:] waits, oldest first. Under load a thousand queries
	// wait and a round takes a few: taking from the front by moving the
	// rest down copied the whole queue each round.
	queue   []outgoing
	head    int
	pumping bool // someone is running pump
	again   bool // slots or queries came while pump sent
	queued  atomic.Int64
	socks   []*udpSocket // pump's, the sockets of one round
}

// outgoing is a begun query's packet, waiting for a slot.
type outgoing struct {
	inFlight
	bp *[]byte
}

func newSender(slots chan struct{}) *sender { return &sender{slots: slots} }

// enqueue queues a packed query and, with send, sends what the free slots
// allow.
func (q *sender) enqueue(o outgoing, send bool) {
	q.mu.Lock()
	q.queue = append(q.queue, o)
	q.queued.Add(1)
	mine := send && q.claim()
	q.mu.Unlock()
	if !mine {
		return
	}
	if len(q.slots) < cap(q.slots) {
		// Yield once, so that the queries woken by the same batch of
		// answers queue their packets and leave with this one: about ten
		// packets per sendmmsg instead of one, and the server woken once
		// per batch. With no slot free, the packet waits for a reader's
		// kick anyway.
		runtime.Gosched()
	}
	q.pump()
}

// kick sends the queries waiting for slots that have just been freed.
func (q *sender) kick() {
	if q.queued.Load() == 0 {
		return
	}
	q.mu.Lock()
	mine := q.claim()
	q.mu.Unlock()
	if mine {
		q.pump()
	}
}

// claim, under mu, makes the caller the one to run pump, and reports so;
// if someone runs it already, it has them look once more instead.
func (q *sender) claim() bool {
	if q.pumping {
		q.again = true
		return false
	}
	q.pumping = true
	return true
}

// pump sends queued queries, oldest first, while there are slots for them.
// Only one goroutine runs it at a time; whoever queues a packet or frees a
// slot while it sends sets again, and it looks once more before it stops,
// so no packet is left waiting beside a free slot.
func (q *sender) pump() {
	q.mu.Lock()
	for {
		q.again = false
		if q.head > 0 && q.head >= len(q.queue)/2 {
			// Only the pump takes from the queue, and its last round is
			// sent: the taken front can go.
			n := copy(q.queue, q.queue[q.head:])
			clear(q.queue[n:])
			q.queue, q.head = q.queue[:n], 0
		}
		k := 0
		for q.head+k < len(q.queue) && q.take() {
			k++
		}
		if k == 0 {
			if !q.again {
				break
			}
			continue
		}
		// Queries queued meanwhile are appended after out, and never
		// touch it, even if the queue grows into a new array.
		out := q.queue[q.head : q.head+k]
		q.head += k
		q.queued.Add(-int64(k))
		q.mu.Unlock()
		q.send(out)
		clear(out)
		q.mu.Lock()
	}
	q.pumping = false
	q.mu.Unlock()
}

func (q *sender) take() bool {
	select {
	case q.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (q *sender) release() { <-q.slots }

// send sends out, each packet holding a slot: one sendmmsg per socket.
func (q *sender) send(out []outgoing) {
	q.socks = q.socks[:0]
	for _, o := range out {
		if len(o.s.out) == 0 {
			q.socks = append(q.socks, o.s)
		}
		o.s.out = append(o.s.out, o)
	}
	for i, s := range q.socks {
		s.flush(q)
		q.socks[i] = nil
	}
}

// flush sends the socket's share of a round. A query whose waiter has left
// (its context ended, or the socket closed) is not sent, and its slot goes
// back. A send error is not reported to the query: it times out and is
// retried, as if the packet were lost.
func (s *udpSocket) flush(q *sender) {
	now := time.Since(s.epoch)
	n := 0
	s.mu.Lock()
	for _, o := range s.out {
		if s.closed || s.pending[o.id] != o.cl {
			q.release()
			s.bufs.Put(o.bp)
			continue
		}
		// The timeout counts from the send: a query waiting for a slot
		// has not been asked yet.
		o.cl.deadline = now + o.cl.timeout
		o.cl.sent = true
		s.out[n] = o
		n++
	}
	s.mu.Unlock()
	out := s.out[:n]
	for len(out) > 0 {
		m := min(len(out), len(s.msgs))
		for i, o := range out[:m] {
			s.msgs[i].Buffers[0] = *o.bp
		}
		for sent := 0; sent < m; {
			k, err := s.bc.WriteBatch(s.msgs[sent:m], 0)
			if err != nil {
				break
			}
			sent += k
		}
		for _, o := range out[:m] {
			s.bufs.Put(o.bp)
		}
		out = out[m:]
	}
	clear(s.out)
	s.out = s.out[:0]
}

// msgsFor returns messages for batches of the socket's writes.
func msgsFor() []ipv4.Message {
	ms := make([]ipv4.Message, batch)
	for i := range ms {
		ms[i].Buffers = make([][]byte, 1)
	}
	return ms
}
