// Batches of UDP datagrams per system call: recvmmsg and sendmmsg on
// Linux, made as raw system calls, and x/net's batching elsewhere. Under
// load a system call costs about as much as handling a DNS message, so
// moving many at once is most of what lets the proxy stand in for a
// network (benchmarks/README.md, "The latency proxy").

package main

import (
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchConn reads and writes batches of datagrams. *ipv4.PacketConn and
// *ipv6.PacketConn satisfy it: ipv4.Message and ipv6.Message are the same
// type.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// v6 reports whether c is an IPv6 socket.
func isV6(c *net.UDPConn) bool {
	return !c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().Is4()
}

// portable batches with x/net, which makes the system calls as blocking
// ones (and moves one datagram a call where there is no sendmmsg).
func portable(c *net.UDPConn) batchConn {
	if isV6(c) {
		return ipv6.NewPacketConn(c)
	}
	return ipv4.NewPacketConn(c)
}
