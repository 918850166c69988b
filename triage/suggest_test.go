package triage

import (
	"cmp"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

// world is what a test run knows: verdicts by domain and rows by domain.
type world struct {
	results map[string]verify.Result
	rows    map[string]int
}

func (w world) Result(d string) (verify.Result, bool) { r, ok := w.results[d]; return r, ok }
func (w world) Rows(d string) int                     { return w.rows[d] }

// newWorld reads "domain=status" pairs; the status "implicit" is no_mx
// with implicit MX, and every provider is deliverable unless given.
func newWorld(pairs ...string) world {
	w := world{results: make(map[string]verify.Result), rows: make(map[string]int)}
	for _, p := range providers().names {
		w.results[p] = verify.Result{Domain: p, Status: verify.Deliverable}
	}
	for _, p := range pairs {
		d, st, _ := strings.Cut(p, "=")
		res := verify.Result{Domain: d, Status: verify.Status(st)}
		if st == "implicit" {
			res.Status, res.ImplicitMX = verify.NoMX, true
		}
		if st == "unknown" {
			delete(w.results, d)
			continue
		}
		w.results[d] = res
	}
	return w
}

func TestEligible(t *testing.T) {
	for _, tt := range []struct {
		res  verify.Result
		want bool
	}{
		{verify.Result{Status: verify.NXDomain}, true},
		{verify.Result{Status: verify.DanglingMX}, true},
		{verify.Result{Status: verify.NoMX}, true},
		{verify.Result{Status: verify.NoMX, ImplicitMX: true}, false},
		{verify.Result{Status: verify.Deliverable}, false},
		{verify.Result{Status: verify.NullMX}, false},
		{verify.Result{Status: verify.CNAMEMisconfigured}, false},
		{verify.Result{Status: verify.TempError}, false},
		{verify.Result{Status: verify.Invalid}, false},
		{verify.Result{}, false},
	} {
		if got := Eligible(tt.res); got != tt.want {
			t.Errorf("Eligible(%s, implicit %v) = %v", tt.res.Status, tt.res.ImplicitMX, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	s := NewSuggester()
	tests := []struct {
		name   string
		domain string
		world  world
		want   string
	}{
		// The cases: typos of big providers whose candidate is
		// deliverable in this run...
		{"gmial", "gmial.com", newWorld("gmial.com=nxdomain"), "gmail.com"},
		{"gmail.con", "gmail.con", newWorld("gmail.con=nxdomain"), "gmail.com"},
		{"hotmial", "hotmial.com", newWorld("hotmial.com=nxdomain"), "hotmail.com"},
		{"outlok", "outlok.com", newWorld("outlok.com=nxdomain"), "outlook.com"},
		{"yaho", "yaho.com", newWorld("yaho.com=nxdomain"), "yahoo.com"},
		// ...and not when it is not.
		{"gmial, gmail down", "gmial.com", newWorld("gmial.com=nxdomain", "gmail.com=temp_error"), ""},
		{"gmail.con, gmail unknown", "gmail.con", newWorld("gmail.con=nxdomain", "gmail.com=unknown"), ""},
		{"hotmial, hotmail no mail", "hotmial.com", newWorld("hotmial.com=nxdomain", "hotmail.com=no_mx"), ""},
		{"outlok, outlook misconfigured", "outlok.com", newWorld("outlok.com=nxdomain", "outlook.com=cname_misconfigured"), ""},
		{"yaho, yahoo null", "yaho.com", newWorld("yaho.com=nxdomain", "yahoo.com=null_mx"), ""},
		// Real domains near big ones are deliverable: never a suggestion.
		{"gmail.hu", "gmail.hu", newWorld("gmail.hu=deliverable"), ""},
		{"gmx.de", "gmx.de", newWorld("gmx.de=deliverable"), ""},
		{"yahoo.co", "yahoo.co", newWorld("yahoo.co=deliverable"), ""},
		// A provider's own domain never gets one, even when it fails.
		{"gmx.de failing", "gmx.de", newWorld("gmx.de=nxdomain"), ""},

		// The row's verdict decides whether to look at all.
		{"no mail", "gmial.com", newWorld("gmial.com=no_mx"), "gmail.com"},
		{"dangling", "gmial.com", newWorld("gmial.com=dangling_mx"), "gmail.com"},
		{"implicit MX", "gmial.com", newWorld("gmial.com=implicit"), ""},
		{"deliverable", "gmial.com", newWorld("gmial.com=deliverable"), ""},
		{"null MX is deliberate", "gmial.com", newWorld("gmial.com=null_mx"), ""},
		{"temp error", "gmial.com", newWorld("gmial.com=temp_error"), ""},
		{"misconfigured", "gmial.com", newWorld("gmial.com=cname_misconfigured"), ""},
		{"not checked", "gmial.com", newWorld(), ""},
		{"upper case and a trailing dot", "GMIAL.com.", newWorld("gmial.com=nxdomain"), "gmail.com"},

		// Distance: one edit, two from 12 bytes, a slip at the end free.
		{"two edits, short", "gmial.con", newWorld("gmial.con=nxdomain"), "gmail.com"}, // the slip, then one
		{"a slip and a doubled letter", "gmaiil.cmo", newWorld("gmaiil.cmo=nxdomain"), "gmail.com"},
		{"three edits", "gnial.con", newWorld("gnial.con=nxdomain"), ""},
		{"two edits, long", "hotmial.co.ku", newWorld("hotmial.co.ku=nxdomain"), "hotmail.co.uk"},
		{"two edits, 11 bytes", "hotmial.con", newWorld("hotmial.con=nxdomain"), "hotmail.com"},
		{"a slip and two edits, 10 bytes", "hotmila.cm", newWorld("hotmila.cm=nxdomain"), ""},
		{"a slip and a transposition", "gmial.cpm", newWorld("gmial.cpm=nxdomain"), "gmail.com"},
		{"a slip and a substitution", "gmaol.vom", newWorld("gmaol.vom=nxdomain"), "gmail.com"},
		{"two substitutions, no slip", "gmaol.cxm", newWorld("gmaol.cxm=nxdomain"), ""},
		{"com.com", "gmail.com.com", newWorld("gmail.com.com=nxdomain"), "gmail.com"},

		// Ties: no suggestion.
		{"tie .fr .de", "hotmail.fe", newWorld("hotmail.fe=nxdomain"), ""},
		{"tie .com .co.uk", "hotmail.co", newWorld("hotmail.co=nxdomain"), ""},
		{"slip breaks a tie", "yahoo.cm", newWorld("yahoo.cm=nxdomain"), "yahoo.com"},
		{"no tie without .co.uk", "gmail.co", newWorld("gmail.co=nxdomain"), "gmail.com"},
		// A tie is a tie even if one side is not deliverable.
		{"tie with a dead candidate", "hotmail.fe", newWorld("hotmail.fe=nxdomain", "hotmail.de=nxdomain"), ""},

		// Invalid only because of the domain: repaired, then as above.
		{"comma", "gmail,com", newWorld(), "gmail.com"},
		{"double dot", "gmail..com", newWorld(), "gmail.com"},
		{"dots at the ends", ".gmail.com..", newWorld(), "gmail.com"},
		{"space", "gmail .com", newWorld(), "gmail.com"},
		{"no dot", "gmailcom", newWorld(), "gmail.com"},
		{"comma and typo", "gmial,com", newWorld("gmial.com=nxdomain"), "gmail.com"},
		{"comma, typo unchecked", "gmial,com", newWorld(), ""},
		{"comma, target down", "gmail,com", newWorld("gmail.com=temp_error"), ""},
		{"repair of a business", "acme-corp,com", newWorld("acme-corp.com=deliverable"), "acme-corp.com"},
		{"repair to a null MX", "acme-corp,com", newWorld("acme-corp.com=null_mx"), ""},
		{"repair unchecked", "acme-corp,com", newWorld(), ""},
		{"beyond repair", "@@@", newWorld(), ""},
		{"cleaned, then one edit", "gm@il,com", newWorld(), "gmail.com"},
		{"empty", "", newWorld(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Suggest(tt.domain, tt.world); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q (candidates %q)", tt.domain, got, tt.want, s.Candidates(strings.ToLower(tt.domain)))
			}
		})
	}
}

// The list's own domains: deliverable and at least MinRatio times as
// frequent.
func TestSuggestFromList(t *testing.T) {
	counts := map[string]int{
		"acme-corp.com":   500,
		"acme-crop.com":   1,
		"acme-corp.co":    10,
		"acme-carp.com":   11,
		"widgets.example": 49,
		"widgetz.example": 1,
		"gmail.com":       100_000, // a provider: already a candidate
		"smal-shop.com":   2,
		"small-shop.com":  99,
	}
	s := NewSuggester().WithList(maps.All(counts))
	w := newWorld("acme-corp.com=deliverable", "acme-crop.com=nxdomain", "acme-corp.co=nxdomain",
		"acme-carp.com=nxdomain", "widgets.example=deliverable", "widgetz.example=nxdomain",
		"smal-shop.com=nxdomain", "small-shop.com=deliverable")
	w.rows = counts
	for _, tt := range []struct {
		domain string
		want   string
	}{
		{"acme-crop.com", "acme-corp.com"}, // 500 rows against 1
		{"acme-corp.co", "acme-corp.com"},  // 500 against 10: exactly 50 times
		{"acme-carp.com", ""},              // 500 against 11: not 50 times
		{"ACME-Carp.com.", ""},             // counted under its A-label
		{"widgetz.example", ""},            // 49 rows: never a candidate
		{"smal-shop.com", ""},              // 99 against 2: not 50 times
		{"gmial.com", ""},                  // not checked in this world
	} {
		if got := s.Suggest(tt.domain, w); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.domain, got, tt.want)
		}
	}
	// The frequent domain must be deliverable.
	w.results["acme-corp.com"] = verify.Result{Status: verify.DanglingMX}
	if got := s.Suggest("acme-crop.com", w); got != "" {
		t.Errorf("a dangling candidate was suggested: %q", got)
	}
	// Without WithList the list's domains are no candidates.
	w.results["acme-corp.com"] = verify.Result{Status: verify.Deliverable}
	if got := NewSuggester().Suggest("acme-crop.com", w); got != "" {
		t.Errorf("suggested %q without the list", got)
	}
	// A list domain and a provider at the same distance tie.
	tie := NewSuggester().WithList(maps.All(map[string]int{"gmail.co": 1000}))
	wt := newWorld("gmail.co=deliverable", "gmaill.co=nxdomain")
	wt.rows = map[string]int{"gmail.co": 1000, "gmaill.co": 1}
	if got := tie.Suggest("gmaill.co", wt); got != "" {
		t.Errorf("a tie between the list and a provider gave %q", got)
	}
}

func TestCandidates(t *testing.T) {
	s := NewSuggester()
	for _, tt := range []struct {
		domain string
		want   []string // the first ones, in order
	}{
		{"gmial.com", []string{"gmail.com"}},
		{"yahoo.cm", []string{"yahoo.com", "yahoo.ca"}}, // the slip first, then by distance and name
		{"hotmail.co", []string{"hotmail.co.uk", "hotmail.com"}},
		{"gmailcom", []string{"gmail.com"}},
		{"example.org", nil},
	} {
		got := s.Candidates(tt.domain)
		if len(got) < len(tt.want) || !slices.Equal(got[:len(tt.want)], tt.want) {
			t.Errorf("Candidates(%q) = %q, want %q first", tt.domain, got, tt.want)
		}
	}
}

func TestNeeds(t *testing.T) {
	s := NewSuggester()
	for _, tt := range []struct {
		domain string
		want   []string
	}{
		{"gmial.com", []string{"gmail.com"}},
		{"gmail,com", []string{"gmail.com", "email.com", "mail.com", "ymail.com"}}, // the repair, then the providers near it
		{"gmial,com", []string{"gmial.com", "gmail.com"}},
		{"gmailcom", []string{"gmail.com"}},
		{"acme,com", []string{"acme.com"}},
		{"example.org", []string{}},
		{"", nil},
	} {
		got := s.Needs(tt.domain)
		if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("Needs(%q) = %q, want %q", tt.domain, got, tt.want)
		}
	}
}

