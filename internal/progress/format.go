package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// String is the snapshot in one line:
// "412,000 rows · 9,800 rows/s · 38,110 domains · 2,150 domains/s · 41% · 1m12s left".
func (s Snapshot) String() string {
	parts := []string{s.Counts()}
	if s.Fraction >= 0 {
		parts = append(parts, Percent(s.Fraction))
	}
	if r := s.Remaining(); r != "" {
		parts = append(parts, r)
	}
	return strings.Join(parts, " · ")
}

// Counts is the rows and domains done, with their rates.
func (s Snapshot) Counts() string {
	return fmt.Sprintf("%s rows · %s rows/s · %s domains · %s domains/s",
		Thousands(s.Rows), Thousands(int64(math.Round(s.RowsPerSecond))),
		Thousands(s.Domains), Thousands(int64(math.Round(s.DomainsPerSecond))))
}

// Remaining is "1m12s left" while the run goes and the time left is
// known, "done in 4m05s" at the end, and the time so far when the size of
// the inputs is not known.
func (s Snapshot) Remaining() string {
	switch {
	case s.Done:
		return "done in " + Duration(s.Elapsed)
	case s.HasLeft:
		return Duration(s.Left) + " left"
	case s.Fraction < 0:
		return Duration(s.Elapsed) + " so far"
	}
	return ""
}

// Percent is a fraction as a whole percentage, rounded down so that 100%
// means done.
func Percent(f float64) string {
	return strconv.Itoa(int(math.Floor(100*f+1e-9))) + "%"
}

// Thousands writes n with a comma between groups of three digits.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Duration rounds d to the second and writes it the short way: 45s,
// 1m12s, 2h05m.
func Duration(d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
	}
	return fmt.Sprintf("%dh%02dm", sec/3600, sec%3600/60)
}

// Log writes snapshots as log lines, for a batch scheduler's log (cron
// mail, Airflow, Kubernetes): "mxverify: progress: …" for people, or one
// JSON object per line, in the shape of the run's other JSON log lines.
type Log struct {
	W    io.Writer
	JSON bool
}

// logRecord is the JSON form; the keys of log/slog's JSON handler come
// first, so that a collector files it with the run's other lines.
type logRecord struct {
	Time             time.Time `json:"time"`
	Level            string    `json:"level"`
	Msg              string    `json:"msg"`
	Rows             int64     `json:"rows"`
	RowsPerSecond    float64   `json:"rows_per_second"`
	Domains          int64     `json:"domains"`
	DomainsPerSecond float64   `json:"domains_per_second"`
	Percent          *float64  `json:"percent,omitempty"`      // absent when the size is unknown
	SecondsLeft      *float64  `json:"seconds_left,omitempty"` // absent when not known
	ElapsedSeconds   float64   `json:"elapsed_seconds"`
	Done             bool      `json:"done"`
}

// Write writes one line for the snapshot taken at t.
func (l Log) Write(t time.Time, s Snapshot) error {
	if !l.JSON {
		_, err := io.WriteString(l.W, "mxverify: progress: "+s.String()+"\n")
		return err
	}
	rec := logRecord{
		Time: t, Level: "INFO", Msg: "progress",
		Rows: s.Rows, RowsPerSecond: round1(s.RowsPerSecond),
		Domains: s.Domains, DomainsPerSecond: round1(s.DomainsPerSecond),
		ElapsedSeconds: round1(s.Elapsed.Seconds()), Done: s.Done,
	}
	if s.Fraction >= 0 {
		p := round1(100 * s.Fraction)
		rec.Percent = &p
	}
	if s.HasLeft && !s.Done {
		left := math.Round(s.Left.Seconds())
		rec.SecondsLeft = &left
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = l.W.Write(append(b, '\n'))
	return err
}

func round1(f float64) float64 { return math.Round(10*f) / 10 }
