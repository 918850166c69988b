// Package mmsg moves batches of UDP datagrams per system call: recvmmsg and
// sendmmsg on Linux, made as raw system calls, and x/net's batching
// elsewhere. Under load a system call costs about as much as handling a
// DNS message, so moving many at once is most of what separates a bulk
// client, or a proxy standing in for a network, from a stub resolver.
package mmsg

import (
	"net"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Conn reads and writes batches of datagrams. *ipv4.PacketConn and
// *ipv6.PacketConn satisfy it: ipv4.Message and ipv6.Message are the same
// type.
type Conn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// v6 reports whether c is an IPv6 socket.
func v6(c *net.UDPConn) bool {
	return !c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap().Is4()
}

// portable batches with x/net, which makes the system calls as blocking
// ones (and moves one datagram a call where there is no sendmmsg).
func portable(c *net.UDPConn) Conn {
	if v6(c) {
		return ipv6.NewPacketConn(c)
	}
	return ipv4.NewPacketConn(c)
}
