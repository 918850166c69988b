package main

import (
	"bytes"
	"net"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestConnected moves batches between two connected sockets through
// newBatchConn: every datagram must arrive whole and in order, with its own
// length, including a read that has to wait for its datagrams.
func TestConnected(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"127.0.0.1", "::1"} {
		t.Run(network, func(t *testing.T) {
			a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(network)})
			if err != nil {
				t.Skip(err)
			}
			defer a.Close()
			b, err := net.DialUDP("udp", nil, a.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			// Connect a back to b, so that both are connected sockets.
			a.Close()
			a, err = net.DialUDP("udp", a.LocalAddr().(*net.UDPAddr), b.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			wa, rb := newBatchConn(a), newBatchConn(b)

			const n = 5
			got := make(chan [][]byte, 1)
			go func() {
				ms := make([]ipv4.Message, 64)
				for i := range ms {
					ms[i].Buffers = [][]byte{make([]byte, 4096)}
				}
				var out [][]byte
				for len(out) < n {
					k, err := rb.ReadBatch(ms, 0)
					if err != nil {
						t.Error(err)
						break
					}
					for _, m := range ms[:k] {
						out = append(out, bytes.Clone(m.Buffers[0][:m.N]))
					}
				}
				got <- out
			}()
			time.Sleep(20 * time.Millisecond) // the reader waits for readiness first
			ms := make([]ipv4.Message, n)
			var want [][]byte
			for i := range ms {
				p := bytes.Repeat([]byte{byte('a' + i)}, 1+i*100)
				want = append(want, p)
				ms[i].Buffers = [][]byte{p}
			}
			if k, err := wa.WriteBatch(ms, 0); err != nil || k != n {
				t.Fatalf("WriteBatch sent %d of %d: %v", k, n, err)
			}
			select {
			case out := <-got:
				if len(out) != n {
					t.Fatalf("read %d datagrams, want %d", len(out), n)
				}
				for i := range out {
					if !bytes.Equal(out[i], want[i]) {
						t.Errorf("datagram %d: %d bytes of %q, want %d of %q", i, len(out[i]), out[i][:1], len(want[i]), want[i][:1])
					}
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no datagrams read")
			}
		})
	}
}
