#!/bin/sh
# Submit a sharded mxverify run to Slurm: N array tasks, then the merge.
#   N=4 LIST=/shared/list.csv OUT=/shared/out ./submit.sh
# Extra flags for every shard go in MXVERIFY_ARGS (say --resolver and
# --qps, per task); MXVERIFY names the binary if it is not on PATH.
set -eu
: "${N:?N: the number of shards}" "${LIST:?}" "${OUT:?}"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
array=$(sbatch --parsable --array=0-$((N - 1)) --chdir="$OUT" --export=ALL "$here/mxverify-shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$array" --chdir="$OUT" --export=ALL "$here/mxverify-merge.sbatch")
echo "array job $array (shards 0 to $((N - 1))), merge job ${merge%%;*}"
