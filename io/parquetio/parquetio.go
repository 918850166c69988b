// Package parquetio reads and writes mailing lists and per-domain results as
// Parquet. Lists exported from data warehouses keep their column types
// through a verification run instead of being flattened to CSV text, and the
// Parquet dependency, github.com/xitongsys/parquet-go, stays inside this one
// package.
//
// The library decodes pages and writes files; this package reads the footer
// and walks the column chunks itself, checking every size the file declares
// before the library allocates it, because the library trusts them (see
// check.go).
package parquetio

import (
	"errors"
	"fmt"
)

// ErrNotParquet reports input without Parquet's framing (magic bytes and
// footer), most often a CSV or JSON file given a .parquet name, or a file
// cut short by an interrupted copy.
var ErrNotParquet = errors.New("not a Parquet file")

// Row-group and batch sizes bound memory on lists of millions of rows: a
// reader holds one decoded page per column, and a writer buffers one row
// group of encoded pages before it reaches the output.
const (
	writeBatchRows = 4096
	rowGroupRows   = 64 * 1024
	writePageBytes = 1 << 20
)

// Limits on what one page may declare. Real writers cut pages at about 1 MiB
// and 20,000 rows; these are far above that and only stop a damaged size or
// count from turning into an allocation of gigabytes.
const (
	maxPageBytes  = 256 << 20
	maxPageValues = 1 << 24
)

// catch turns a panic inside the library into an error. It panics on some
// malformed pages (a dictionary index out of range, levels shorter than the
// values) and on some values it cannot encode; either must be reported, not
// crash a run of millions of rows. what says which of the two is likely.
func catch(err *error, what string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: %v", what, p)
	}
}
