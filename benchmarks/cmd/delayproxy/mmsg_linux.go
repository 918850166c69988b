package main

import (
	"net"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// rawConn makes sendmmsg and recvmmsg as raw system calls, which the Go
// scheduler does not see. x/net makes them as blocking calls, and a
// sendmmsg on loopback, which runs the receiver's network stack too, kept
// the runtime's monitor taking the P away and polling: CPU taken from the
// client the proxy measures (benchmarks/README.md). The sockets are
// non-blocking and the poller waits for readiness, so neither call blocks.
type rawConn struct {
	rc syscall.RawConn
	v6 bool
	// named: the socket is not connected, so reads report each
	// datagram's source and writes take each one's destination.
	named bool
	// r and w are the reader's and the writer's: they run at once.
	r, w mmsgs
}

// mmsgs holds the headers of one batch call and room for its addresses.
type mmsgs struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // big enough for either family
}

// newBatchConn returns a batchConn over c.
func newBatchConn(c *net.UDPConn) batchConn {
	rc, err := c.SyscallConn()
	if err != nil {
		return portable(c)
	}
	return &rawConn{rc: rc, v6: isV6(c), named: c.RemoteAddr() == nil}
}

// ReadBatch reads datagrams with their control messages and, on a socket
// that is not connected, their source addresses (reusing a message's
// *net.UDPAddr when it has one).
func (c *rawConn) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	m := &c.r
	m.prepare(ms)
	for i := range ms {
		h := &m.hdrs[i].Hdr
		if c.named {
			h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
			h.Namelen = unix.SizeofSockaddrInet6
		}
		if len(ms[i].OOB) > 0 {
			h.Control = unsafe.SliceData(ms[i].OOB)
			h.SetControllen(len(ms[i].OOB))
		}
	}
	n, err := m.call(c.rc.Read, unix.SYS_RECVMMSG, len(ms), flags)
	runtime.KeepAlive(ms)
	for i := range n {
		h := &m.hdrs[i].Hdr
		ms[i].N = int(m.hdrs[i].Len)
		ms[i].NN = int(h.Controllen)
		if c.named {
			ms[i].Addr = sockaddr(&m.names[i], ms[i].Addr)
		}
	}
	return n, err
}

// WriteBatch sends datagrams, each to its message's address if it has one.
func (c *rawConn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	m := &c.w
	m.prepare(ms)
	for i := range ms {
		a, ok := ms[i].Addr.(*net.UDPAddr)
		if !ok {
			continue
		}
		h := &m.hdrs[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		h.Namelen = putSockaddr(&m.names[i], a, c.v6)
	}
	n, err := m.call(c.rc.Write, unix.SYS_SENDMMSG, len(ms), flags)
	runtime.KeepAlive(ms)
	return n, err
}

// prepare points a header at each message's first buffer: a DNS message
// is one buffer.
func (m *mmsgs) prepare(ms []ipv4.Message) {
	if len(m.hdrs) < len(ms) {
		m.hdrs = make([]unix.Mmsghdr, len(ms))
		m.iovs = make([]unix.Iovec, len(ms))
		m.names = make([]unix.RawSockaddrInet6, len(ms))
	}
	for i := range ms {
		b := ms[i].Buffers[0]
		m.iovs[i].Base = unsafe.SliceData(b)
		m.iovs[i].SetLen(len(b))
		m.hdrs[i] = unix.Mmsghdr{}
		m.hdrs[i].Hdr.Iov = &m.iovs[i]
		m.hdrs[i].Hdr.SetIovlen(1)
	}
}

// call makes the batch system call on the first n headers once the socket
// is ready for it.
func (m *mmsgs) call(io func(func(fd uintptr) bool) error, trap uintptr, n, flags int) (int, error) {
	if n == 0 {
		return 0, nil
	}
	var r uintptr
	var errno syscall.Errno
	err := io(func(fd uintptr) bool {
		r, _, errno = unix.RawSyscall6(trap, fd, uintptr(unsafe.Pointer(&m.hdrs[0])), uintptr(n),
			uintptr(flags|unix.MSG_DONTWAIT), 0, 0)
		return errno != unix.EAGAIN
	})
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// sockaddr decodes a source address into a, or a new *net.UDPAddr.
func sockaddr(rsa *unix.RawSockaddrInet6, a net.Addr) net.Addr {
	u, _ := a.(*net.UDPAddr)
	if u == nil {
		u = &net.UDPAddr{}
	}
	switch rsa.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		u.IP = append(u.IP[:0], sa.Addr[:]...)
		u.Port = int(sa.Port>>8 | sa.Port<<8)
	case unix.AF_INET6:
		u.IP = append(u.IP[:0], rsa.Addr[:]...)
		u.Port = int(rsa.Port>>8 | rsa.Port<<8)
	default:
		return nil
	}
	u.Zone = ""
	return u
}

// putSockaddr encodes a as the socket's family wants it, and returns its
// length: an IPv4 socket takes an IPv4-mapped address as plain IPv4.
func putSockaddr(rsa *unix.RawSockaddrInet6, a *net.UDPAddr, v6 bool) uint32 {
	port := uint16(a.Port)
	port = port>>8 | port<<8 // network order
	if ip4 := a.IP.To4(); ip4 != nil && !v6 {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Port: port}
		copy(sa.Addr[:], ip4)
		return unix.SizeofSockaddrInet4
	}
	*rsa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Port: port}
	copy(rsa.Addr[:], a.IP.To16())
	return unix.SizeofSockaddrInet6
}
