package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// requireSlurm skips the test, with the reason, where Slurm cannot run;
// with MXVERIFY_REQUIRE_SLURM=1 (CI, which installs it) that fails instead.
func requireSlurm(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "not root: slurmd, munged and a network namespace of its own need root"
	}
	for _, tool := range []string{"slurmctld", "slurmd", "sbatch", "scontrol", "sinfo", "munged", "mungekey", "unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil && why == "" {
			why = tool + " is not installed (Debian: apt-get install slurm-wlm munge)"
		}
	}
	if why == "" {
		if out, err := exec.Command("unshare", "-n", "true").CombinedOutput(); err != nil {
			why = "unshare -n fails: " + string(out)
		}
	}
	if why == "" {
		return
	}
	if os.Getenv("MXVERIFY_REQUIRE_SLURM") == "1" {
		t.Fatalf("Slurm test required but cannot run: %s", why)
	}
	t.Skipf("Slurm array test skipped: %s", why)
}

// A real engine: the array script runs as a Slurm job array on a one-node
// cluster (deploy/slurm/testbed.sh), its dependent merge joins the
// shards, and the result is the unsharded run's.
func TestSlurmArray(t *testing.T) {
	requireSlurm(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	buildMxverify(t, bin)
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "mxzone"), "./cmd/mxzone")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build mxzone: %v\n%s", err, out)
	}
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	list, err := filepath.Abs("../testdata/demo/list.csv")
	if err != nil {
		t.Fatal(err)
	}
	zones, _ := filepath.Abs("../testdata/zones")
	cmd := exec.Command("unshare", "-n", "bash", "slurm/testbed.sh")
	cmd.Env = append(os.Environ(), "DIR="+work, "BIN="+bin, "LIST="+list, "N=4", "ZONES="+zones,
		"MXZONE_ARGS=--servfail servfail.mxdemo.net", "WAIT_SECONDS=300",
		"MAX_TEMP_ERRORS=0.5") // the demo has 2 of 29 temp_error on purpose
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testbed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(work, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for i := range 4 {
		if s := read("out/summary-" + string(rune('0'+i)) + ".json"); !regexp.MustCompile(`"from": "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT"`).MatchString(s) {
			t.Errorf("shard %d's summary does not name Slurm's variables:\n%s", i, s)
		}
	}
	if got, want := read("out/merged-rows.csv"), read("whole-rows.csv"); got != want {
		t.Errorf("merged rows differ from the unsharded run's:\n%s\n---\n%s", got, want)
	}
	// The check times differ between the two runs, and nothing else.
	at := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	if got, want := at.ReplaceAllString(read("out/merged-domains.csv"), "T"), at.ReplaceAllString(read("whole-domains.csv"), "T"); got != want {
		t.Errorf("merged domains differ from the unsharded run's:\n%s\n---\n%s", got, want)
	}
}
