package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const zonesDir = "../../testdata/zones"

// instance is one in-process run of the command.
type instance struct {
	addr   string
	cancel context.CancelFunc
	code   chan int
	stderr *bytes.Buffer
}

// start runs run() on a free port and waits for the ready line, the way
// a script would.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	in := &instance{cancel: cancel, code: make(chan int, 1), stderr: new(bytes.Buffer)}
	go func() {
		in.code <- run(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), pw, in.stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no ready line (exit %d): %v; stderr: %s", <-in.code, err, in.stderr)
	}
	go io.Copy(io.Discard, pr) //nolint:errcheck // drains until run returns
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "mxzone listening on ")
	if !ok {
		t.Fatalf("ready line = %q", line)
	}
	in.addr = addr
	t.Cleanup(func() { in.stop(t) })
	return in
}

// stop cancels the run and checks it exits 0; later calls do nothing.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case code := <-in.code:
		if code != exitOK {
			t.Errorf("exit code %d after cancel, want 0; stderr: %s", code, in.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Error("run did not return after cancel")
	}
}

func query(t *testing.T, addr, network, name string, qtype uint16) (*dns.Msg, time.Duration, error) {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 400 * time.Millisecond}
	return c.Exchange(new(dns.Msg).SetQuestion(name, qtype), addr)
}

