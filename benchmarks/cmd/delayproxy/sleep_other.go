//go:build !linux

package main

// newSleeper returns a Go timer, however late it fires: timerfd is Linux's,
// and the benchmarks that need an exact delay run on Linux.
func newSleeper() sleeper { return newTimerSleeper() }
