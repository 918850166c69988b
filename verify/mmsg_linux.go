package verify

import (
	"net"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// rawBatchConn moves batches of datagrams on a connected UDP socket with
// sendmmsg and recvmmsg made as raw system calls, which the Go scheduler
// does not see. x/net makes them as ordinary blocking calls, and a sendmmsg
// on loopback runs the receiver's network stack too: long enough that the
// runtime's monitor often took the P away and woke another thread to run
// it, then kept polling every 20 us. Neither call can block here (the
// socket is non-blocking and the poller waits for readiness), so the P
// may stay. Measured through the delaying proxy: half the monitor's sleeps
// and 40% fewer futex calls, and 1.5% more queries per second in four
// alternating rounds.
type rawBatchConn struct {
	rc syscall.RawConn
	// r and w are the reader's and the sender's: they run at once.
	r, w mmsgs
}

// mmsgs holds the headers of one batch call.
type mmsgs struct {
	hdrs []unix.Mmsghdr
	iovs []unix.Iovec
}

func newBatchConn(conn *net.UDPConn, v6 bool) batchConn {
	rc, err := conn.SyscallConn()
	if err != nil {
		return portableBatchConn(conn, v6)
	}
	return &rawBatchConn{rc: rc}
}

func (c *rawBatchConn) WriteBatch(ms []ipv4.Message, flags int) (int, error) {
	return c.w.call(c.rc.Write, unix.SYS_SENDMMSG, ms, flags)
}

func (c *rawBatchConn) ReadBatch(ms []ipv4.Message, flags int) (int, error) {
	return c.r.call(c.rc.Read, unix.SYS_RECVMMSG, ms, flags)
}

// call makes the batch system call trap on ms once the socket is ready for
// it, and sets each message's N.
func (m *mmsgs) call(io func(func(fd uintptr) bool) error, trap uintptr, ms []ipv4.Message, flags int) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	m.prepare(ms)
	var n uintptr
	var errno syscall.Errno
	err := io(func(fd uintptr) bool {
		n, _, errno = unix.RawSyscall6(trap, fd, uintptr(unsafe.Pointer(&m.hdrs[0])), uintptr(len(ms)),
			uintptr(flags|unix.MSG_DONTWAIT), 0, 0)
		return errno != unix.EAGAIN
	})
	runtime.KeepAlive(ms)
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	for i := range int(n) {
		ms[i].N = int(m.hdrs[i].Len)
	}
	return int(n), nil
}

// prepare points a header at each message's first buffer: a connected
// socket needs no addresses, and a DNS message is one buffer.
func (m *mmsgs) prepare(ms []ipv4.Message) {
	if len(m.hdrs) < len(ms) {
		m.hdrs = make([]unix.Mmsghdr, len(ms))
		m.iovs = make([]unix.Iovec, len(ms))
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