func TestRepairDomain(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want string
		ok   bool
	}{
		{"gmail,com", "gmail.com", true},
		{"Gmail..COM", "gmail.com", true},
		{".gmail.com.", "gmail.com", true},
		{"gmail.com>", "gmail.com", true},
		{"(gmail.com)", "gmail.com", true},
		{"gmail . com", "gmail.com", true},
		{"g mail.com", "gmail.com", true},
		{"gmail,,com", "gmail.com", true},
		{"Bücher,de", "xn--bcher-kva.de", true},
		{"gmail.com", "gmail.com", true},
		{"gmailcom", "gmailcom", false},
		{"gm@il.com", "gm@il.com", false},
		{"...", "", false},
		{"", "", false},
	} {
		got, ok := RepairDomain(tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RepairDomain(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSuggestKey(t *testing.T) {
	for raw, want := range map[string]string{
		"anna@Gmial.com":  "gmial.com",
		"anna@gmail,com":  "gmail,com",
		"anna@gmailcom":   "gmailcom",
		"an na@gmail,com": "",
		"anna":            "",
		"":                "",
	} {
		a, _ := Parse(raw)
		if got := a.SuggestKey(); got != want {
			t.Errorf("Parse(%q).SuggestKey() = %q, want %q", raw, got, want)
		}
	}
}

func TestLimitFor(t *testing.T) {
	if limitFor("hotmail.com") != 1 || limitFor("hotmail.co.u") != 2 {
		t.Error("the limit is one edit below 12 bytes and two from 12")
	}
}

func TestSlipsTable(t *testing.T) {
	for _, sl := range slips {
		if !strings.HasPrefix(sl.typo, ".") || !strings.HasPrefix(sl.fix, ".") || sl.typo == sl.fix {
			t.Errorf("slip %q → %q: both must be endings starting with a dot", sl.typo, sl.fix)
		}
	}
}

func BenchmarkCandidates(b *testing.B) {
	s := NewSuggester()
	s.Candidates("warmup.com")
	b.ReportAllocs()
	for b.Loop() {
		s.Candidates("hotmial.co.uk")
	}
}

// BenchmarkSuggestList is Suggest for a typo with a list's 10,000
// frequent domains (random names) on top of the providers.
func BenchmarkSuggestList(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	counts := make(map[string]int)
	for len(counts) < 10_000 {
		name := make([]byte, 6+r.IntN(10))
		for i := range name {
			name[i] = byte('a' + r.IntN(26))
		}
		counts[string(name)+".com"] = 50 + r.IntN(5000)
	}
	// The same typo every run: the longest name, first by order.
	names := slices.SortedFunc(maps.Keys(counts), func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	typo := names[0][:2] + names[0][3:len(names[0])-1] + "n" // a letter left out and .con
	s := NewSuggester().WithList(maps.All(counts))
	w := newWorld(typo + "=nxdomain")
	w.rows = counts
	for d := range counts {
		w.results[d] = verify.Result{Status: verify.Deliverable}
	}
	if s.Suggest(typo, w) == "" {
		b.Fatalf("no suggestion for %s", typo)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Suggest(typo, w)
	}
}

// The shared tables are built once, whichever goroutine gets there first;
// run with -race.
func TestConcurrentUse(t *testing.T) {
	s := NewSuggester()
	d, err := LoadDisposable()
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld("gmial.com=nxdomain")
	done := make(chan bool)
	for range 4 {
		go func() {
			ok := s.Suggest("gmial.com", w) == "gmail.com" && IsFree("gmail.com") && d.Has("mailinator.com") &&
				len(NewSuggester().Candidates("hotmial.com")) > 0
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("a goroutine got a wrong answer")
		}
	}
}
