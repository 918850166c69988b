package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnstest"
)

// The end-to-end test through a real recursive resolver: Debian's unbound
// runs on loopback with stub zones pointing at the dnstest server, and
// mxverify asks unbound, as it would ask the resolver of a production
// machine. It shows what no authoritative fixture can: that the statuses
// survive a resolver's caching, scrubbing, CNAME chasing, SERVFAIL
// synthesis and its own UDP size limit.

// unboundZones are the zones the test server holds; unbound reaches them
// through stub zones.
var unboundZones = []string{"mxdemo.net.", "mxcases.org.", "mxrules.net."}

// rootZone is what unbound finds at the root instead of the internet: a
// second loopback server whose zone has nothing but its apex, so every
// other name is NXDOMAIN, as an unknown TLD is at the real root. Its
// query counter shows whether unbound left the stub zones at all.
const rootZone = `. 86400 IN SOA a.root-servers.test. hostmaster.root-servers.test. 1 1800 900 604800 86400
. 86400 IN NS a.root-servers.test.
`

// unboundConf is the resolver's configuration. Each choice matters:
//   - module-config "iterator": no validator, so no trust anchor to read
//     and no DNSSEC lookups that would need the real root;
//   - do-not-query-localhost no: the stubs are on 127.0.0.1, which
//     unbound otherwise refuses to ask;
//   - the stub for "." replaces the built-in root hints, so that no query
//     can go to the internet even outside a network namespace;
//   - target-fetch-policy 0: no background lookups of NS host addresses;
//   - max-udp-size 1232, the default, spelled out because the case of
//     big.mxdemo.net depends on it: larger answers go out with TC=1;
//   - qname-minimisation stays on, as on a production resolver;
//   - username and chroot empty: it runs as the test's user, in the
//     test's temporary directory, logging to stderr.
const unboundConf = `server:
	interface: 127.0.0.1
	port: {{port}}
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	so-reuseport: no
	num-threads: 1
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "{{dir}}"
	pidfile: "{{dir}}/unbound.pid"
	use-syslog: no
	logfile: ""
	log-time-ascii: yes
	verbosity: 1
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	do-not-query-localhost: no
	qname-minimisation: yes
	harden-referral-path: no
	target-fetch-policy: "0 0 0 0 0"
	edns-buffer-size: 1232
	max-udp-size: 1232
remote-control:
	control-enable: no
`

// unbound is one running resolver.
type unbound struct {
	addr   string // host:port it answers on
	logf   string // its stderr, where it logs
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait returned
}

// log returns what unbound has logged so far, for failure messages.
func (u *unbound) log() string {
	b, err := os.ReadFile(u.logf)
	if err != nil {
		return fmt.Sprintf("(no unbound log: %v)", err)
	}
	return string(b)
}

// unboundPath finds the unbound binary. CI sets MXVERIFY_REQUIRE_UNBOUND=1
// so that a missing package fails the run instead of skipping the test.
func unboundPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("unbound"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/unbound"); err == nil {
		return "/usr/sbin/unbound"
	}
	const msg = "unbound is not installed (apt-get install unbound): the end-to-end resolver test needs it"
	if os.Getenv("MXVERIFY_REQUIRE_UNBOUND") == "1" {
		t.Fatal(msg + "; MXVERIFY_REQUIRE_UNBOUND=1 forbids skipping")
	}
	t.Skip(msg)
	return ""
}

// startUnbound runs unbound on a free loopback port with a stub zone for
// every zone of srv and one for the root at root, and stops it when the
// test ends. A free port can be taken between choosing and binding it,
// so a start that fails is tried again on another port.
func startUnbound(t *testing.T, bin string, srv, root *dnstest.Server) *unbound {
	t.Helper()
	var lastErr error
	for try := range 5 {
		dir := t.TempDir()
		port, err := unboundPort()
		if err != nil {
			t.Fatal(err)
		}
		u, err := launchUnbound(t, bin, dir, port, srv.Addr(), root.Addr())
		if err == nil {
			return u
		}
		lastErr = err
		t.Logf("unbound start %d on port %d: %v", try+1, port, err)
	}
	t.Fatalf("unbound did not start: %v", lastErr)
	return nil
}

