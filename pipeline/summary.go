package pipeline

import (
	"fmt"
	"io"
	"strings"

	"github.com/mxverify/mxverify/triage"
	"github.com/mxverify/mxverify/verify"
)

// Summary describes a run; its JSON form is the --summary file.
type Summary struct {
	Inputs            []string                `json:"inputs"`
	Rows              int64                   `json:"rows"`
	InvalidRows       int64                   `json:"invalid_rows"`
	Domains           int64                   `json:"domains"`
	DomainsByStatus   map[verify.Status]int64 `json:"domains_by_status"`
	AddressesByStatus map[verify.Status]int64 `json:"addresses_by_status"`
	Queries           int64                   `json:"queries"`
	Retries           int64                   `json:"retries"`
	CacheHits         int64                   `json:"cache_hits"`
	CacheMisses       int64                   `json:"cache_misses"`
	CacheExpired      int64                   `json:"cache_expired"`
	CacheRefreshed    int64                   `json:"cache_refreshed"`
	// Unconfirmed counts the domains with a cached status that ended
	// temp_error: their last known status stands, and they are not
	// listed as changes.
	Unconfirmed      int64   `json:"unconfirmed"`
	ElapsedSeconds   float64 `json:"elapsed_seconds"`
	QueriesPerSecond float64 `json:"queries_per_second"`
	ExitStatus       int     `json:"exit_status"`

	// RowsByAction counts rows by mx_action: send, suppress, retry.
	RowsByAction   map[triage.Action]int64 `json:"rows_by_action"`
	Duplicates     int64                   `json:"duplicate_rows"`
	Suggestions    int64                   `json:"suggestion_rows"`
	RoleRows       int64                   `json:"role_rows"`
	FreeRows       int64                   `json:"free_rows"`
	DisposableRows int64                   `json:"disposable_rows"`

	// HeaderRows says, for each CSV or TSV input, whether its first
	// record was read as a header row (by --header, --no-header, or the
	// rule in the README). JSONL and Parquet name their columns
	// themselves and are not listed.
	HeaderRows map[string]bool `json:"header_rows"`
	// EmailColumn is the column read as email, by its name in the
	// per-address output, and EmailColumnNumber its place from 1.
	EmailColumn       string `json:"email_column"`
	EmailColumnNumber int    `json:"email_column_number"`

	// ReadAs says, for each input not read as its name alone says (gzip
	// in a .csv, a sniffed separator, UTF-16, a workbook's sheet), how it
	// was read. The command fills it in.
	ReadAs map[string]string `json:"read_as,omitempty"`

	// Shard is set by a sharded run: which part of the run this is, for
	// the reader and for mxverify merge.
	Shard *ShardInfo `json:"shard,omitempty"`
}

// ShardInfo describes one shard of a run.
type ShardInfo struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// From names where the shard came from: "--shard", or the batch
	// engine's variable (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, ...).
	From string `json:"from"`
	// Run is the same for every shard of one run (a digest of the inputs,
	// the options that change what is written, and MXVERIFY_RUN_ID), so
	// that a merge refuses the shards of different runs.
	Run string `json:"run"`
	// MaxTempErrors is --max-temp-errors, for the merged exit status.
	MaxTempErrors float64 `json:"max_temp_errors"`
	// Outputs are the shard's files by flag (-o, --domains, --changes),
	// as absolute paths, for the merge to find.
	Outputs map[string]string `json:"outputs"`
}

func newSummary(inputs []Input) Summary {
	s := Summary{
		HeaderRows:        make(map[string]bool),
		DomainsByStatus:   make(map[verify.Status]int64),
		AddressesByStatus: make(map[verify.Status]int64),
		RowsByAction:      map[triage.Action]int64{triage.Send: 0, triage.Suppress: 0, triage.Retry: 0},
	}
	for _, in := range inputs {
		s.Inputs = append(s.Inputs, in.Name())
	}
	for _, st := range verify.Statuses {
		s.DomainsByStatus[st] = 0
		s.AddressesByStatus[st] = 0
	}
	return s
}

// Zero is s with every count at zero and its other fields (inputs,
// columns, shard) kept: where the counts of a run's parts are added up.
func (s Summary) Zero() Summary {
	z := newSummary(nil)
	z.Inputs, z.HeaderRows, z.EmailColumn, z.EmailColumnNumber = s.Inputs, s.HeaderRows, s.EmailColumn, s.EmailColumnNumber
	z.ReadAs, z.Shard, z.ExitStatus = s.ReadAs, s.Shard, s.ExitStatus
	return z
}

