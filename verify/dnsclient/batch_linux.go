package dnsclient

import (
	"net"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// rawBatch makes recvmmsg and sendmmsg as raw system calls, which the Go
// scheduler does not see. x/net makes them as blocking system calls: each
// wakes the runtime's monitor, and a sendmmsg on loopback, which runs the
// receiver's network stack too, often lasts long enough for the monitor
// to hand the P to another thread. That cost about a tenth of a direct
// run's CPU time (benchmarks/README.md). The socket is connected and
// non-blocking, and the poller waits for readiness, so neither call blocks.
type rawBatch struct {
	rc   syscall.RawConn
	r, w mmsgs // the reader's and the writers': they run at once
}

// mmsgs holds the headers of one batch call.
type mmsgs struct {
	hdrs []unix.Mmsghdr
	iovs []unix.Iovec
}

func newBatchConn(c *net.UDPConn) batchConn {
	rc, err := c.SyscallConn()
	if err != nil {
		return xnetBatch(c)
	}
	return &rawBatch{rc: rc}
}

func (c *rawBatch) ReadBatch(ms []ipv4.Message, _ int) (int, error) {
	n, err := c.r.call(c.rc.Read, unix.SYS_RECVMMSG, ms)
	for i := range n {
		ms[i].N = int(c.r.hdrs[i].Len)
	}
	return n, err
}

func (c *rawBatch) WriteBatch(ms []ipv4.Message, _ int) (int, error) {
	return c.w.call(c.rc.Write, unix.SYS_SENDMMSG, ms)
}

// call points a header at each message's one buffer and makes the system
// call once the socket is ready for it.
func (m *mmsgs) call(io func(func(fd uintptr) bool) error, trap uintptr, ms []ipv4.Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
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
	var n uintptr
	var errno syscall.Errno
	err := io(func(fd uintptr) bool {
		n, _, errno = unix.RawSyscall6(trap, fd, uintptr(unsafe.Pointer(&m.hdrs[0])), uintptr(len(ms)), unix.MSG_DONTWAIT, 0, 0)
		return errno != unix.EAGAIN
	})
	runtime.KeepAlive(ms)
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
