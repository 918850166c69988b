// Package deploy holds no code: its tests check the files in deploy/
// against the Kubernetes API types, systemd and Slurm. It is a module of
// its own so that the Kubernetes modules stay out of mxverify's go.mod.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decode reads a manifest strictly: an unknown or misspelt field fails.
func decode(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// flagValue is the value of --name=value (or -name=value) in args.
func flagValue(args []string, name string) (string, bool) {
	for _, a := range args {
		for _, p := range []string{"--" + name + "=", "-" + name + "="} {
			if v, ok := strings.CutPrefix(a, p); ok {
				return v, true
			}
		}
	}
	return "", false
}

// mounted is where a container mounts the volume backed by claim.
func mounted(spec corev1.PodSpec, c corev1.Container, claim string) string {
	for _, v := range spec.Volumes {
		if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claim {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				return m.MountPath
			}
		}
	}
	return ""
}

func hasTmp(spec corev1.PodSpec, c corev1.Container) bool {
	for _, m := range c.VolumeMounts {
		if m.MountPath != "/tmp" {
			continue
		}
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.EmptyDir != nil {
				return true
			}
		}
	}
	return false
}

func TestIndexedJob(t *testing.T) {
	var job, merge batchv1.Job
	decode(t, "kubernetes/indexed-job.yaml", &job)
	decode(t, "kubernetes/merge-job.yaml", &merge)

	spec := job.Spec
	if job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Errorf("kind %s/%s", job.APIVersion, job.Kind)
	}
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		t.Fatalf("completions %v and parallelism %v must be equal", spec.Completions, spec.Parallelism)
	}
	n := int(*spec.Completions)
	if spec.BackoffLimitPerIndex == nil || *spec.BackoffLimitPerIndex < 1 {
		t.Errorf("backoffLimitPerIndex %v: a failed shard should be retried on its own", spec.BackoffLimitPerIndex)
	}
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %s: backoffLimitPerIndex needs Never", spec.Template.Spec.RestartPolicy)
	}
	if len(spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Template.Spec.Containers))
	}
	c := spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "run" {
		t.Fatalf("args %q: want mxverify run", c.Args)
	}
	if v, _ := flagValue(c.Args, "shards"); v != strconv.Itoa(n) {
		t.Errorf("--shards=%s, want the completions, %d", v, n)
	}
	if _, ok := flagValue(c.Args, "shard"); ok {
		t.Error("--shard set: the index must come from JOB_COMPLETION_INDEX")
	}
	if v, _ := flagValue(c.Args, "max-temp-errors"); v != "1" {
		t.Errorf("--max-temp-errors=%s: a shard exiting 2 would be retried; leave the bound to the merge", v)
	}
	var runID bool
	for _, e := range c.Env {
		if e.Name == "MXVERIFY_RUN_ID" && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil &&
			e.ValueFrom.FieldRef.FieldPath == "metadata.labels['batch.kubernetes.io/job-name']" {
			runID = true
		}
		if e.Name == "JOB_COMPLETION_INDEX" {
			t.Error("JOB_COMPLETION_INDEX is the Job controller's to set")
		}
	}
	if !runID {
		t.Error("MXVERIFY_RUN_ID is not the Job's name")
	}
	data := mounted(spec.Template.Spec, c, "mxverify-data")
	if data == "" {
		t.Fatal("the shards do not mount the shared volume mxverify-data")
	}
	if !hasTmp(spec.Template.Spec, c) {
		t.Error("no emptyDir at /tmp: the image has no writable /tmp of its own")
	}
	outs := map[string]string{}
	for _, f := range []string{"o", "domains", "summary"} {
		v, ok := flagValue(c.Args, f)
		if !ok || !strings.Contains(v, "$(JOB_COMPLETION_INDEX)") || !strings.HasPrefix(v, data+"/") {
			t.Errorf("-%s=%s: want a per-index file on the shared volume %s", f, v, data)
		}
		outs[f] = v
	}
	if len(c.Args) < 2 || !strings.HasPrefix(c.Args[1], data+"/") {
		t.Errorf("the list %q is not on the shared volume", c.Args[1:2])
	}

	// The merge reads every shard's summary on the same volume.
	ms := merge.Spec.Template.Spec
	if merge.Spec.CompletionMode != nil && *merge.Spec.CompletionMode == batchv1.IndexedCompletion {
		t.Error("the merge Job is indexed")
	}
	if len(ms.Containers) != 1 {
		t.Fatalf("merge: %d containers", len(ms.Containers))
	}
	mc := ms.Containers[0]
	if mounted(ms, mc, "mxverify-data") != data {
		t.Errorf("the merge mounts mxverify-data at %q, the shards at %q", mounted(ms, mc, "mxverify-data"), data)
	}
	if mc.Image != c.Image {
		t.Errorf("merge image %s, shards' %s", mc.Image, c.Image)
	}
	if len(mc.Args) == 0 || mc.Args[0] != "merge" {
		t.Fatalf("merge args %q", mc.Args)
	}
	var sums []string
	for _, a := range mc.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			sums = append(sums, a)
		}
	}
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(outs["summary"], "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i)))
	}
	if !slices.Equal(sums, want) {
		t.Errorf("merge reads %q, want every shard's summary %q", sums, want)
	}
	if v, ok := flagValue(mc.Args, "max-temp-errors"); !ok || v == "1" {
		t.Errorf("merge --max-temp-errors=%q: the whole run's bound belongs here", v)
	}
}

