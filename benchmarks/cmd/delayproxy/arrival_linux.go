package main

import (
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stampArrivals asks the kernel to note when each datagram reaches c
// (SO_TIMESTAMPNS), so that the delay counts from then, as netem's does from
// when a packet is queued, and not from when the proxy got round to reading
// it: on a machine it shares with a busy client, that was 0.3 to 0.5 ms
// later, added to every packet on top of the RTT. The kernel turns receive
// stamping on a moment after the first socket asks for it; until then it
// stamps a datagram when it is read, which is what the proxy did before.
func stampArrivals(c *net.UDPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}

// arrivalSize is the control-message room a read needs for a timestamp.
var arrivalSize = unix.CmsgSpace(int(unsafe.Sizeof(unix.Timespec{})))

// arrival is the kernel's receive time in the control messages of a
// datagram, in Unix nanoseconds (CLOCK_REALTIME), if there is one. It reads
// them in place: unix.ParseSocketControlMessage would allocate for each
// datagram.
func arrival(oob []byte) (int64, bool) {
	for len(oob) >= unix.CmsgLen(0) {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		n := int(h.Len)
		if n < unix.CmsgLen(0) || n > len(oob) {
			return 0, false
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && n >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
			ts := (*unix.Timespec)(unsafe.Pointer(&oob[unix.CmsgLen(0)]))
			return ts.Nano(), true
		}
		oob = oob[min(unix.CmsgSpace(n-unix.CmsgLen(0)), len(oob)):]
	}
	return 0, false
}
