#!/usr/bin/env bash
# shellcheck disable=SC2317 # the cleanup function runs from a trap
# Compares the Go micro-benchmarks of two revisions with benchstat.
#
#   bash benchmarks/compare.sh OLD [NEW]    # NEW defaults to the working tree
#   make bench-compare OLD=HEAD~2
#
# Knobs (environment):
#   COMPARE_BENCH=.       benchmark regexp (go test -bench)
#   COMPARE_COUNT=8       rounds; benchstat wants at least 6
#   COMPARE_PKGS="./pipeline ./verify ./io/csvio ./io/jsonlio ./benchmarks"
#   COMPARE_OUT=out       where old.txt, new.txt and benchstat.txt are kept
#
# Each revision's test binaries are built once, OLD's (and NEW's) in a git
# worktree of its own, and then run one pass at a time, old and new in
# turn, in ABBA order: this VM's speed drifts by 20% over minutes, and
# running all of one side and then all of the other would put the drift
# into the comparison. Where unshare works the passes run in a network
# namespace with only loopback up (BenchmarkVerify talks DNS on loopback).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/benchmarks/compare.sh"
# benchstat's version, pinned so that every comparison reads the same way.
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

: "${COMPARE_BENCH:=.}"
: "${COMPARE_COUNT:=8}"
: "${COMPARE_PKGS:=./pipeline ./verify ./io/csvio ./io/jsonlio ./benchmarks}"
: "${COMPARE_OUT:=$ROOT/out}"

log() { printf '%s compare: %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# rounds TMP: the passes, inside the namespace when there is one.
rounds() {
	local tmp=$1 i side pkg bin order
	for ((i = 1; i <= COMPARE_COUNT; i++)); do
		order="old new"
		((i % 2 == 0)) && order="new old"
		log "round $i of $COMPARE_COUNT ($order)"
		for side in $order; do
			for pkg in $COMPARE_PKGS; do
				bin=$tmp/bin/$side/$(name "$pkg").test
				[[ -x $bin ]] || continue
				# From the package's directory, as go test runs it, so
				# that testdata is found.
				(cd "$(cat "$tmp/src-$side")/$pkg" &&
					"$bin" -test.run '^$' -test.bench "$COMPARE_BENCH" -test.benchmem -test.count 1) >>"$tmp/$side.txt"
			done
		done
	done
}

# name PKG: a file name for a package path.
name() { local p=${1#./}; echo "${p//\//_}"; }

if [[ ${1:-} == --rounds ]]; then
	rounds "$2"
	exit
fi

[[ $# -ge 1 && $# -le 2 ]] || die "usage: compare.sh OLD [NEW] (git revisions; NEW defaults to the working tree)"
[[ $COMPARE_COUNT =~ ^[1-9][0-9]*$ ]] || die "COMPARE_COUNT=$COMPARE_COUNT is not a positive number"
old=$(git -C "$ROOT" rev-parse --verify --quiet "$1^{commit}") || die "no revision $1"
new=
if [[ $# == 2 ]]; then
	new=$(git -C "$ROOT" rev-parse --verify --quiet "$2^{commit}") || die "no revision $2"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxcompare.XXXXXX")
cleanup() {
	git -C "$ROOT" worktree remove --force "$TMP/old" 2>/dev/null || true
	git -C "$ROOT" worktree remove --force "$TMP/new" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

git -C "$ROOT" worktree add --quiet --detach "$TMP/old" "$old"
echo "$TMP/old" >"$TMP/src-old"
if [[ -n $new ]]; then
	git -C "$ROOT" worktree add --quiet --detach "$TMP/new" "$new"
	echo "$TMP/new" >"$TMP/src-new"
else
	echo "$ROOT" >"$TMP/src-new"
fi

for side in old new; do
	src=$(cat "$TMP/src-$side")
	log "building $side's test binaries ($(git -C "$src" describe --always --dirty))"
	mkdir -p "$TMP/bin/$side"
	for pkg in $COMPARE_PKGS; do
		if [[ ! -d $src/$pkg ]]; then
			log "  $pkg: not in this revision"
			continue
		fi
		(cd "$src" && go test -c -o "$TMP/bin/$side/$(name "$pkg").test" "$pkg") ||
			die "$side: $pkg does not build"
	done
done
log "installing benchstat"
GOBIN=$TMP/bin go install "$BENCHSTAT"

if unshare -n true 2>/dev/null; then
	# shellcheck disable=SC2016 # $0 and $1 expand in the inner shell
	COMPARE_COUNT=$COMPARE_COUNT COMPARE_BENCH=$COMPARE_BENCH COMPARE_PKGS=$COMPARE_PKGS \
		unshare -n -- bash -c 'ip link set lo up && exec bash "$0" --rounds "$1"' "$SELF" "$TMP"
else
	log "unshare is not available: the passes run in this network namespace"
	rounds "$TMP"
fi

mkdir -p "$COMPARE_OUT"
cp "$TMP/old.txt" "$TMP/new.txt" "$COMPARE_OUT/"
(cd "$COMPARE_OUT" && "$TMP/bin/benchstat" old.txt new.txt) | tee "$COMPARE_OUT/benchstat.txt"
log "raw results in $COMPARE_OUT/old.txt and new.txt, the comparison in benchstat.txt"
