package pipeline

import (
	"strings"

	"github.com/mxverify/mxverify/io/rowio"
)

// columns is the union of the inputs' columns: a March export with
// "Email,Name,Phone" and an April one with "email , name" are one list of
// three columns. Names match ignoring case and surrounding spaces; the
// output keeps the spelling first seen, and the order columns were first
// seen in. A name that an input has twice matches the union's second
// column of that name, and so on.
type columns struct {
	names []string
	at    map[string][]int // key to the union's columns of that name
}

func newColumns() *columns { return &columns{at: make(map[string][]int)} }

func columnKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// add merges an input's columns into the union and returns where each of
// them goes in it. Adding a longer list again (a reader whose columns grew)
// maps the first ones as before.
func (c *columns) add(cols []string) []int {
	to := make([]int, len(cols))
	seen := make(map[string]int, len(cols))
	for i, name := range cols {
		k := columnKey(name)
		n := seen[k]
		seen[k]++
		if n < len(c.at[k]) {
			to[i] = c.at[k][n]
			continue
		}
		to[i] = len(c.names)
		c.at[k] = append(c.at[k], len(c.names))
		c.names = append(c.names, name)
	}
	return to
}

// identity reports a mapping that puts each column where it is, in a
// union of as many columns: the input's rows need no rearranging.
func identity(to []int, width int) bool {
	if len(to) != width {
		return false
	}
	for i, j := range to {
		if i != j {
			return false
		}
	}
	return true
}

// remapped reads an input's rows laid out in the union's columns, a
// value it lacks nil (empty in CSV, null in JSON Lines and Parquet).
type remapped struct {
	rowio.Reader
	to    []int
	names []string
}

func (r *remapped) Columns() []string { return r.names }

func (r *remapped) Read() (rowio.Row, error) {
	row, err := r.Reader.Read()
	if err != nil {
		return nil, err
	}
	out := make(rowio.Row, len(r.names))
	for i, v := range row {
		if i < len(r.to) {
			out[r.to[i]] = v
		}
	}
	return out, nil
}

// grows reports a reader whose columns may grow as it reads (JSON Lines
// whose objects have keys the first lacks).
func grows(r rowio.Reader) bool {
	g, ok := r.(interface{ GrowsColumns() bool })
	return ok && g.GrowsColumns()
}
