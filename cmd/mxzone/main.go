// Command mxzone serves zone files on a loopback address with
// verify/dnstest, so mxverify can be demonstrated and load-tested
// against known DNS data without touching real DNS.
//
// Usage:
//
//	mxzone [flags] ZONEFILE_OR_DIR...
//
// A directory stands for every *.zone file in it. Fault flags take a
// query name, optionally limited to one type as NAME/TYPE (for example
// mx.mxdemo.net/AAAA), and may be repeated; the name "*" means every
// name. When both listeners are up, mxzone prints exactly one line to
// stdout,
//
//	mxzone listening on 127.0.0.1:5353
//
// which scripts can wait for, and serves until SIGINT or SIGTERM.
//
// Exit codes: 0 after a clean shutdown or --help, 1 when a zone cannot
// be loaded or the port cannot be bound, 2 for usage errors (including a
// non-loopback --listen address).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