// Add adds the counts of o, the summary of another part of the same run
// (a shard), to s. The run took as long as its slowest part.
func (s *Summary) Add(o Summary) {
	s.Rows += o.Rows
	s.InvalidRows += o.InvalidRows
	s.Domains += o.Domains
	s.Queries += o.Queries
	s.Retries += o.Retries
	s.CacheHits += o.CacheHits
	s.CacheMisses += o.CacheMisses
	s.CacheExpired += o.CacheExpired
	s.CacheRefreshed += o.CacheRefreshed
	s.Unconfirmed += o.Unconfirmed
	s.Duplicates += o.Duplicates
	s.Suggestions += o.Suggestions
	s.RoleRows += o.RoleRows
	s.FreeRows += o.FreeRows
	s.DisposableRows += o.DisposableRows
	for a, n := range o.RowsByAction {
		s.RowsByAction[a] += n
	}
	for st, n := range o.DomainsByStatus {
		s.DomainsByStatus[st] += n
	}
	for st, n := range o.AddressesByStatus {
		s.AddressesByStatus[st] += n
	}
	s.ElapsedSeconds = max(s.ElapsedSeconds, o.ElapsedSeconds)
	s.QueriesPerSecond = 0
	if s.ElapsedSeconds > 0 {
		s.QueriesPerSecond = float64(s.Queries) / s.ElapsedSeconds
	}
}

// TempErrorShare is the fraction of resolvable domains (invalid ones
// aside) that ended temp_error: the figure --max-temp-errors bounds.
func (s Summary) TempErrorShare() float64 {
	n := s.Domains - s.DomainsByStatus[verify.Invalid]
	if n <= 0 {
		return 0
	}
	return float64(s.DomainsByStatus[verify.TempError]) / float64(n)
}

// WriteText writes the few lines a person reads at the end of a run.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "mxverify: %s (%d invalid), %s in %.1fs; %s (%.0f/s, %s)\n",
		count(s.Rows, "row"), s.InvalidRows, count(s.Domains, "domain"), s.ElapsedSeconds,
		count(s.Queries, "query"), s.QueriesPerSecond, count(s.Retries, "retry"))
	if sh := s.Shard; sh != nil {
		fmt.Fprintf(&b, "  shard %d of %d (0 to %d, from %s), run %s\n", sh.Index, sh.Count, sh.Count-1, sh.From, sh.Run)
	}
	s.writeHeaders(&b)
	for _, in := range s.Inputs {
		if d, ok := s.ReadAs[in]; ok {
			fmt.Fprintf(&b, "  %s: %s\n", in, d)
		}
	}
	if s.CacheHits+s.CacheMisses > 0 {
		fmt.Fprintf(&b, "  cache: %s, %s (%d expired", count(s.CacheHits, "hit"), count(s.CacheMisses, "miss"), s.CacheExpired)
		if s.CacheRefreshed > 0 {
			fmt.Fprintf(&b, ", %d refreshed", s.CacheRefreshed)
		}
		b.WriteString(")\n")
	}
	if s.Unconfirmed > 0 {
		fmt.Fprintf(&b, "  unconfirmed: %d temp_error domains keep their last known status\n", s.Unconfirmed)
	}
	fmt.Fprintf(&b, "  %-20s %10s %10s\n", "status", "domains", "addresses")
	for _, st := range verify.Statuses {
		fmt.Fprintf(&b, "  %-20s %10d %10d\n", st, s.DomainsByStatus[st], s.AddressesByStatus[st])
	}
	fmt.Fprintf(&b, "  rows to send %d, to suppress %d, to retry %d\n",
		s.RowsByAction[triage.Send], s.RowsByAction[triage.Suppress], s.RowsByAction[triage.Retry])
	fmt.Fprintf(&b, "  duplicates %d, typo suggestions %d, role %d, free mail %d, disposable %d\n",
		s.Duplicates, s.Suggestions, s.RoleRows, s.FreeRows, s.DisposableRows)
	_, err := io.WriteString(w, b.String())
	return err
}

// count is "1 row", "2 rows": n and the noun, plural unless n is 1.
func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	switch {
	case strings.HasSuffix(noun, "y"):
		noun = strings.TrimSuffix(noun, "y") + "ies"
	case strings.HasSuffix(noun, "s"):
		noun += "es"
	default:
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}

// writeHeaders says, per CSV or TSV input, how its first record was read,
// so that a list read the wrong way is noticed the morning after.
func (s Summary) writeHeaders(b *strings.Builder) {
	seen := make(map[string]bool)
	for _, in := range s.Inputs {
		header, ok := s.HeaderRows[in]
		if !ok || seen[in] || s.EmailColumnNumber == 0 {
			continue
		}
		seen[in] = true
		if header {
			fmt.Fprintf(b, "  %s: header row: column %d (%q) read as email\n", in, s.EmailColumnNumber, s.EmailColumn)
		} else {
			fmt.Fprintf(b, "  %s: no header row: column %d read as email\n", in, s.EmailColumnNumber)
		}
	}
}
