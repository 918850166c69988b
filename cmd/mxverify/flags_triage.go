package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/triage"
)

// triageOptions are the flags of what to do with each address: the
// columns added, the flags that suppress, and the outputs by action.
type triageOptions struct {
	addColumns      string
	suppressIf      string
	disposable      []string
	split           string
	suppressionList string

	// Parsed by check.
	columns []string
	flags   triage.Flags
}

func (o *triageOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addColumns, "add-columns", strings.Join(pipeline.TriageColumns, ","),
		"the comma-separated `LIST` of per-address columns to add besides mx_domain, mx_status and mx_reason (\"\" adds none)")
	fs.StringVar(&o.suppressIf, "suppress-if", "", "suppress addresses that mail could reach when they have a flag of `LIST`: role, disposable, duplicate (comma-separated)")
	fs.Func("disposable", "a `FILE` of disposable-address domains, one per line, # comments; repeatable, added to the embedded list", func(s string) error {
		o.disposable = append(o.disposable, s)
		return nil
	})
	fs.StringVar(&o.split, "split", "", "also write the rows to send, suppress and retry to send, suppress and retry files in `DIR`, in the format of -o")
	fs.StringVar(&o.suppressionList, "suppression-list", "", "write the addresses to suppress, each once, to `FILE` (one email column), for an ESP's suppression list")
}

// check parses the lists and checks what the outputs by action need.
func (o *triageOptions) check() error {
	var err error
	if o.columns, err = pipeline.ParseColumns(o.addColumns); err != nil {
		return fmt.Errorf("%w: --add-columns: %w", errUsage, err)
	}
	if o.flags, err = triage.ParseSuppressIf(o.suppressIf); err != nil {
		return fmt.Errorf("%w: --suppress-if: %w", errUsage, err)
	}
	need := func(flag, col string) error {
		if !slices.Contains(o.columns, col) {
			return fmt.Errorf("%w: %s needs the column %s (see --add-columns)", errUsage, flag, col)
		}
		return nil
	}
	if o.split != "" {
		if err := need("--split", pipeline.ColAction); err != nil {
			return err
		}
		if st, err := os.Stat(o.split); err != nil || !st.IsDir() {
			return fmt.Errorf("%w: --split %s: not a directory", errUsage, o.split)
		}
	}
	if o.suppressionList != "" {
		if err := need("--suppression-list", pipeline.ColAction); err != nil {
			return err
		}
		if err := need("--suppression-list", pipeline.ColAddress); err != nil {
			return err
		}
	}
	return nil
}

// splitPaths are the files of --split, named for the actions, in the
// format (and compression) of the per-address output out.
func (o *triageOptions) splitPaths(out string) map[triage.Action]string {
	if o.split == "" {
		return nil
	}
	ext := ".csv"
	if out != fileio.Stdio {
		base := strings.ToLower(filepath.Base(out))
		if i := strings.Index(base, "."); i >= 0 {
			ext = filepath.Base(out)[i:]
		}
	}
	paths := make(map[triage.Action]string)
	for _, a := range []triage.Action{triage.Send, triage.Suppress, triage.Retry} {
		paths[a] = filepath.Join(o.split, string(a)+ext)
	}
	return paths
}
