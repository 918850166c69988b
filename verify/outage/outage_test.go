package outage_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/verify/dnsclient"
	"github.com/mxverify/mxverify/verify/outage"
)

var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

// burst is n outcomes of one server, spread evenly over [at, at+over).
type burst struct {
	at, over time.Duration
	server   int
	o        dnsclient.Outcome
	n        int
}

const (
	ok      = dnsclient.Answered
	refused = dnsclient.ConnRefused
	silent  = dnsclient.TimedOut
)

func TestDetector(t *testing.T) {
	one := []string{"127.0.0.1:5399"}
	two := []string{"127.0.0.1:5399", "[::1]:53"}
	tests := []struct {
		name    string
		servers []string
		bursts  []burst
		want    string // the outage, as a regular expression; "" for none
	}{
		{"closed port", one, []burst{{0, time.Second, 0, refused, 300}},
			"resolver outage: the resolvers answered none of the first 200 queries: 127.0.0.1:5399: connection refused (ICMP port unreachable) for 200 of 200 queries"},
		{"silent resolver, slow rate", one, []burst{{0, 40 * time.Second, 0, silent, 250}},
			"resolver outage: the resolvers answered none of the first 200 queries: 127.0.0.1:5399: no answer within the timeout for 200 of 200 queries"},
		{"short run, nothing answered", one, []burst{{0, time.Second, 0, silent, 37}},
			"resolver outage: the resolvers answered none of the run's 37 queries: 127.0.0.1:5399: no answer within the timeout for 37 of 37 queries"},
		{"two resolvers", two, []burst{{0, time.Second, 0, refused, 100}, {0, time.Second, 1, silent, 100}},
			"resolver outage: the resolvers answered none of the first 200 queries: 127.0.0.1:5399: connection refused (ICMP port unreachable) for 100 of 100 queries; [::1]:53: no answer within the timeout for 100 of 100 queries"},
		{"one answer among the first 200", one, []burst{{0, 0, 0, ok, 1}, {0, time.Second, 0, refused, 199}},
			"resolver outage: the resolvers answered 1 of 200 queries (0.5%, under 5.0%) in the last 10s: 127.0.0.1:5399: answered 1, connection refused (ICMP port unreachable) for 199 of 200 queries"},
		{"dies mid-run", two, []burst{
			{0, 60 * time.Second, 0, ok, 6000}, {0, 60 * time.Second, 1, ok, 6000},
			{60 * time.Second, 15 * time.Second, 0, silent, 225}, {60 * time.Second, 15 * time.Second, 1, refused, 225}},
			`^resolver outage: the resolvers answered 0 of (\d+) queries \(0\.0%, under 5\.0%\) in the last 10s: 127\.0\.0\.1:5399: no answer within the timeout for \d+ of \d+ queries; \[::1\]:53: connection refused \(ICMP port unreachable\) for \d+ of \d+ queries$`},
		{"healthy", two, []burst{{0, 100 * time.Second, 0, ok, 10000}, {0, 100 * time.Second, 1, ok, 10000}}, ""},
		{"a few bad domains at the end", one, []burst{
			{0, 100 * time.Second, 0, ok, 5000}, {100 * time.Second, 20 * time.Second, 0, silent, 150}}, ""},
		{"many bad domains among good ones", one, []burst{
			{0, 10 * time.Second, 0, ok, 1000}, {0, 10 * time.Second, 0, silent, 900}}, ""},
		{"exactly the rate", one, []burst{{0, 5 * time.Second, 0, ok, 10}, {5 * time.Second, time.Second, 0, silent, 190}}, ""},
		{"failures spread wider than the window", one, []burst{
			{0, 0, 0, ok, 1}, {0, 100 * time.Second, 0, silent, 1000}}, ""},
		{"an outage the window sees once it slides", one, []burst{
			{0, 5 * time.Second, 0, ok, 500}, {5 * time.Second, 15 * time.Second, 0, silent, 600}},
			`^resolver outage: the resolvers answered 0 of (\d+) queries \(0\.0%, under 5\.0%\) in the last 10s: 127\.0\.0\.1:5399: no answer within the timeout for \d+ of \d+ queries$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			var fired []*outage.Error
			d := outage.New(outage.Config{Servers: tt.servers, Now: func() time.Time { return now },
				OnOutage: func(e *outage.Error) { fired = append(fired, e) }})
			// The bursts interleaved by time, as the queries would end.
			type ev struct {
				at time.Duration
				b  burst
			}
			var evs []ev
			for _, b := range tt.bursts {
				for i := range b.n {
					evs = append(evs, ev{b.at + time.Duration(i)*b.over/time.Duration(b.n), b})
				}
			}
			for i := 1; i < len(evs); i++ { // insertion sort: stable, and the lists are short
				for j := i; j > 0 && evs[j].at < evs[j-1].at; j-- {
					evs[j], evs[j-1] = evs[j-1], evs[j]
				}
			}
			for _, e := range evs {
				now = t0.Add(e.at)
				d.Observe(e.b.server, e.b.o)
			}
			fin := d.Finish()
			got := ""
			if fin != nil {
				got = fin.Error()
			}
			if want := tt.want; want != "" && !strings.HasPrefix(want, "^") {
				tt.want = "^" + regexp.QuoteMeta(want) + "$"
			}
			if tt.want == "" && got != "" || tt.want != "" && !regexp.MustCompile(tt.want).MatchString(got) {
				t.Errorf("outage\n%q\nwant\n%q", got, tt.want)
			}
			if len(fired) > 1 {
				t.Errorf("OnOutage called %d times", len(fired))
			}
			if len(fired) == 1 && fired[0] != fin {
				t.Errorf("Finish gave %v, OnOutage %v", fin, fired[0])
			}
		})
	}
}

// A run that sent nothing (every domain cached) is no outage.
func TestNothingSent(t *testing.T) {
	d := outage.New(outage.Config{Servers: []string{"127.0.0.1:53"}})
	if err := d.Finish(); err != nil {
		t.Errorf("outage %v", err)
	}
}

func BenchmarkObserve(b *testing.B) {
	d := outage.New(outage.Config{Servers: []string{"127.0.0.1:53", "127.0.0.1:54"}})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d.Observe(i&1, dnsclient.Answered)
			i++
		}
	})
}
