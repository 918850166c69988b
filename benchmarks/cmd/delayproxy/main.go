// Command delayproxy sits between a DNS client and a DNS server on loopback
// and adds latency and packet loss, for benchmarks on machines whose kernels
// have no netem.
//
// Usage:
//
//	delayproxy -listen 127.0.0.1:5301 -upstream 127.0.0.1:5300 -rtt 20ms -loss 0.01
//
// Half of -rtt is added on each leg: client to server and server to client.
// On Linux it counts from when the kernel received the packet, as netem's
// delay counts from when a packet is queued, so that the time the proxy
// itself takes to get to a packet is not added on top. On a busy machine
// its wake-ups to send are late, so it aims them early by what they were
// late lately, and each leg takes half the RTT on average, a single packet
// a little more or less; -never-early sends none before its time instead,
// and so each a little after it.
// UDP packets are dropped with probability -loss, independently on each leg,
// from a generator seeded by -seed. TCP streams are delayed the same way but
// never dropped: a byte stream has no packets to lose.
//
// UDP queries leave through a small pool of upstream sockets; the proxy
// rewrites the 16-bit DNS message ID to route each reply back to its client,
// so it copes with clients that open one socket per query. It prints
// "delayproxy listening on ADDR" once both UDP and TCP listen, and counters on
// SIGINT or SIGTERM, with the mean times that make up a UDP round trip beyond
// -rtt: how late the proxy sent packets on each leg (negative if early), and
// how long the server took to reply; and how early each leg ended up aiming.
// Only loopback addresses are accepted. It runs on one processor unless
// GOMAXPROCS says otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		// One processor unless told otherwise: the proxy stands in for
		// netem, which costs the machine next to nothing, and what CPU it
		// takes is taken from the client it measures. On two, Go's
		// scheduler spins and hands goroutines between threads: in four
		// alternating latency runs the proxy used 3.5-3.9 s of CPU against
		// 3.3 on one, was later by up to 0.05 ms a leg, and mxverify was
		// slower in all four.
		runtime.GOMAXPROCS(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg config
	var listen, upstream string
	fs := flag.NewFlagSet("delayproxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&listen, "listen", "127.0.0.1:5301", "loopback IP:port to listen on (UDP and TCP); port 0 picks one")
	fs.StringVar(&upstream, "upstream", "127.0.0.1:5300", "loopback IP:port of the DNS server")
	fs.DurationVar(&cfg.rtt, "rtt", 20*time.Millisecond, "round-trip time to add; half on each leg")
	fs.Float64Var(&cfg.loss, "loss", 0, "probability of dropping a UDP packet, on each leg")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed of the loss generator")
	fs.IntVar(&cfg.sockets, "sockets", 8, "upstream UDP sockets (each routes up to 65536 queries in flight)")
	fs.IntVar(&cfg.queue, "queue", 1<<14, "packets waiting per delay queue; more are dropped and counted as overflow")
	fs.BoolVar(&cfg.neverEarly, "never-early", false, "send no packet before its time, and so each a little after it, as the proxy's wake-ups are late (by default it wakes early by what they were late lately, so that each leg takes half the RTT on average)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file (for tuning the proxy)")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "delayproxy:", err)
			return 1
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var err error
	if cfg.listen, err = loopback(listen); err != nil {
		fmt.Fprintln(stderr, "delayproxy: -listen:", err)
		return 1
	}
	if cfg.upstream, err = loopback(upstream); err != nil {
		fmt.Fprintln(stderr, "delayproxy: -upstream:", err)
		return 1
	}
	if cfg.rtt < 0 || cfg.loss < 0 || cfg.loss >= 1 || cfg.sockets < 1 || cfg.queue < 1 {
		fmt.Fprintln(stderr, "delayproxy: need -rtt >= 0, 0 <= -loss < 1, -sockets >= 1, -queue >= 1")
		return 1
	}
	p, err := newProxy(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "delayproxy:", err)
		return 1
	}
	fmt.Fprintf(stdout, "delayproxy listening on %s\n", p.Addr())
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	<-ctx.Done()
	p.Close()
	fmt.Fprintln(stderr, "delayproxy:", p.Stats())
	return 0
}

var errNotLoopback = errors.New("not a loopback address (this proxy is for benchmarks on this machine only)")

// loopback parses an IP:port and refuses anything but a loopback IP.
func loopback(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: want a literal IP:port: %w", s, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return netip.AddrPort{}, fmt.Errorf("%q: %w", s, errNotLoopback)
	}
	return ap, nil
}
