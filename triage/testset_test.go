package triage

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/mxverify/mxverify/verify"
)

// readTSV returns the tab-separated fields of a test set's lines, without
// comments and blank lines.
func readTSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestSuggestionSets measures the suggestion rule on the two test sets of
// testdata/triage: typos.tsv, typos of large providers with the domain
// meant, and near.tsv, real domains near the providers. The typo domains
// are taken not to exist and the providers to be deliverable; the near
// domains to be deliverable, as they are.
func TestSuggestionSets(t *testing.T) {
	s := NewSuggester()
	typos := readTSV(t, "../testdata/triage/typos.tsv")
	near := readTSV(t, "../testdata/triage/near.tsv")
	if len(typos) < 200 || len(near) < 200 {
		t.Fatalf("%d typos and %d near domains: want 200 of each at least", len(typos), len(near))
	}

	// Typos: hits, misses and wrong suggestions, by kind of typo.
	type tally struct{ n, hit, miss, wrong int }
	byKind := make(map[string]*tally)
	var all tally
	var misses, wrongs []string
	got := make(map[string]string)
	for _, row := range typos {
		typo, meant, kind := row[0], row[1], row[2]
		if !isProvider(meant) {
			t.Errorf("typos.tsv: %s is meant for %s, which is not on the provider list", typo, meant)
		}
		if isProvider(typo) {
			t.Errorf("typos.tsv: %s is a provider's own domain", typo)
		}
		w := newWorld()
		if d, err := verify.Domain(typo); err == nil {
			w.results[d] = verify.Result{Domain: d, Status: verify.NXDomain}
		}
		sug := s.Suggest(typo, w)
		got[typo] = sug
		k := byKind[kind]
		if k == nil {
			k = new(tally)
			byKind[kind] = k
		}
		k.n++
		all.n++
		switch sug {
		case meant:
			k.hit++
			all.hit++
		case "":
			k.miss++
			all.miss++
			misses = append(misses, typo)
		default:
			k.wrong++
			all.wrong++
			wrongs = append(wrongs, typo+" → "+sug+" (meant "+meant+")")
		}

		// The same typo, with the domain meant not deliverable: nothing.
		for _, st := range []verify.Status{verify.NXDomain, verify.TempError, verify.NullMX} {
			w.results[meant] = verify.Result{Domain: meant, Status: st}
			if sug := s.Suggest(typo, w); sug != "" {
				t.Errorf("%s: suggested %s while %s is %s", typo, sug, meant, st)
			}
		}
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	t.Logf("typos.tsv: %d typos: %d right suggestions (%.1f%%), %d without one, %d wrong",
		all.n, all.hit, 100*float64(all.hit)/float64(all.n), all.miss, all.wrong)
	for _, k := range kinds {
		c := byKind[k]
		t.Logf("  %-14s %3d: %3d right, %2d none, %d wrong", k, c.n, c.hit, c.miss, c.wrong)
	}
	t.Logf("  no suggestion for: %s", strings.Join(misses, " "))
	if all.wrong > 0 {
		t.Errorf("wrong suggestions: %s", strings.Join(wrongs, "; "))
	}
	if all.hit*100 < all.n*90 {
		t.Errorf("%d of %d typos get the right suggestion: want 90%% at least", all.hit, all.n)
	}

	// Near domains: deliverable, so never a suggestion. And what the DNS
	// gate saves them from: the suggestions they would get if they did
	// not exist.
	var suggested, ungated []string
	groups := make(map[string]int)
	withCandidates := 0
	for _, row := range near {
		d, group := row[0], row[1]
		groups[group]++
		if a, err := verify.Domain(d); err != nil || a != d {
			t.Errorf("near.tsv: %q is not a domain as an A-label: %v", d, err)
		}
		w := newWorld(d + "=deliverable")
		if sug := s.Suggest(d, w); sug != "" {
			suggested = append(suggested, d+" → "+sug)
		}
		if len(s.Candidates(d)) > 0 {
			withCandidates++
		}
		w.results[d] = verify.Result{Domain: d, Status: verify.NXDomain}
		if sug := s.Suggest(d, w); sug != "" {
			ungated = append(ungated, d+" → "+sug)
		}
		got[d] = ""
	}
	t.Logf("near.tsv: %d real domains (%d named in the issue, %d one edit from a provider, %d companies', %d providers'): %d suggestions",
		len(near), groups["issue"], groups["one-edit"], groups["company"], groups["provider"], len(suggested))
	t.Logf("  %d have provider candidates; had they not existed, %d would have got one: %s",
		withCandidates, len(ungated), strings.Join(ungated, ", "))
	if len(suggested) > 0 {
		t.Errorf("real domains got suggestions: %s", strings.Join(suggested, ", "))
	}

	// The issue's named cases, exactly.
	for typo, want := range map[string]string{
		"gmial.com": "gmail.com", "gmail.con": "gmail.com", "hotmial.com": "hotmail.com",
		"outlok.com": "outlook.com", "yaho.com": "yahoo.com",
		"gmail.hu": "", "gmx.de": "", "yahoo.co": "",
	} {
		g, ok := got[typo]
		if !ok {
			t.Errorf("%s is in neither test set", typo)
		} else if g != want {
			t.Errorf("%s: suggestion %q, want %q", typo, g, want)
		}
	}
}

// ExampleSuggester_Suggest shows the rule on made-up verdicts; a run gets
// them from DNS.
func ExampleSuggester_Suggest() {
	w := newWorld("gmial.com=nxdomain", "gmail.hu=deliverable", "gmial.con=temp_error")
	s := NewSuggester()
	for _, d := range []string{"gmial.com", "gmail,com", "gmail.hu", "gmial.con"} {
		fmt.Printf("%s: %q\n", d, s.Suggest(d, w))
	}
	// Output:
	// gmial.com: "gmail.com"
	// gmail,com: "gmail.com"
	// gmail.hu: ""
	// gmial.con: ""
}
