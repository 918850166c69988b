package triage

import (
	"cmp"
	"iter"
	"slices"
	"strings"

	"github.com/mxverify/mxverify/verify"
)

// MinRatio is how many times as many rows a domain of the list itself
// must have as the row's domain to be suggested for it.
const MinRatio = 50

// limitFor is the edit distance a domain may be from its suggestion: one
// edit, or two for domains of 12 bytes or more, where two slips are as
// likely as one in a short name and a second real name two edits away
// is rare.
func limitFor(domain string) int {
	if len(domain) >= 12 {
		return 2
	}
	return 1
}

// slips are known slips of the end of a domain: a top-level label
// mistyped, or a country code's second-level pair broken. A domain ending
// in typo is compared as if it ended in fix, at no cost, so "gmail.con"
// is gmail.com exactly, and "yahoo.cm" prefers yahoo.com to yahoo.ca,
// which is one substitution away. ".co" is a slip both of ".com" and of
// ".co.uk": "hotmail.co" could be either and gets no suggestion.
var slips = []struct{ typo, fix string }{
	{".con", ".com"}, {".cmo", ".com"}, {".comm", ".com"}, {".om", ".com"}, {".cm", ".com"},
	{".vom", ".com"}, {".xom", ".com"}, {".cpm", ".com"}, {".ocm", ".com"}, {".coom", ".com"},
	{".comn", ".com"}, {".cim", ".com"}, {".cok", ".com"}, {".c0m", ".com"}, {".co", ".com"},
	{".com.com", ".com"}, {".ccom", ".com"}, {".comj", ".com"}, {".colm", ".com"},
	{".ne", ".net"}, {".nt", ".net"}, {".et", ".net"}, {".nte", ".net"}, {".nett", ".net"},
	{".met", ".net"}, {".bet", ".net"}, {".ner", ".net"}, {".nrt", ".net"}, {".net.net", ".net"},
	{".ogr", ".org"}, {".or", ".org"}, {".og", ".org"}, {".orgg", ".org"}, {".rog", ".org"},
	{".co", ".co.uk"}, {".co.k", ".co.uk"}, {".c.uk", ".co.uk"}, {".co.u", ".co.uk"}, {".couk", ".co.uk"},
	{".co.ukk", ".co.uk"}, {".co.ik", ".co.uk"}, {".co.jk", ".co.uk"}, {".cp.uk", ".co.uk"}, {".co.uj", ".co.uk"},
	{".ed", ".de"}, {".dee", ".de"}, {".rf", ".fr"}, {".frr", ".fr"}, {".ti", ".it"}, {".itt", ".it"},
	{".ur", ".ru"}, {".ruu", ".ru"},
	{".com.b", ".com.br"}, {".combr", ".com.br"}, {".com.bt", ".com.br"},
	{".com.a", ".com.au"}, {".comau", ".com.au"}, {".com.u", ".com.au"},
}

// Eligible reports whether a verdict lets its domain get a suggestion:
// the domain does not exist, its mail servers do not, or it takes no mail
// at all without saying so. Never a domain that takes mail, a null MX
// (a deliberate "no mail here"), a temp_error (nothing is known) or an
// invalid domain, which is Suggest's to repair.
func Eligible(res verify.Result) bool {
	switch res.Status {
	case verify.NXDomain, verify.DanglingMX:
		return true
	case verify.NoMX:
		return !res.ImplicitMX
	}
	return false
}

// Verdicts is what a run knows when it makes suggestions.
type Verdicts interface {
	// Result is the verdict on a domain (a lower-case A-label) checked in
	// this run; false if it was not checked.
	Result(domain string) (verify.Result, bool)
	// Rows is how many rows of the list have this domain: an A-label, or
	// for a domain part that does not parse, the domain part as written
	// (Address.SuggestKey).
	Rows(domain string) int
}

// Suggester proposes the domain a likely typo meant. It is immutable and
// safe for concurrent use.
//
// A suggestion is made for a domain that does not exist, whose mail
// servers do not, or that takes no mail (see Eligible), or for a domain
// part that is invalid in itself (see RepairDomain), when one candidate,
// and only one, is closest to it, and that candidate is deliverable in
// this run. The candidates are:
//
//   - the domains of the embedded provider list (providers.txt),
//   - and, after WithList, the list's own domains with at least MinRatio
//     times as many rows,
//
// that are one edit away (Damerau–Levenshtein as optimal string
// alignment: insertion, deletion, substitution, transposition), two for a
// domain of 12 bytes or more, once a known slip at its end is undone
// (see slips). A provider's own domain never gets a suggestion.
type Suggester struct {
	providers *deleteIndex
	// list holds the list's frequent domains, rows their row counts.
	list *deleteIndex
	rows map[string]int
}

// NewSuggester returns a Suggester over the embedded provider list.
func NewSuggester() *Suggester {
	return &Suggester{providers: providers().index}
}

// WithList returns a Suggester that also proposes the list's own domains,
// given with their row counts (each domain once, as lower-case A-labels).
// Only domains with at least MinRatio rows can ever qualify, and only they
// are kept.
func (s *Suggester) WithList(counts iter.Seq2[string, int]) *Suggester {
	n := &Suggester{providers: s.providers, rows: make(map[string]int)}
	var words []string
	for d, c := range counts {
		if c >= MinRatio && !isProvider(d) {
			if _, dup := n.rows[d]; !dup {
				words = append(words, d)
			}
			n.rows[d] = c
		}
	}
	n.list = newDeleteIndex(words)
	return n
}