func TestCronJob(t *testing.T) {
	var cj batchv1.CronJob
	decode(t, "kubernetes/cronjob.yaml", &cj)
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
	}
	if cj.Spec.Schedule == "" {
		t.Error("no schedule")
	}
	spec := cj.Spec.JobTemplate.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%d containers", len(spec.Containers))
	}
	c := spec.Containers[0]
	cache, ok := flagValue(c.Args, "cache")
	if !ok {
		t.Fatal("no --cache: the nightly run would ask everything again")
	}
	dir := mounted(spec, c, "mxverify-cache")
	if dir == "" || !strings.HasPrefix(cache, dir+"/") {
		t.Errorf("--cache=%s is not on the persistent volume mxverify-cache (mounted at %q)", cache, dir)
	}
	if _, ok := flagValue(c.Args, "shards"); ok {
		t.Error("the nightly CronJob is one unsharded run")
	}
	if !hasTmp(spec, c) {
		t.Error("no emptyDir at /tmp")
	}
}

// unitLine finds "key=value" in a unit file.
func unitLine(t *testing.T, text, key string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + key + `=(.*)$`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

// The systemd units pass systemd-analyze verify with the command in
// place, and the timer catches up on missed nights with a spread start.
func TestSystemdUnits(t *testing.T) {
	timer, err := os.ReadFile("systemd/mxverify.timer")
	if err != nil {
		t.Fatal(err)
	}
	if v := unitLine(t, string(timer), "Persistent"); v != "true" {
		t.Errorf("Persistent=%q, want true", v)
	}
	if v := unitLine(t, string(timer), "RandomizedDelaySec"); v == "" || v == "0" {
		t.Errorf("RandomizedDelaySec=%q", v)
	}
	service, err := os.ReadFile("systemd/mxverify.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(service), "ExecStart=/usr/local/bin/mxverify run ") {
		t.Error("ExecStart does not run /usr/local/bin/mxverify run")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the units' syntax is not checked")
	}
	// verify wants the command to exist: a built mxverify stands in for
	// /usr/local/bin/mxverify.
	dir := t.TempDir()
	bin := buildMxverify(t, dir)
	unit := strings.ReplaceAll(string(service), "/usr/local/bin/mxverify", bin)
	if err := os.WriteFile(filepath.Join(dir, "mxverify.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mxverify.timer"), timer, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(analyze, "verify", filepath.Join(dir, "mxverify.service"), filepath.Join(dir, "mxverify.timer"))
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// buildMxverify builds the command from the repository into dir.
func buildMxverify(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "mxverify")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/mxverify")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
