package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mxverify/mxverify/report/reporttest"
	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the pages written now")

// render writes d's page and parses it back.
func render(t *testing.T, d *Data) (string, *reporttest.Page) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
	p, err := reporttest.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), p
}

func TestPageData(t *testing.T) {
	cases := []struct {
		name   string
		data   func() *Data
		charts []string // figure ids holding an svg
		absent []string // ids the page must not have
	}{
		{"sample", sample, []string{"chart-actions", "chart-statuses", "chart-trend"}, []string{"since-none", "top-none"}},
		{"first-run-without-cache", func() *Data {
			d := sample()
			d.Cached, d.Changes, d.Trend, d.CacheHits = false, nil, nil, 0
			return d
		}, []string{"chart-actions", "chart-statuses"}, []string{"changes", "trend", "chart-trend"}},
		{"empty", func() *Data {
			return &Data{Version: "dev", Cached: true, Trend: []Run{{}}}
		}, []string{"chart-actions", "chart-statuses", "chart-trend"}, []string{"top", "suggestions", "changes"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, p := render(t, c.data())
			if m := reporttest.ExternalRef.FindString(page); m != "" {
				t.Errorf("page refers outside itself: %q", m)
			}
			if n := reporttest.Count(p.Doc, "script"); n != 0 {
				t.Errorf("%d script elements", n)
			}
			for _, id := range c.charts {
				fig := p.ByID(id)
				if fig == nil || reporttest.Count(fig, "svg") != 1 || reporttest.Count(fig, "path") == 0 {
					t.Errorf("figure %s: no chart drawn", id)
				}
			}
			for _, id := range c.absent {
				if p.ByID(id) != nil {
					t.Errorf("page has #%s", id)
				}
			}
			got := p.Tables
			path := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				b, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			var want map[string][]string
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			for id, rows := range want {
				if g, w := strings.Join(got[id], "\n"), strings.Join(rows, "\n"); g != w {
					t.Errorf("table %s:\n got %s\nwant %s", id, g, w)
				}
			}
			for id := range got {
				if _, ok := want[id]; !ok {
					t.Errorf("table %s is not in %s", id, path)
				}
			}
		})
	}
}

// TestHostileValues: names from the list and from the internet are shown
// as text, whatever they hold, and the page keeps its shape.
func TestHostileValues(t *testing.T) {
	long := strings.Repeat("a", 10000)
	hostile := []string{
		`<script>alert("x")</script>`,
		`"><img src=x onerror=alert(1)>`,
		`' onmouseover='alert(1)`,
		`</td></tr></table><h1>owned</h1>`,
		long,
	}
	for _, h := range hostile {
		d := sample()
		d.Inputs = []string{h}
		d.Resolvers = []string{h}
		d.Version = h
		d.Top = []Domain{{Name: h, Rows: 7, Status: verify.Status(h), Action: triage.Action(h), Reason: h, MailHosts: []string{h, h}}}
		d.Suggestions = []Suggestion{{Domain: h, Meant: h, Rows: 3}}
		d.Changes = []Change{{Old: verify.Status(h), New: verify.Status(h), Domains: 1, Rows: 2, Examples: []Example{{Domain: h, Rows: 2}}}}
		page, p := render(t, d)
		name := h
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		if n := reporttest.Count(p.Doc, "script"); n != 0 {
			t.Errorf("%q: %d script elements", name, n)
		}
		if n := reporttest.Count(p.Doc, "img"); n != 0 {
			t.Errorf("%q: %d img elements", name, n)
		}
		if reporttest.Count(p.Doc, "h1") != 1 {
			t.Errorf("%q: %d h1 elements", name, reporttest.Count(p.Doc, "h1"))
		}
		if strings.Contains(page, "onerror=") && !strings.Contains(page, "onerror=alert(1)&gt;") {
			t.Errorf("%q: an attribute came through unescaped", name)
		}
		// Each value comes back whole, as the text of its cell.
		for id, want := range map[string]string{
			"top":         strings.Join([]string{h, "7", h, h, h, h + " " + h}, " | "),
			"suggestions": strings.Join([]string{h, h, "3"}, " | "),
			"changes":     strings.Join([]string{h, h, "1", "2", h + " (2)"}, " | "),
		} {
			rows := p.Tables[id]
			if len(rows) != 2 || rows[1] != want {
				t.Errorf("%q: table %s = %.80q", name, id, rows)
			}
		}
		for n := range p.Doc.Descendants() {
			if n.Type == html.ElementNode && n.Data == "span" && strings.HasPrefix(reporttest.Attr(n, "class"), "tag ") {
				if c := reporttest.Attr(n, "class"); c != "tag other" {
					t.Errorf("%q: action tag class %q", name, c)
				}
			}
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-1234, "-1,234"}, {100000, "100,000"}} {
		if got := Count(c.n); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		part, whole int64
		want        string
	}{{42, 1000, "4.2%"}, {0, 10, "0.0%"}, {1, 1000000, "<0.1%"}, {1, 3, "33.3%"}, {10, 10, "100.0%"}, {5, 0, "–"}, {499, 1000000, "<0.1%"}, {500, 1000000, "0.1%"}} {
		if got := Percent(c.part, c.whole); got != c.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", c.part, c.whole, got, c.want)
		}
	}
}

func TestElapsed(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want string
	}{{0.85, "850 ms"}, {4.21, "4.2 s"}, {192, "3 min 12 s"}, {7500, "2 h 5 min"}} {
		if got := Elapsed(c.s); got != c.want {
			t.Errorf("Elapsed(%v) = %q, want %q", c.s, got, c.want)
		}
	}
}

// TestReasonPlainWords: the reasons speak to a list owner: no record
// types, no RFC numbers, no protocol words.
func TestReasonPlainWords(t *testing.T) {
	jargon := regexp.MustCompile(`(?i)\b(rfc|mx|dns|nxdomain|cname|servfail|ttl|smtp|record|a-label|[0-9]+)\b`)
	seen := make(map[string]verify.Status)
	for _, st := range append(verify.Statuses[:], "some_new_status") {
		for _, implicit := range []bool{false, true} {
			r := Reason(st, implicit)
			if r == "" || jargon.MatchString(r) {
				t.Errorf("Reason(%s, %v) = %q", st, implicit, r)
			}
			if prev, ok := seen[r]; ok && prev != st && !(st == verify.NoMX || prev == verify.NoMX) {
				t.Errorf("%s and %s share the reason %q", prev, st, r)
			}
			seen[r] = st
		}
	}
	if Reason(verify.NoMX, true) == Reason(verify.NoMX, false) {
		t.Error("no_mx reads the same whether or not the domain takes mail itself")
	}
}

func TestExitMeaning(t *testing.T) {
	for code, want := range map[int]string{0: "0: done", 2: "2: done", 7: "7"} {
		if got := ExitMeaning(code); !strings.HasPrefix(got, want) {
			t.Errorf("ExitMeaning(%d) = %q", code, got)
		}
	}
}
