package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

//go:embed page.tmpl
var pageText string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"count":       Count,
	"actionClass": actionClass,
}).Parse(pageText))

// actionClass is the CSS class of an action, known ones only: the value
// may come from a stored page of another version.
func actionClass(a triage.Action) string {
	for _, k := range Actions {
		if a == k {
			return string(k)
		}
	}
	return "other"
}

// view is Data as the template shows it: figures formatted, charts drawn.
type view struct {
	D        *Data
	Title    string
	Finished string
	Facts    []fact
	Actions  []share
	Statuses []statusRow
	Remarks  []share
	Trend    []trendRow

	ActionChart, StatusChart, TrendChart template.HTML
}

type fact struct {
	Label, Value string
	Num          bool
	Raw          int64
}

type share struct {
	Key, Name string
	Value     int64
	Share     string
}

type statusRow struct {
	Name, Action, Share, Reason string
	Rows, Domains               int64
}

type trendRow struct {
	Finished                    string
	Rows, Send, Suppress, Retry int64
	ExitStatus                  int
}

const timeLayout = "2006-01-02 15:04 MST"

// Write writes d's page to w.
func Write(w io.Writer, d *Data) error {
	v, err := newView(d)
	if err != nil {
		return err
	}
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func newView(d *Data) (*view, error) {
	v := &view{D: d, Title: strings.Join(d.Inputs, ", "), Finished: d.Finished.UTC().Format(timeLayout)}
	if v.Title == "" {
		v.Title = "(no input named)"
	}
	resolvers := strings.Join(d.Resolvers, ", ")
	if resolvers == "" {
		resolvers = "none named"
	}
	v.Facts = []fact{
		{Label: "rows read", Value: Count(d.Rows), Num: true, Raw: d.Rows},
		{Label: "rows without a valid address", Value: Count(d.InvalidRows), Num: true, Raw: d.InvalidRows},
		{Label: "distinct domains", Value: Count(d.Domains), Num: true, Raw: d.Domains},
		{Label: "time taken", Value: Elapsed(d.ElapsedSeconds)},
		{Label: "DNS queries", Value: Count(d.Queries), Num: true, Raw: d.Queries},
		{Label: "of them retries", Value: Count(d.Retries), Num: true, Raw: d.Retries},
	}
	if d.Cached {
		v.Facts = append(v.Facts, fact{Label: "domains answered from the cache", Value: Count(d.CacheHits), Num: true, Raw: d.CacheHits})
	}
	v.Facts = append(v.Facts,
		fact{Label: "resolvers", Value: resolvers},
		fact{Label: "exit status", Value: ExitMeaning(d.ExitStatus)},
	)
	for _, a := range Actions {
		n := d.RowsByAction[a]
		v.Actions = append(v.Actions, share{Key: string(a), Name: string(a), Value: n, Share: Percent(n, d.Rows)})
	}
	for _, st := range verify.Statuses {
		n := d.RowsByStatus[st]
		action := string(triage.ActionOf(verify.Result{Status: st}))
		if st == verify.NoMX {
			action = "suppress (send if the domain takes mail itself)"
		}
		v.Statuses = append(v.Statuses, statusRow{
			Name: string(st), Action: action, Rows: n, Share: Percent(n, d.Rows),
			Domains: d.DomainsByStatus[st], Reason: Reason(st, false),
		})
	}
	v.Remarks = []share{
		{Key: "role", Name: "role addresses (info@, sales@ …)", Value: d.RoleRows},
		{Key: "free", Name: "free mail providers", Value: d.FreeRows},
		{Key: "disposable", Name: "disposable (throwaway) domains", Value: d.DisposableRows},
		{Key: "duplicate", Name: "duplicates of an earlier row", Value: d.DuplicateRows},
	}
	for i := range v.Remarks {
		v.Remarks[i].Share = Percent(v.Remarks[i].Value, d.Rows)
	}
	for _, r := range d.Trend {
		v.Trend = append(v.Trend, trendRow{
			Finished: r.Finished.UTC().Format(timeLayout), Rows: r.Rows, ExitStatus: r.ExitStatus,
			Send: r.RowsByAction[triage.Send], Suppress: r.RowsByAction[triage.Suppress], Retry: r.RowsByAction[triage.Retry],
		})
	}

	var err error
	if v.ActionChart, err = actionChart(d); err != nil {
		return nil, err
	}
	if v.StatusChart, err = statusChart(d); err != nil {
		return nil, err
	}
	if d.Cached && len(d.Trend) > 0 {
		if v.TrendChart, err = trendChart(d); err != nil {
			return nil, err
		}
	}
	return v, nil
}
