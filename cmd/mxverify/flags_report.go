package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mxverify/mxverify/io/fileio"
)

// reportOptions are the flags of the HTML report, embedded in options.
type reportOptions struct {
	report string
}

func (r *reportOptions) registerReport(fs *flag.FlagSet) {
	fs.StringVar(&r.report, "report", "", "write the run's report, one self-contained HTML page, to `FILE.html`")
}

// validateReport checks --report before any DNS traffic: a report is a
// file on disk (a page on a pipe helps no one), in a directory that
// exists.
func (r *reportOptions) validateReport() error {
	if r.report == "" {
		return nil
	}
	if r.report == fileio.Stdio {
		return fmt.Errorf("%w: --report needs a file name, not standard output", errUsage)
	}
	if ext := strings.ToLower(filepath.Ext(r.report)); ext != ".html" && ext != ".htm" {
		return fmt.Errorf("%w: --report %s: want a .html file", errUsage, r.report)
	}
	if st, err := os.Stat(filepath.Dir(r.report)); err != nil || !st.IsDir() {
		return fmt.Errorf("%w: %s: the directory %s does not exist", errUsage, r.report, filepath.Dir(r.report))
	}
	return nil
}
