// Package parquetio reads and writes mailing lists and per-domain results as
// Parquet. Lists exported from data warehouses keep their column types
// through a verification run instead of being flattened to CSV text, and the
// parquet-go dependency stays inside this one package.
package parquetio

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// ErrNotParquet reports input without Parquet's framing (magic bytes and
// footer), most often a CSV or JSON file given a .parquet name, or a file
// cut short by an interrupted copy.
var ErrNotParquet = errors.New("not a Parquet file")

// Row-group and batch sizes bound memory on lists of millions of rows: a
// reader holds one batch of decoded rows plus the pages being decoded, and a
// writer buffers one row group before it reaches the output.
const (
	readBatchRows  = 1024
	writeBatchRows = 256
	rowGroupRows   = 64 * 1024
)

// orderedGroup is a group node that keeps its fields in the order given.
// parquet.Group is a map and sorts its fields by name, which would reorder
// the user's columns on output.
type orderedGroup []parquet.Field

var _ parquet.Node = orderedGroup(nil)

func (g orderedGroup) ID() int { return 0 }

func (g orderedGroup) String() string {
	var b strings.Builder
	_ = parquet.PrintSchema(&b, "", g) // a strings.Builder never fails
	return b.String()
}

func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }

// GoType maps rows to Go structs, which parquet-go only needs when values are
// Go structs; the field order of that struct does not matter.
func (g orderedGroup) GoType() reflect.Type {
	m := make(parquet.Group, len(g))
	for _, f := range g {
		m[f.Name()] = f
	}
	return m.GoType()
}

// namedField gives node a name; parquet-go exports no other constructor for
// a parquet.Field.
func namedField(name string, node parquet.Node) parquet.Field {
	return parquet.Group{name: node}.Fields()[0]
}

// catch turns a panic inside parquet-go into an error. The library panics on
// some malformed files (bad decimal metadata, inconsistent levels) and on
// some values it cannot encode; either must be reported, not crash a run of
// millions of rows. what says which of the two is likely.
func catch(err *error, what string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: %v", what, p)
	}
}
