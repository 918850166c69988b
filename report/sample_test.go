package report

import (
	"time"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// sample is a page's data as a night's run over a large list would give
// it, with a trend of 30 runs and a cache.
func sample() *Data {
	finished := time.Date(2026, 3, 14, 2, 17, 0, 0, time.UTC)
	d := &Data{
		Version: "v1.2.3", Finished: finished,
		Inputs: []string{"customers.csv", "newsletter.csv.gz"}, Resolvers: []string{"127.0.0.1:5353", "[::1]:5353"},
		ExitStatus: 2, Rows: 1234567, InvalidRows: 2345, Domains: 98765, ElapsedSeconds: 754.2,
		Queries: 301234, Retries: 4567, CacheHits: 81234,
		RowsByAction: map[triage.Action]int64{triage.Send: 1180000, triage.Suppress: 51000, triage.Retry: 3567},
		RowsByStatus: map[verify.Status]int64{
			verify.Deliverable: 1170000, verify.NullMX: 1200, verify.CNAMEMisconfigured: 8000, verify.NoMX: 12000,
			verify.NXDomain: 30000, verify.DanglingMX: 5455, verify.TempError: 3567, verify.Invalid: 2345,
		},
		DomainsByStatus: map[verify.Status]int64{
			verify.Deliverable: 80000, verify.NullMX: 300, verify.CNAMEMisconfigured: 700, verify.NoMX: 4000,
			verify.NXDomain: 11000, verify.DanglingMX: 1200, verify.TempError: 265, verify.Invalid: 1300,
		},
		SuggestionRows: 4321, RoleRows: 23456, FreeRows: 654321, DisposableRows: 3456, DuplicateRows: 789,
		Cached: true,
	}
	c := NewCollector()
	mx := func(hosts ...string) []verify.Exchange {
		var out []verify.Exchange
		for _, h := range hosts {
			out = append(out, verify.Exchange{Host: h})
		}
		return out
	}
	c.Domain(verify.Result{Domain: "gmail.com", Status: verify.Deliverable, MX: mx("gmail-smtp-in.l.google.com")}, 300000, "")
	c.Domain(verify.Result{Domain: "gmial.com", Status: verify.NXDomain}, 1200, "gmail.com")
	c.Domain(verify.Result{Domain: "hotmial.com", Status: verify.NXDomain}, 800, "hotmail.com")
	c.Domain(verify.Result{Domain: "oldcorp.example.net", Status: verify.NullMX}, 950, "")
	c.Domain(verify.Result{Domain: "broken-mx.net", Status: verify.DanglingMX, MX: mx("mx1.broken-mx.net", "mx2.broken-mx.net")}, 640, "")
	c.Domain(verify.Result{Domain: "slowdns.org", Status: verify.TempError}, 2100, "")
	c.Domain(verify.Result{Domain: "nomail.io", Status: verify.NoMX}, 410, "")
	c.Domain(verify.Result{Domain: "selfmail.io", Status: verify.NoMX, ImplicitMX: true}, 5000, "")
	c.Change(verify.Result{Status: verify.Deliverable}, verify.Result{Domain: "broken-mx.net", Status: verify.DanglingMX}, 640)
	c.Change(verify.Result{Status: verify.Deliverable}, verify.Result{Domain: "slowdns.org", Status: verify.TempError}, 2100)
	c.Change(verify.Result{Status: verify.NXDomain}, verify.Result{Domain: "revived.com", Status: verify.Deliverable}, 30)
	c.Change(verify.Result{Status: verify.Deliverable}, verify.Result{Domain: "dead.com", Status: verify.DanglingMX}, 12)
	c.Fill(d)
	for i := range 30 {
		at := finished.AddDate(0, 0, i-29)
		rows := int64(1200000 + 1200*i)
		sup := int64(45000 + 200*i)
		ret := int64(1000 + (i%7)*300)
		if i == 29 {
			rows, sup, ret = d.Rows, d.RowsByAction[triage.Suppress], d.RowsByAction[triage.Retry]
		}
		d.Trend = append(d.Trend, Run{Finished: at, Rows: rows, ExitStatus: 0,
			RowsByAction: map[triage.Action]int64{triage.Send: rows - sup - ret, triage.Suppress: sup, triage.Retry: ret}})
	}
	d.Trend[29] = d.Run()
	return d
}
