package main

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxSleep bounds one sleep on a timerfd, which cannot watch done: Close
// waits for the deliverers, and so for at most this long, or half the RTT
// if that is shorter.
const maxSleep = 10 * time.Millisecond

// fdSleeper sleeps on a timerfd: a high-resolution kernel timer, which
// makes the runtime's epoll_wait return when it expires, whatever timeout
// the runtime gave it. The goroutine waits for it as for a socket, parked
// without holding a thread, so a sleep costs what a Go timer's does plus
// two system calls. Sleeping in nanosleep instead holds a thread and its P
// for the whole wait, and under load the runtime hands that P to another
// thread, so the wake-up waits for one: measured through this proxy, 0.2 ms
// more latency than a Go timer at 15,000 q/s, and on a locked thread a
// slowest 1% of queries 5 to 15 ms slower at 1,000 q/s.
type fdSleeper struct {
	f     *os.File
	rc    syscall.RawConn
	its   unix.ItimerSpec
	armed bool
	err   error
	buf   [8]byte
	wait  func(fd uintptr) bool // for rc.Read, made once: sleeping allocates nothing
}

// newSleeper returns a timerfd, or a Go timer if there is none to have.
func newSleeper() sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return newTimerSleeper()
	}
	// Non-blocking, the file is registered with the runtime's poller.
	s := &fdSleeper{f: os.NewFile(uintptr(fd), "timerfd")}
	if s.rc, err = s.f.SyscallConn(); err != nil {
		s.f.Close()
		return newTimerSleeper()
	}
	s.wait = func(fd uintptr) bool {
		if !s.armed {
			// Armed only now, once the read has cleared the file's
			// readiness and before it waits for it: an expiry in between
			// would otherwise be forgotten, and the wait never end.
			s.armed = true
			s.err = unix.TimerfdSettime(int(fd), 0, &s.its, nil)
			return s.err != nil
		}
		_, err := unix.Read(int(fd), s.buf[:])
		return err != unix.EAGAIN
	}
	return s
}

func (s *fdSleeper) sleep(d time.Duration, done <-chan struct{}) bool {
	// A zero it_value would disarm the timer, and the wait never end.
	s.its.Value = unix.NsecToTimespec(int64(max(min(d, maxSleep), 1)))
	s.armed = false
	if err := s.rc.Read(s.wait); err != nil || s.err != nil {
		// Not expected; but sleep anyway, so that the caller does not spin.
		time.Sleep(min(d, maxSleep))
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func (s *fdSleeper) close() { s.f.Close() }