// unboundPort returns a port that was free on 127.0.0.1 for both UDP and
// TCP a moment ago.
func unboundPort() (int, error) {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no port free for both UDP and TCP on 127.0.0.1")
}

func launchUnbound(t *testing.T, bin, dir string, port int, stub, root string) (*unbound, error) {
	t.Helper()
	conf := strings.NewReplacer("{{port}}", strconv.Itoa(port), "{{dir}}", dir).Replace(unboundConf)
	stubAddr := strings.Replace(stub, ":", "@", 1) // unbound writes IP@port
	for _, z := range unboundZones {
		conf += fmt.Sprintf("stub-zone:\n\tname: %q\n\tstub-addr: %s\n\tstub-first: no\n", z, stubAddr)
	}
	conf += fmt.Sprintf("stub-zone:\n\tname: \".\"\n\tstub-addr: %s\n", strings.Replace(root, ":", "@", 1))
	confPath := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// A configuration error is a bug in this test, not a busy port: say
	// so at once, with unbound's own words.
	check := filepath.Join(filepath.Dir(bin), "unbound-checkconf")
	if _, err := os.Stat(check); err == nil {
		if out, err := exec.Command(check, confPath).CombinedOutput(); err != nil {
			t.Fatalf("unbound-checkconf: %v\n%s\n--- %s ---\n%s", err, out, confPath, conf)
		}
	}

	logf := filepath.Join(dir, "unbound.log")
	lf, err := os.Create(logf)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close() // the child has its own descriptor
	cmd := exec.Command(bin, "-d", "-c", confPath)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start unbound: %v", err)
	}
	u := &unbound{
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		logf:   logf,
		cmd:    cmd,
		exited: make(chan struct{}),
	}
	go func() {
		_ = cmd.Wait() // the exit status is in cmd.ProcessState
		close(u.exited)
	}()
	t.Cleanup(u.stop)
	if err := u.waitReady(30 * time.Second); err != nil {
		u.stop()
		return nil, fmt.Errorf("%w\n--- unbound log ---\n%s", err, u.log())
	}
	return u, nil
}

// stop ends unbound by its PID: SIGTERM, then SIGKILL if it lingers.
func (u *unbound) stop() {
	select {
	case <-u.exited:
		return
	default:
	}
	_ = u.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-u.exited:
	case <-time.After(10 * time.Second):
		_ = u.cmd.Process.Kill()
		<-u.exited
	}
}

// waitReady polls unbound with a query it answers from its own built-in
// localhost zone, so readiness needs no upstream.
func (u *unbound) waitReady(limit time.Duration) error {
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	m := new(dns.Msg).SetQuestion("localhost.", dns.TypeA)
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-u.exited:
			return fmt.Errorf("unbound exited at start: %v", u.cmd.ProcessState)
		default:
		}
		if _, _, err := c.Exchange(m, u.addr); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("unbound on %s did not answer within %v", u.addr, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// unboundRow is one row of the per-domain CSV output.
type unboundRow struct {
	status, reason, mx, implicit, resolver string
}

// readUnboundRows reads the per-domain CSV output into rows by domain.
func readUnboundRows(t *testing.T, path string) map[string]unboundRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s: empty", path)
	}
	col := make(map[string]int)
	for i, name := range recs[0] {
		col[name] = i
	}
	for _, name := range []string{"domain", "status", "reason", "primary_mx", "backup_mx", "implicit_mx", "resolver"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("%s: no %q column in header %q", path, name, recs[0])
		}
	}
	rows := make(map[string]unboundRow)
	for _, r := range recs[1:] {
		rows[r[col["domain"]]] = unboundRow{
			status:   r[col["status"]],
			reason:   r[col["reason"]],
			mx:       strings.Trim(r[col["primary_mx"]]+"; "+r[col["backup_mx"]], "; "),
			implicit: r[col["implicit_mx"]],
			resolver: r[col["resolver"]],
		}
	}
	return rows
}

// unboundCase is what one domain of the demo list must come to through
// unbound. exchanges is the number of MX hosts in the output, checked
// when above 0.
type unboundCase struct {
	domain    string
	want      verify.Status
	implicit  bool
	exchanges int
}

