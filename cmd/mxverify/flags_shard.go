package main

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mxverify/mxverify/io/fileio"
	"github.com/mxverify/mxverify/pipeline"
	"github.com/mxverify/mxverify/shard"
)

// shardOptions are the flags of a sharded run, and the shard they resolve
// to once the batch engine's environment has been read.
type shardOptions struct {
	shardFlag string // --shard: "I/N", "off", or empty
	shards    int    // --shards

	shard     shard.Spec // resolved; zero for a whole run
	shardFrom string     // where it came from, for the summary
}

func (s *shardOptions) registerShardFlags(fs *flag.FlagSet) {
	fs.StringVar(&s.shardFlag, "shard", "", "verify only shard `I/N` (0 <= I < N) of the domains, for a merge (mxverify merge); off: ignore a batch engine's array index (default: from JOB_COMPLETION_INDEX with --shards, AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID)")
	fs.IntVar(&s.shards, "shards", 0, "the number of shards `N` when the batch engine gives only the index (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX), or to override its count")
}

// Engines whose array index picks the shard when --shard is absent, in the
// order they are tried: the index variable, and the one with the count
// (none for Kubernetes, whose count is --shards).
var shardEngines = []struct{ index, count string }{
	{"JOB_COMPLETION_INDEX", ""},
	{"AWS_BATCH_JOB_ARRAY_INDEX", "AWS_BATCH_JOB_ARRAY_SIZE"},
	{"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT"},
}

// resolveShard decides the shard: --shard, else a batch engine's variables.
func (s *shardOptions) resolveShard(getenv func(string) string) error {
	if s.shards < 0 {
		return fmt.Errorf("%w: --shards must be at least 1", errUsage)
	}
	switch s.shardFlag {
	case "off":
		if s.shards != 0 {
			return fmt.Errorf("%w: --shard off and --shards cannot both be given", errUsage)
		}
		return nil
	case "":
	default:
		sp, err := shard.Parse(s.shardFlag)
		if err != nil {
			return fmt.Errorf("%w: --shard %w", errUsage, err)
		}
		if s.shards != 0 && s.shards != sp.Count {
			return fmt.Errorf("%w: --shard %s and --shards %d disagree", errUsage, s.shardFlag, s.shards)
		}
		return s.setShard(sp.Index, sp.Count, "--shard")
	}
	for _, e := range shardEngines {
		iv := getenv(e.index)
		if iv == "" {
			continue
		}
		index, err := strconv.Atoi(iv)
		if err != nil {
			return fmt.Errorf("%w: %s=%q is not a shard number", errUsage, e.index, iv)
		}
		from := e.index
		count := s.shards
		switch {
		case count != 0:
			from += " and --shards"
		case e.count != "" && getenv(e.count) != "":
			cv := getenv(e.count)
			if count, err = strconv.Atoi(cv); err != nil {
				return fmt.Errorf("%w: %s=%q is not a shard count", errUsage, e.count, cv)
			}
			from += " and " + e.count
		default:
			return fmt.Errorf("%w: %s=%s is set but not the number of shards: give --shards N, or --shard off to verify the whole list", errUsage, e.index, iv)
		}
		return s.setShard(index, count, from)
	}
	if s.shards != 0 {
		return fmt.Errorf("%w: --shards %d needs the shard's index: --shard I/N, or a batch engine's JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID", errUsage, s.shards)
	}
	return nil
}

func (s *shardOptions) setShard(index, count int, from string) error {
	sp := shard.Spec{Index: index, Count: count}
	if !sp.Valid() {
		return fmt.Errorf("%w: shard %d of %d (from %s): want 0 <= index < count", errUsage, index, count, from)
	}
	s.shard, s.shardFrom = sp, from
	return nil
}

// shardInfo is what the summary of a sharded run tells the merge; nil for
// a whole run. Run is a digest of what makes the shards of one run
// agree: the version, the inputs as files (path, size, modification
// time), the options that change which rows and columns are written, the
// shard count, and MXVERIFY_RUN_ID when the engine sets one (the
// manifests in deploy/ set it to the job's name or id).
func (o *options) shardInfo(getenv func(string) string) (*pipeline.ShardInfo, error) {
	if !o.shard.Enabled() {
		return nil, nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "mxverify %s\nshards %d\ncolumn %q\nheader %t %t\nrun-id %q\n",
		version, o.shard.Count, o.column, o.header, o.noHeader, getenv("MXVERIFY_RUN_ID"))
	for _, in := range o.inputs {
		fmt.Fprintf(h, "input %q", in)
		if fi, err := os.Stat(in); err == nil && in != fileio.Stdio {
			fmt.Fprintf(h, " %d %d", fi.Size(), fi.ModTime().UnixNano())
		}
		fmt.Fprintln(h)
	}
	info := &pipeline.ShardInfo{
		Index:         o.shard.Index,
		Count:         o.shard.Count,
		From:          o.shardFrom,
		Run:           hex.EncodeToString(h.Sum(nil))[:16],
		MaxTempErrors: o.maxTempErrors,
		Outputs:       make(map[string]string),
	}
	for flag, p := range map[string]string{"-o": o.out, "--domains": o.domains, "--changes": o.changes} {
		if p == "" || p == fileio.Stdio {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		info.Outputs[flag] = abs
	}
	return info, nil
}
