// Package report writes the page a list owner reads after a run: one
// self-contained HTML file with the run at a glance, the domains that
// matter, typo suggestions, changes since the last run and the trend of
// the last runs. It is pure: a Data value in, HTML out. The page fetches
// nothing: its style is inline and its charts are inline SVG.
//
// Every string in Data may come from the list or from the internet
// (domain names, mail hosts) and is escaped by html/template.
package report

import (
	"time"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// Limits on what a page lists. The counts behind them are always whole.
const (
	// TopDomains is how many domains to suppress or retry the page lists.
	TopDomains = 25
	// TopSuggestions is how many typo suggestions it lists.
	TopSuggestions = 25
	// ChangeExamples is how many domains it names per kind of change.
	ChangeExamples = 10
	// TrendRuns is how many runs the trend shows, this one included.
	TrendRuns = 30
)

// Actions is the order the page shows actions in.
var Actions = []triage.Action{triage.Send, triage.Suppress, triage.Retry}

// Data is everything one page shows. Its JSON form is what the cache keeps
// to write the page again without a run.
type Data struct {
	Version    string    `json:"version"`     // mxverify's
	Finished   time.Time `json:"finished"`    // when the run ended
	Inputs     []string  `json:"inputs"`      // the lists, as named on the command line
	Resolvers  []string  `json:"resolvers"`   // the DNS resolvers asked
	ExitStatus int       `json:"exit_status"` // 0 or 2 (too many temp_error domains)

	Rows           int64   `json:"rows"`
	InvalidRows    int64   `json:"invalid_rows"`
	Domains        int64   `json:"domains"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	Queries        int64   `json:"queries"`
	Retries        int64   `json:"retries"`
	CacheHits      int64   `json:"cache_hits"`

	RowsByAction    map[triage.Action]int64 `json:"rows_by_action"`
	RowsByStatus    map[verify.Status]int64 `json:"rows_by_status"`
	DomainsByStatus map[verify.Status]int64 `json:"domains_by_status"`

	// Top are the domains with the most rows among those to suppress or
	// retry, most rows first, at most TopDomains.
	Top []Domain `json:"top"`
	// Suggestions are likely typos with the domain meant, most rows
	// first, at most TopSuggestions; SuggestionRows counts all of them.
	Suggestions    []Suggestion `json:"suggestions"`
	SuggestionRows int64        `json:"suggestion_rows"`

	RoleRows       int64 `json:"role_rows"`
	FreeRows       int64 `json:"free_rows"`
	DisposableRows int64 `json:"disposable_rows"`
	DuplicateRows  int64 `json:"duplicate_rows"`

	// Cached says the run kept a cache, so that Changes and Trend mean
	// something: without one there is no last run to compare with.
	Cached  bool     `json:"cached"`
	Changes []Change `json:"changes"`
	// Trend is the last runs, oldest first, this one last.
	Trend []Run `json:"trend"`
}

// Domain is one domain of the top list.
type Domain struct {
	Name      string        `json:"name"`
	Rows      int64         `json:"rows"`
	Status    verify.Status `json:"status"`
	Action    triage.Action `json:"action"`
	Reason    string        `json:"reason"` // in plain words (Reason)
	MailHosts []string      `json:"mail_hosts"`
}

// Suggestion is a domain that is likely a typo, and the one meant.
type Suggestion struct {
	Domain string `json:"domain"`
	Meant  string `json:"meant"`
	Rows   int64  `json:"rows"` // the rows fixing it would mend
}

// Change is one kind of status change since the last run: every domain
// that went from Old to New, with the rows that name them.
type Change struct {
	Old      verify.Status `json:"old"`
	New      verify.Status `json:"new"`
	Domains  int64         `json:"domains"`
	Rows     int64         `json:"rows"`
	Examples []Example     `json:"examples"` // most rows first, at most ChangeExamples
}

// Example is a domain named under a change.
type Example struct {
	Domain string `json:"domain"`
	Rows   int64  `json:"rows"`
}

// Run is one run's counts, as the cache's history keeps them.
type Run struct {
	Finished     time.Time               `json:"finished"`
	Rows         int64                   `json:"rows"`
	Domains      int64                   `json:"domains"`
	ExitStatus   int                     `json:"exit_status"`
	RowsByAction map[triage.Action]int64 `json:"rows_by_action"`
}

// Run is this run's counts for the history.
func (d *Data) Run() Run {
	by := make(map[triage.Action]int64, len(Actions))
	for _, a := range Actions {
		by[a] = d.RowsByAction[a]
	}
	return Run{Finished: d.Finished, Rows: d.Rows, Domains: d.Domains, ExitStatus: d.ExitStatus, RowsByAction: by}
}