// unboundCases follow the comments of testdata/zones/demo.zone and
// cases.zone, with the resolver's view where it differs from the
// authoritative server's.
var unboundCases = []unboundCase{
	{domain: "mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "shop.mxdemo.net", want: verify.Deliverable, exchanges: 3},
	{domain: "acme.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "globex.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "initech.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "v6only.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "nullmx.mxdemo.net", want: verify.NullMX},
	{domain: "nullmix.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "cnamemx.mxdemo.net", want: verify.CNAMEMisconfigured, exchanges: 1},
	{domain: "implicit.mxdemo.net", want: verify.NoMX, implicit: true},
	{domain: "nomail.mxdemo.net", want: verify.NoMX},
	{domain: "hosting.mxdemo.net", want: verify.NoMX},
	// The domain is an alias: unbound returns the CNAME and shop's MX
	// in one answer.
	{domain: "alias.mxdemo.net", want: verify.Deliverable, exchanges: 3},
	{domain: "dangling.mxdemo.net", want: verify.DanglingMX, exchanges: 1},
	{domain: "loopback.mxdemo.net", want: verify.DanglingMX, exchanges: 1},
	{domain: "private.mxdemo.net", want: verify.DanglingMX, exchanges: 1},
	{domain: "ipmx.mxdemo.net", want: verify.DanglingMX, exchanges: 1},
	// A CNAME loop: unbound gives up on it with SERVFAIL. Whatever it
	// does, a loop must never read as nxdomain, no_mx or dangling_mx.
	{domain: "loop.mxdemo.net", want: verify.TempError},
	// RFC 6604: the rcode is that of the chain's end.
	{domain: "broken.mxdemo.net", want: verify.NXDomain},
	{domain: "missing.mxdemo.net", want: verify.NXDomain},
	// 40 MX: unbound's answer exceeds the 1232 bytes it sends over UDP,
	// so it answers TC=1 and mxverify must ask again over TCP; without
	// that the domain would come out no_mx or temp_error.
	{domain: "big.mxdemo.net", want: verify.Deliverable, exchanges: 40},
	{domain: "servfail.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "refused.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "slow.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	{domain: "flaky.mxdemo.net", want: verify.Deliverable, exchanges: 1},
	// A CNAME into the other zone: dnstest puts the whole chain in one
	// answer, unbound scrubs the out-of-zone part and asks for it itself.
	{domain: "crosszone.mxcases.org", want: verify.Deliverable, exchanges: 3},
	{domain: "shared.mxcases.org", want: verify.Deliverable, exchanges: 1},
	{domain: "anything.wild.mxcases.org", want: verify.Deliverable, exchanges: 1},
	{domain: "selfmx.mxcases.org", want: verify.Deliverable, exchanges: 1},
}

// runThroughUnbound verifies the demo list through u and returns the
// per-domain rows.
func runThroughUnbound(t *testing.T, u *unbound) map[string]unboundRow {
	t.Helper()
	dir := t.TempDir()
	r := mxverify(t, dir, "", "run", testdataPath(t, "demo/list.csv"),
		"--resolver", u.addr,
		"--timeout", "5s",
		"--domains", filepath.Join(dir, "d.csv"),
		"-o", filepath.Join(dir, "a.csv"),
		"--summary", filepath.Join(dir, "s.json"),
		"--progress", "never",
		"--max-temp-errors", "1")
	if r.code != exitOK {
		t.Fatalf("exit %d, want %d\nstderr:\n%s\n--- unbound log ---\n%s", r.code, exitOK, r.stderr, u.log())
	}
	var sum struct {
		Domains    int64 `json:"domains"`
		ExitStatus int   `json:"exit_status"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "s.json"))), &sum); err != nil {
		t.Fatalf("summary: %v", err)
	}
	rows := readUnboundRows(t, filepath.Join(dir, "d.csv"))
	if sum.ExitStatus != exitOK || int(sum.Domains) != len(rows) {
		t.Errorf("summary says exit %d and %d domains; want exit 0 and the %d domains of d.csv", sum.ExitStatus, sum.Domains, len(rows))
	}
	return rows
}

// checkUnboundCase compares one domain's row with what it should be.
func checkUnboundCase(t *testing.T, u *unbound, rows map[string]unboundRow, c unboundCase) {
	t.Helper()
	row, ok := rows[c.domain]
	if !ok {
		t.Errorf("%s: not in the per-domain output", c.domain)
		return
	}
	if row.status != string(c.want) {
		t.Errorf("%s: status %s (%s), want %s", c.domain, row.status, row.reason, c.want)
	}
	if got := row.implicit == "true"; got != c.implicit {
		t.Errorf("%s: implicit_mx %s, want %t", c.domain, row.implicit, c.implicit)
	}
	if c.exchanges > 0 {
		if n := len(strings.Split(row.mx, ";")); row.mx == "" || n != c.exchanges {
			t.Errorf("%s: %d exchanges in %q, want %d", c.domain, n, row.mx, c.exchanges)
		}
	}
	// The answers came from unbound, not from the zone server directly.
	if row.resolver != u.addr {
		t.Errorf("%s: resolver %q, want unbound at %s", c.domain, row.resolver, u.addr)
	}
}

func TestThroughUnbound(t *testing.T) {
	bin := unboundPath(t)

	t.Run("demo", func(t *testing.T) {
		srv := demoServer(t)
		root := dnstest.NewFromText(t, rootZone)
		u := startUnbound(t, bin, srv, root)
		rows := runThroughUnbound(t, u)
		for _, c := range unboundCases {
			checkUnboundCase(t, u, rows, c)
		}
		if row := rows["loop.mxdemo.net"]; row.status == string(verify.NXDomain) ||
			row.status == string(verify.NoMX) || row.status == string(verify.DanglingMX) {
			t.Errorf("loop.mxdemo.net: a CNAME loop came out %s", row.status)
		}
		// unbound fetched the 40 MX from the zone server over TCP too:
		// the server cuts UDP answers at 1232 bytes.
		if n := srv.QueriesTCP("big.mxdemo.net.", dns.TypeMX); n == 0 {
			t.Errorf("the zone server saw no TCP query for big.mxdemo.net MX")
		}
		// Every name asked for is under a stub zone, so the stand-in root
		// must not have been asked anything.
		if n := root.Total(); n != 0 {
			t.Errorf("the root stand-in got %d queries, want 0: unbound left the stub zones", n)
		}
		// And a name outside them does reach the stand-in, not the
		// internet: the guard above is not vacuous.
		const outside = "no-such-tld-mxverify."
		m := new(dns.Msg).SetQuestion(outside, dns.TypeA)
		resp, _, err := (&dns.Client{Timeout: 10 * time.Second}).Exchange(m, u.addr)
		switch {
		case err != nil:
			t.Errorf("ask unbound for %s: %v", outside, err)
		case resp.Rcode != dns.RcodeNameError || root.Queries(outside, dns.TypeA) == 0:
			t.Errorf("%s: rcode %s after %d queries at the root stand-in; want NXDOMAIN from it",
				outside, dns.RcodeToString[resp.Rcode], root.Queries(outside, dns.TypeA))
		}
		if t.Failed() {
			t.Logf("--- unbound log ---\n%s", u.log())
		}
	})

	// A SERVFAIL from the authoritative server comes back from unbound as
	// SERVFAIL, which is temp_error: never a verdict on the domain. The
	// other domains are unaffected.
	t.Run("servfail", func(t *testing.T) {
		srv := demoServer(t)
		srv.ServFail("servfail.mxdemo.net")
		root := dnstest.NewFromText(t, rootZone)
		u := startUnbound(t, bin, srv, root)
		rows := runThroughUnbound(t, u)
		for _, c := range unboundCases {
			if c.domain == "servfail.mxdemo.net" {
				c = unboundCase{domain: c.domain, want: verify.TempError}
			}
			checkUnboundCase(t, u, rows, c)
		}
		if n := srv.Queries("servfail.mxdemo.net.", dns.TypeMX); n == 0 {
			t.Errorf("unbound never asked the zone server for servfail.mxdemo.net MX")
		}
		if t.Failed() {
			t.Logf("--- unbound log ---\n%s", u.log())
		}
	})
}