func TestServe(t *testing.T) {
	in := start(t,
		"--servfail", "servfail.mxdemo.net",
		"--refused", "refused.mxdemo.net",
		"--delay", "slow.mxdemo.net=300ms",
		"--fail-first", "flaky.mxdemo.net=2",
		"--drop", "shop.mxdemo.net/AAAA",
		"--truncate", "acme.mxdemo.net/MX",
		"--mismatch", "globex.mxdemo.net",
		zonesDir, // a directory: demo.zone and cases.zone
	)
	type q struct {
		network, name string
		qtype         uint16
		rcode         int // -1: timeout
		tc            bool
		minRTT        time.Duration
	}
	for _, tt := range []struct {
		name    string
		queries []q
	}{
		{"answer", []q{{"udp", "shop.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, false, 0}}},
		{"second zone from the directory", []q{{"udp", "crosszone.mxcases.org.", dns.TypeMX, dns.RcodeSuccess, false, 0}}},
		{"nxdomain", []q{{"udp", "missing.mxdemo.net.", dns.TypeMX, dns.RcodeNameError, false, 0}}},
		{"servfail", []q{{"udp", "servfail.mxdemo.net.", dns.TypeMX, dns.RcodeServerFailure, false, 0}}},
		{"refused", []q{{"tcp", "refused.mxdemo.net.", dns.TypeMX, dns.RcodeRefused, false, 0}}},
		{"delay", []q{{"udp", "slow.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, false, 300 * time.Millisecond}}},
		{"fail-first", []q{
			{"udp", "flaky.mxdemo.net.", dns.TypeMX, dns.RcodeServerFailure, false, 0},
			{"udp", "flaky.mxdemo.net.", dns.TypeMX, dns.RcodeServerFailure, false, 0},
			{"udp", "flaky.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, false, 0},
		}},
		{"drop one type", []q{
			{"udp", "shop.mxdemo.net.", dns.TypeAAAA, -1, false, 0},
			{"udp", "shop.mxdemo.net.", dns.TypeTXT, dns.RcodeSuccess, false, 0},
		}},
		{"truncate", []q{
			{"udp", "acme.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true, 0},
			{"tcp", "acme.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, false, 0},
		}},
		{"mismatch", []q{{"udp", "globex.mxdemo.net.", dns.TypeMX, -1, false, 0}}},
		{"big answer truncates over UDP", []q{
			{"udp", "big.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, true, 0},
			{"tcp", "big.mxdemo.net.", dns.TypeMX, dns.RcodeSuccess, false, 0},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, q := range tt.queries {
				r, rtt, err := query(t, in.addr, q.network, q.name, q.qtype)
				if q.rcode == -1 {
					var ne net.Error
					if !errors.As(err, &ne) || !ne.Timeout() {
						t.Errorf("query %d: err = %v, want a timeout", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("query %d: %v", i, err)
				}
				if r.Rcode != q.rcode || r.Truncated != q.tc {
					t.Errorf("query %d: rcode %s TC %v, want %s TC %v", i,
						dns.RcodeToString[r.Rcode], r.Truncated, dns.RcodeToString[q.rcode], q.tc)
				}
				if rtt < q.minRTT {
					t.Errorf("query %d: answered in %v, want at least %v", i, rtt, q.minRTT)
				}
			}
		})
	}
	in.stop(t)
	// Other fixtures may join the directory; these two must be there.
	for _, zone := range []string{" mxcases.org. ", " mxdemo.net. "} {
		if !strings.Contains(in.stderr.String(), zone) {
			t.Errorf("stderr = %q, want it to list zone %s", in.stderr, zone)
		}
	}
}

// TestFlagsAfterOperands checks that flags may follow the zone files.
func TestFlagsAfterOperands(t *testing.T) {
	in := start(t, filepath.Join(zonesDir, "demo.zone"), "--servfail", "*")
	r, _, err := query(t, in.addr, "udp", "shop.mxdemo.net.", dns.TypeMX)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != dns.RcodeServerFailure {
		t.Errorf("rcode = %s, want SERVFAIL for every name", dns.RcodeToString[r.Rcode])
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	badZone := filepath.Join(dir, "bad.zone")
	text := "$ORIGIN a.net.\n@ 3600 IN SOA ns hm 1 2 3 4 300\nmx IN MX ten mail\n"
	if err := os.WriteFile(badZone, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "outside.zone")
	text = "$ORIGIN a.net.\n@ 3600 IN SOA ns hm 1 2 3 4 300\nwww.b.net. 60 IN A 192.0.2.1\n"
	if err := os.WriteFile(outside, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	demo := filepath.Join(zonesDir, "demo.zone")

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string // substrings of the single stderr line
	}{
		{"bad zone", []string{badZone}, exitError, []string{badZone, "line: 3"}},
		{"record outside the zones", []string{outside}, exitError, []string{outside + ":3:", "outside every zone"}},
		{"missing file", []string{filepath.Join(dir, "nope.zone")}, exitError, []string{"nope.zone", "no such file"}},
		{"directory without zones", []string{empty}, exitError, []string{"no *.zone files"}},
		{"no operands", nil, exitUsage, []string{"no zone file"}},
		{"unknown flag", []string{"--nope", demo}, exitUsage, []string{"-nope"}},
		{"non-loopback listen", []string{"--listen", "0.0.0.0:5353", demo}, exitUsage, []string{"only loopback"}},
		{"listen without port", []string{"--listen", "127.0.0.1", demo}, exitUsage, []string{"missing port"}},
		{"delay without value", []string{"--delay", "slow.mxdemo.net", demo}, exitUsage, []string{"want NAME=VALUE"}},
		{"bad delay", []string{"--delay", "slow.mxdemo.net=soon", demo}, exitUsage, []string{"duration"}},
		{"bad fail-first", []string{"--fail-first", "flaky.mxdemo.net=x", demo}, exitUsage, []string{"count"}},
		{"bad type", []string{"--servfail", "shop.mxdemo.net/NOPE", demo}, exitUsage, []string{`unknown type "NOPE"`}},
		{"bad name", []string{"--drop", "a..b", demo}, exitUsage, []string{"not a domain name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", code, tt.code, &stderr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", &stdout)
			}
			first, _, _ := strings.Cut(stderr.String(), "\n")
			for _, w := range tt.stderr {
				if !strings.Contains(first, w) {
					t.Errorf("stderr first line %q does not contain %q", first, w)
				}
			}
			if tt.code == exitError && strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("stderr = %q, want exactly one line", &stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{arg}, &stdout, &stderr); code != exitOK {
			t.Errorf("%s: exit code %d, want 0", arg, code)
		}
		if !strings.HasPrefix(stdout.String(), "Usage: mxzone") || stderr.Len() != 0 {
			t.Errorf("%s: stdout %q, stderr %q; want usage on stdout", arg, &stdout, &stderr)
		}
	}
}

// TestMain lets TestSignal re-execute this test binary as the real
// command (the litestream harness).
func TestMain(m *testing.M) {
	if os.Getenv("MXZONE_RUN_MAIN") == "1" {
		os.Args = append([]string{"mxzone"}, strings.Fields(os.Getenv("MXZONE_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSignal runs main() in a child process and checks that SIGTERM and
// SIGINT end it with exit code 0.
func TestSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "MXZONE_RUN_MAIN=1",
				"MXZONE_ARGS=--listen 127.0.0.1:0 "+filepath.Join(zonesDir, "demo.zone"))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("no ready line: %v; stderr: %s", err, &stderr)
			}
			addr := strings.TrimPrefix(strings.TrimSpace(line), "mxzone listening on ")
			if _, _, err := query(t, addr, "udp", "shop.mxdemo.net.", dns.TypeMX); err != nil {
				t.Errorf("query: %v", err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("exit: %v; stderr: %s", err, &stderr)
				}
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatal("mxzone did not exit after the signal")
			}
		})
	}
}
