package main

import (
	"errors"
	"slices"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/triage"
)

// byAction is the per-address writer when rows also go to files by their
// action (--split) or to a suppression list: it reads each row's mx_action
// and mx_address from the values the pipeline adds.
type byAction struct {
	main     *tableio.Output
	split    map[triage.Action]*tableio.Output
	suppress *tableio.Output // --suppression-list, or nil
	listed   map[string]bool // addresses on the suppression list
	inputs   int             // the input's own columns
	action   int             // mx_action, among the added values
	address  int             // mx_address, among the added values; -1 if absent
	row      rowio.Row       // the suppression list's, reused
}

func newByAction(main *tableio.Output, columns []string) *byAction {
	// The pipeline adds its columns after the input's, which may have an
	// mx_domain of their own (a previous run's output read again).
	inputs := lastIndex(columns, pipeline.ColDomain)
	at := func(col string) int { return slices.Index(columns[inputs:], col) }
	return &byAction{main: main, split: make(map[triage.Action]*tableio.Output), listed: make(map[string]bool),
		inputs: inputs, action: at(pipeline.ColAction), address: at(pipeline.ColAddress), row: make(rowio.Row, 1)}
}

func lastIndex(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

func (b *byAction) Write(row rowio.Row) error {
	if err := b.main.Write(row); err != nil {
		return err
	}
	action, _ := row[b.inputs+b.action].(string)
	if out := b.split[triage.Action(action)]; out != nil {
		if err := out.Write(row); err != nil {
			return err
		}
	}
	if b.address >= 0 {
		addr, _ := row[b.inputs+b.address].(string)
		return b.list(triage.Action(action), addr)
	}
	return nil
}

func (b *byAction) WriteRaw(raw []byte, extra ...string) error {
	if err := b.main.WriteRaw(raw, extra...); err != nil {
		return err
	}
	action := triage.Action(extra[b.action])
	if out := b.split[action]; out != nil {
		if err := out.WriteRaw(raw, extra...); err != nil {
			return err
		}
	}
	if b.address >= 0 {
		return b.list(action, extra[b.address])
	}
	return nil
}

// list adds an address to suppress to the suppression list, once.
func (b *byAction) list(action triage.Action, addr string) error {
	if b.suppress == nil || action != triage.Suppress || addr == "" || b.listed[addr] {
		return nil
	}
	b.listed[addr] = true
	b.row[0] = addr
	return b.suppress.Write(b.row)
}

// Encoding is the main output's: the split files have its format.
func (b *byAction) Encoding() string { return b.main.Encoding() }

func (b *byAction) Close() error {
	errs := []error{b.main.Close()}
	for _, out := range b.split {
		errs = append(errs, out.Close())
	}
	if b.suppress != nil {
		errs = append(errs, b.suppress.Close())
	}
	return errors.Join(errs...)
}
