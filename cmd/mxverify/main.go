// Command mxverify checks the mail set-up of every domain on a mailing list:
// it reads CSV, JSONL or Parquet lists, resolves each distinct domain's MX
// records and the exchanges' addresses, and writes a verdict per address
// and per domain.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(command()) }

// command runs the command line of the process and returns its exit
// status; the tests run it in a child of their own.
func command() int {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		cancel(interrupted{sig.(syscall.Signal)})
		// A second signal means the user will not wait for a clean stop.
		sig = <-sigs
		os.Exit(128 + int(sig.(syscall.Signal)))
	}()
	return run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// interrupted is the cancellation cause of SIGINT or SIGTERM; it carries
// the exit status 128+signal that shells and schedulers expect.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string {
	// By the names users know: Go calls SIGINT "interrupt".
	switch i.sig {
	case syscall.SIGINT:
		return "stopped by SIGINT (Ctrl-C); no output written"
	case syscall.SIGTERM:
		return "stopped by SIGTERM; no output written"
	}
	return "stopped by " + i.sig.String() + "; no output written"
}
