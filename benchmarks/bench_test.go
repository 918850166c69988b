// Package benchmarks holds the end-to-end harness (bench.sh, the mxgen
// generator, the delaying proxy) and Go benchmarks that need no external
// server: they run against verify/dnstest on loopback.
package benchmarks

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxverify/mxverify/verify"
	"github.com/mxverify/mxverify/verify/dnsclient"
	"github.com/mxverify/mxverify/verify/dnstest"
	"github.com/mxverify/mxverify/verify/outage"
)

// zone has n domains: most on a few shared provider hosts, every tenth
// with a primary and a backup of its own, every twentieth without MX.
func zone(n int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN gobench.net.\n$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n")
	for p := range 4 {
		fmt.Fprintf(&b, "mx%d.provider IN A 192.0.2.%d\nmx%d.provider IN AAAA 2001:db8::%d\n", p, p+1, p, p+1)
	}
	for i := range n {
		switch {
		case i%20 == 0:
			fmt.Fprintf(&b, "d%d IN A 198.51.100.%d\n", i, i%250+1)
		case i%10 == 0:
			fmt.Fprintf(&b, "d%d IN MX 10 mx.d%d.gobench.net.\nd%d IN MX 20 backup.d%d.gobench.net.\n", i, i, i, i)
			fmt.Fprintf(&b, "mx.d%d IN A 203.0.113.%d\nbackup.d%d IN A 203.0.113.%d\n", i, i%250+1, i, i%250+2)
		default:
			fmt.Fprintf(&b, "d%d IN MX 10 mx%d.provider.gobench.net.\n", i, i%4)
		}
	}
	return b.String()
}

// BenchmarkVerify resolves and classifies domains through the real client
// against an in-process server: the cost per domain of the engine, with
// the server sharing the machine. It reports domains/s and queries/domain.
func BenchmarkVerify(b *testing.B) { verifyBench(b, nil) }

// BenchmarkVerifyWatched is BenchmarkVerify with the outage detector
// hearing every query, as mxverify runs: the detector's cost on the hot
// path.
func BenchmarkVerifyWatched(b *testing.B) {
	verifyBench(b, func(servers []string) func(int, dnsclient.Outcome) {
		return outage.New(outage.Config{Servers: servers}).Observe
	})
}

func verifyBench(b *testing.B, observer func(servers []string) func(int, dnsclient.Outcome)) {
	const n = 5000
	srv := dnstest.NewFromText(b, zone(n))
	b.ReportAllocs()
	var queries int64
	var domains int
	for b.Loop() {
		cfg := verify.ClientConfig{Servers: []string{srv.Addr()}, Timeout: 2 * time.Second, Retries: 2, MaxInFlight: 256}
		if observer != nil {
			cfg.Observe = observer(cfg.Servers)
		}
		r, err := verify.New(verify.Config{ClientConfig: cfg})
		if err != nil {
			b.Fatal(err)
		}
		work := make(chan int)
		var wg sync.WaitGroup
		for range 256 {
			wg.Go(func() {
				for i := range work {
					if res := r.Verify(context.Background(), fmt.Sprintf("d%d.gobench.net", i)); res.Status == verify.TempError {
						b.Errorf("d%d: %s", i, res.Reason)
					}
				}
			})
		}
		for i := range n {
			work <- i
		}
		close(work)
		wg.Wait()
		queries += r.Stats().Queries
		domains += n
		r.Close()
	}
	b.ReportMetric(float64(domains)/b.Elapsed().Seconds(), "domains/s")
	b.ReportMetric(float64(queries)/float64(domains), "queries/domain")
}
