package parquetio

import (
	"fmt"

	"github.com/xitongsys/parquet-go/parquet"
)

// Without returns the schema less its top-level field name, for a
// NewWriter of the same columns but one: mxverify merge drops a sharded
// run's mx_row and keeps the other columns' types.
func (s *Schema) Without(name string) (*Schema, error) {
	var n int32
	elems := []*parquet.SchemaElement{{Name: s.name, NumChildren: &n}}
	for _, f := range s.fields {
		if f.name != name {
			elems = appendSchema(elems, f)
			n++
		}
	}
	if int(n) == len(s.fields) {
		return nil, fmt.Errorf("no column %q", name)
	}
	return parseSchema(elems)
}
