package main

import (
	"net"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestArrivalStamps reads datagrams that waited in the socket, as the
// proxy's readers do: each must carry its source and the time it arrived,
// not the time it was read.
func TestArrivalStamps(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("arrival times come from SO_TIMESTAMPNS, on Linux")
	}
	t.Parallel()
	l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if !stampArrivals(l) {
		t.Fatal("SO_TIMESTAMPNS refused")
	}
	c, err := net.DialUDP("udp", nil, l.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitForStamps(t, l, c)
	const n, gap = 3, 20 * time.Millisecond
	sent := make([]time.Time, n)
	for i := range n {
		sent[i] = time.Now()
		c.Write([]byte{byte(i)})
		time.Sleep(gap)
	}
	ms := readBuffers()
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	type datagram struct {
		from     net.UDPAddr
		at, read time.Time
		stamped  bool
	}
	var got []datagram
	bc := newBatchConn(l)
	for len(got) < n {
		k, err := bc.ReadBatch(ms, 0)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		for i := range ms[:k] {
			_, stamped := arrival(ms[i].OOB[:ms[i].NN])
			a := ms[i].Addr.(*net.UDPAddr) // reused by the next read
			got = append(got, datagram{net.UDPAddr{IP: slices.Clone(a.IP), Port: a.Port}, arrivedAt(&ms[i], now), now, stamped})
		}
	}
	from := c.LocalAddr().(*net.UDPAddr)
	for i, d := range got {
		if !d.from.IP.Equal(from.IP) || d.from.Port != from.Port {
			t.Errorf("datagram %d from %v, want %v", i, &d.from, from)
		}
		if !d.stamped {
			t.Errorf("datagram %d has no arrival time", i)
		}
		// It arrived after it was sent and before the next one was
		// (gap later), long before it was read.
		next := d.read
		if i+1 < n {
			next = sent[i+1]
		}
		if d.at.Before(sent[i]) || !d.at.Before(next) {
			t.Errorf("datagram %d: arrived %v after its send, want before the next send %v after it (read %v after)",
				i, d.at.Sub(sent[i]), next.Sub(sent[i]), d.read.Sub(sent[i]))
		}
	}
}

// TestRuns checks how the datagrams of one read become batches: a new one
// whenever arrivals spread beyond slack, each due from its last arrival,
// so that none leaves early.
func TestRuns(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	us := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Microsecond) }
	tests := []struct {
		name     string
		arrivals []time.Time
		want     []int // datagrams per batch
	}{
		{"one datagram", []time.Time{t0}, []int{1}},
		{"within slack", []time.Time{us(0), us(10), us(50)}, []int{3}},
		{"spread over two runs", []time.Time{us(0), us(30), us(51), us(80), us(200)}, []int{2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r runs
			for i, at := range tt.arrivals {
				r.add([]byte{byte(i)}, at, len(tt.arrivals)-i)
			}
			var got []int
			i := 0
			for _, b := range r.out {
				got = append(got, len(b.pks))
				i += len(b.pks)
				if last := tt.arrivals[i-1]; !b.arrived.Equal(last) {
					t.Errorf("batch ending at datagram %d arrived %v, want its last datagram's %v", i-1, b.arrived.Sub(t0), last.Sub(t0))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("batches of %v datagrams, want %v", got, tt.want)
			}
		})
	}
}

// TestPushKeepsOrder pushes a batch that arrived before the one ahead of
// it, as two upstream readers can: it must not be due before that one.
func TestPushKeepsOrder(t *testing.T) {
	t.Parallel()
	const half = 10 * time.Millisecond
	p := &proxy{cfg: config{queue: 10}, half: half}
	q := &queue{c: make(chan *batch, 10)}
	t0 := time.Now()
	for _, arrived := range []time.Time{t0.Add(time.Millisecond), t0} {
		b := getBatch(1)
		b.add([]byte{0})
		b.arrived = arrived
		p.push(q, b)
	}
	first, second := <-q.c, <-q.c
	if want := t0.Add(time.Millisecond + half); !first.at.Equal(want) {
		t.Errorf("first due %v after t0, want %v", first.at.Sub(t0), want.Sub(t0))
	}
	if !second.at.Equal(first.at) {
		t.Errorf("second due %v after t0, want with the first at %v", second.at.Sub(t0), first.at.Sub(t0))
	}
}

// waitForStamps waits until datagrams reaching l are stamped on arrival.
// The kernel turns receive stamping on some moments after the first socket
// asks for it; until then it stamps a datagram when it is read, which is
// what the proxy did without stamps.
func waitForStamps(t *testing.T, l, c *net.UDPConn) {
	t.Helper()
	const wait = 5 * time.Millisecond
	ms := readBuffers()[:1]
	bc := newBatchConn(l)
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer l.SetReadDeadline(time.Time{})
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		c.Write([]byte{0})
		time.Sleep(wait)
		if _, err := bc.ReadBatch(ms, 0); err != nil {
			t.Fatal(err)
		}
		if at := arrivedAt(&ms[0], time.Now()); time.Since(at) >= wait {
			return
		}
	}
	t.Fatal("datagrams are not stamped on arrival")
}
