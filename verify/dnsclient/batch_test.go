package dnsclient

import (
	"bytes"
	"net"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// TestBatchConn moves batches between two connected sockets, through the
// raw system calls and through x/net: every datagram must arrive whole
// and in order, including in a read that has to wait for them.
func TestBatchConn(t *testing.T) {
	t.Parallel()
	for _, kind := range []struct {
		name string
		new  func(*net.UDPConn) batchConn
	}{{"default", newBatchConn}, {"x/net", xnetBatch}} {
		for _, ip := range []string{"127.0.0.1", "::1"} {
			t.Run(kind.name+"/"+ip, func(t *testing.T) {
				t.Parallel()
				l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
				if err != nil {
					t.Skip(err)
				}
				a := l.LocalAddr().(*net.UDPAddr)
				l.Close()
				b, err := net.DialUDP("udp", nil, a)
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				c, err := net.DialUDP("udp", a, b.LocalAddr().(*net.UDPAddr))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				w, r := kind.new(b), kind.new(c)

				const n = 5
				got := make(chan [][]byte, 1)
				go func() {
					ms := make([]ipv4.Message, batch)
					for i := range ms {
						ms[i].Buffers = [][]byte{make([]byte, 4096)}
					}
					var out [][]byte
					for len(out) < n {
						k, err := r.ReadBatch(ms, 0)
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
				var want [][]byte
				ms := make([]ipv4.Message, n)
				for i := range ms {
					want = append(want, bytes.Repeat([]byte{byte('a' + i)}, 1+i*100))
					ms[i].Buffers = [][]byte{want[i]}
				}
				if k, err := w.WriteBatch(ms, 0); err != nil || k != n {
					t.Fatalf("WriteBatch sent %d of %d: %v", k, n, err)
				}
				select {
				case out := <-got:
					if len(out) != n {
						t.Fatalf("read %d datagrams, want %d", len(out), n)
					}
					for i := range out {
						if !bytes.Equal(out[i], want[i]) {
							t.Errorf("datagram %d: %d bytes, want %d", i, len(out[i]), len(want[i]))
						}
					}
				case <-time.After(5 * time.Second):
					t.Fatal("no datagrams read")
				}
			})
		}
	}
}