// candidate is a domain a typo may have meant, with its distance.
type candidate struct {
	domain string
	dist   int
}

// Candidates returns the providers a domain may be a typo of, closest
// first and then by name: what Suggest chooses from before it asks for
// verdicts, so that a caller can resolve them. The domain is a lower-case
// A-label, or a domain part cleaned by RepairDomain.
func (s *Suggester) Candidates(domain string) []string {
	cs := s.candidates(domain, 0)
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.domain)
	}
	return out
}

// candidates finds the candidates for d: providers, and list domains with
// at least minRows rows (none when minRows is 0).
func (s *Suggester) candidates(d string, minRows int) []candidate {
	var cs []candidate
	add := func(w string, dist int) {
		if w == d {
			return
		}
		for i := range cs {
			if cs[i].domain == w {
				cs[i].dist = min(cs[i].dist, dist)
				return
			}
		}
		cs = append(cs, candidate{w, dist})
	}
	search := func(q string, limit int) {
		s.providers.near(q, limit, add)
		if minRows > 0 && s.list != nil {
			s.list.near(q, limit, func(w string, dist int) {
				if s.rows[w] >= minRows {
					add(w, dist)
				}
			})
		}
	}
	search(d, limitFor(d))
	for _, sl := range slips {
		if strings.HasSuffix(d, sl.typo) && len(d) > len(sl.typo) {
			fixed := d[:len(d)-len(sl.typo)] + sl.fix
			// The shorter name sets the limit: a slip does not buy a
			// short name a second edit.
			search(fixed, min(limitFor(d), limitFor(fixed)))
		}
	}
	slices.SortFunc(cs, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.domain, b.domain))
	})
	return cs
}

// Suggest returns the domain that domain most likely meant, or "". The
// domain is a valid address's A-label, or the domain part as written of
// an address wrong only in its domain (Address.SuggestKey gives the
// right one). Its verdicts, and the candidates', come from v; a candidate
// v does not know is not deliverable.
//
// A domain part that RepairDomain mends into a domain that is deliverable
// gets that domain, whatever the lists say: the repair changes only
// separators, never a letter. Ties get no suggestion.
func (s *Suggester) Suggest(domain string, v Verdicts) string {
	rowsOf := domain // the key the caller counts rows under
	d, err := verify.Domain(domain)
	if err == nil {
		rowsOf = d
		if isProvider(d) {
			return ""
		}
		if res, ok := v.Result(d); !ok || !Eligible(res) {
			return ""
		}
	} else {
		repaired, ok := RepairDomain(domain)
		if ok {
			res, known := v.Result(repaired)
			switch {
			case !known:
				return ""
			case res.Status == verify.Deliverable:
				return repaired
			case !Eligible(res):
				return "" // null MX, temp_error, …: not a typo we can fix
			}
		}
		d = repaired
		if d == "" {
			return ""
		}
	}
	cs := s.candidates(d, MinRatio*max(v.Rows(rowsOf), 1))
	if len(cs) == 0 || len(cs) > 1 && cs[1].dist == cs[0].dist {
		return ""
	}
	if res, ok := v.Result(cs[0].domain); !ok || res.Status != verify.Deliverable {
		return ""
	}
	return cs[0].domain
}

// Needs lists the domains whose verdicts Suggest may read for a domain,
// beyond its own: the repaired domain of an invalid domain part, and the
// provider candidates. A caller resolves those it has not, once the
// domain's own verdict makes it Eligible (or it is invalid), and before
// it calls Suggest. The list's own candidates are not listed: the list
// named them, so they are resolved anyway.
func (s *Suggester) Needs(domain string) []string {
	d, err := verify.Domain(domain)
	if err == nil {
		return s.Candidates(d)
	}
	repaired, ok := RepairDomain(domain)
	if repaired == "" {
		return nil
	}
	need := s.Candidates(repaired)
	if ok {
		need = append([]string{repaired}, need...)
	}
	return need
}

// RepairDomain mends the separators of a domain part that does not parse:
// a comma for a dot (gmail,com), doubled dots (gmail..com), dots, commas,
// brackets or quotes at either end, and spaces anywhere. Letters and
// digits are never changed. It returns the result as a lower-case A-label
// and true when that is a valid mail domain; otherwise the cleaned,
// lower-cased text (for Candidates: "gmailcom" is one edit from
// gmail.com) and false.
func RepairDomain(raw string) (string, bool) {
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range strings.ToLower(raw) {
		switch r {
		case ' ', '\t', '"', '\'', '<', '>', '(', ')', '[', ']':
			continue
		case ',':
			r = '.'
		}
		if r == '.' && (b.Len() == 0 || strings.HasSuffix(b.String(), ".")) {
			continue
		}
		b.WriteRune(r)
	}
	s := strings.TrimSuffix(b.String(), ".")
	if d, err := verify.Domain(s); err == nil {
		return d, true
	}
	return s, false
}

// SuggestKey is the domain Suggest is asked about for this address: the
// A-label of a valid address, the domain part as written of one wrong only
// in its domain, and "" for the rest, which never get a suggestion.
func (a Address) SuggestKey() string {
	switch {
	case a.Problem == NoProblem:
		return a.Domain
	case a.Problem.DomainOnly():
		return a.DomainPart
	}
	return ""
}
