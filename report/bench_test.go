package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

// BenchmarkWrite is the page of a night's run: what --report adds at the
// end of a run, charts included.
func BenchmarkWrite(b *testing.B) {
	d := sample()
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCollectorDomain is the cost per domain of picking the leaders,
// with every tenth domain one to suppress.
func BenchmarkCollectorDomain(b *testing.B) {
	res := make([]verify.Result, 1000)
	for i := range res {
		res[i] = verify.Result{Domain: fmt.Sprintf("d%d.test", i), Status: verify.Deliverable}
		if i%10 == 0 {
			res[i].Status = verify.NXDomain
		}
	}
	c := NewCollector()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Domain(res[i%len(res)], int64(i%97), "")
		i++
	}
}
