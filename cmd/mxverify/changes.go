package main

import (
	"fmt"
	"io"
	"time"

	"github.com/mxverify/mxverify/io/rowio"
	"github.com/mxverify/mxverify/io/tableio"
	"github.com/mxverify/mxverify/verify"
)

// changeColumns is the what-changed report a data team reads in the morning.
var changeColumns = []string{"domain", "old_status", "new_status", "old_checked_at", "new_checked_at", "rows"}

// changes writes domains whose status differs from the cached one.
type changes struct{ out *tableio.Output }

func newChanges(path string, stdout io.Writer) (*changes, error) {
	out, err := tableio.CreateRows(path, stdout, changeColumns, nil)
	if err != nil {
		return nil, err
	}
	return &changes{out: out}, nil
}

func (c *changes) add(old, cur verify.Result, rows int64) error {
	ts := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339)
	}
	if err := c.out.Write(rowio.Row{cur.Domain, string(old.Status), string(cur.Status), ts(old.CheckedAt), ts(cur.CheckedAt), rows}); err != nil {
		return fmt.Errorf("changes: %w", err)
	}
	return nil
}
