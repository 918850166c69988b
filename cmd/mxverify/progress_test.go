package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every progress mode ends with the run's last state: 100% and the time it
// took. With --progress log the lines are log lines, JSON ones with
// --log-format json; a list of unknown size (a pipe) has no percentage
// until the end.
func TestProgressModes(t *testing.T) {
	t.Parallel()
	srv := demoServer(t)
	list := testdataPath(t, "demo/list.csv")
	tests := []struct {
		name  string
		in    string
		stdin bool
		args  []string
	}{
		{"bar", list, false, []string{"--progress", "always"}},
		{"log text", list, false, []string{"--progress", "log"}},
		{"log json", list, false, []string{"--progress", "log", "--log-format", "json"}},
		{"log json from a pipe", "-", true, []string{"--progress", "log", "--log-format", "json", "--progress-interval", "1h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdin := ""
			if tt.stdin {
				stdin = readFile(t, list)
			}
			args := append([]string{"run", tt.in, "--resolver", srv.Addr(), "-o", "out.csv", "--max-temp-errors", "1"}, tt.args...)
			r := mxverify(t, t.TempDir(), stdin, args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			switch {
			case strings.HasPrefix(tt.name, "log json"):
				var last map[string]any
				for _, l := range lines {
					var rec map[string]any
					if err := json.Unmarshal([]byte(l), &rec); err != nil {
						t.Fatalf("stderr line not JSON: %q", l)
					}
					if rec["msg"] == "progress" {
						last = rec
					}
				}
				if last == nil || last["done"] != true || last["percent"] != 100.0 || last["rows"].(float64) == 0 {
					t.Errorf("last progress line %v, want done, 100%%, rows counted\n%s", last, r.stderr)
				}
			case tt.name == "log text":
				if !strings.HasPrefix(lines[0], "mxverify: progress: ") || !strings.Contains(lines[0], "· 100% · done in ") {
					t.Errorf("first stderr line %q, want the last progress line, 100%%", lines[0])
				}
			default:
				// The bar's last state stays on screen, on a line of its
				// own, above the summary.
				last := lines[0][strings.LastIndex(lines[0], "\r")+1:]
				if !strings.HasPrefix(strings.TrimSpace(last), "100%") || !strings.Contains(last, "domains/s · done in ") {
					t.Errorf("bar ends %q, want 100%% and done", last)
				}
				if !strings.HasPrefix(lines[1], "mxverify: ") {
					t.Errorf("summary not on a line of its own: %q", lines[1])
				}
			}
		})
	}
}
