#!/bin/bash
# A one-node Slurm cluster for a test or a measurement: it runs inside a
# fresh network namespace (unshare -n, as root), so that nothing it
# starts can reach past loopback, starts munged with a generated key,
# slurmctld and slurmd with a generated configuration, and a DNS server
# for the zone; then it submits submit.sh's array and merge, waits for
# them, and runs the same list once unsharded for comparison.
#
#   unshare -n bash deploy/slurm/testbed.sh
#
# Environment: DIR (an empty work directory), BIN (holding mxverify and
# mxzone), LIST, N, and either ZONES (zone files or directories for
# mxzone, with MXZONE_ARGS) or RESOLVER (a server already listening in
# this namespace). Results go to $DIR/out (the shards and the merge) and
# $DIR/whole-* (the unsharded run); the job's times to $DIR/times.
set -euo pipefail
: "${DIR:?}" "${BIN:?}" "${LIST:?}" "${N:?}"
here=$(cd "$(dirname "$0")" && pwd)
cd "$DIR"
mkdir -p state spool out
chmod 700 "$DIR"

ip link set lo up
# Slurm resolves its hosts with AI_ADDRCONFIG, which finds no IPv4 address
# where loopback's is the only one: a documentation address on lo, which
# routes nowhere, satisfies it.
ip addr add 192.0.2.254/32 dev lo

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

mungekey -c -k "$DIR/munge.key"
munged -F -f -S "$DIR/munge.sock" --key-file "$DIR/munge.key" --pid-file "$DIR/munged.pid" \
	--log-file "$DIR/munged.log" --seed-file "$DIR/munged.seed" >"$DIR/munged.out" 2>&1 &
pids+=($!)

cpus=$(nproc)
cat >"$DIR/slurm.conf" <<CONF
ClusterName=mxtest
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$DIR/munge.sock
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$DIR/slurm.conf
for i in $(seq 50); do [ -S "$DIR/munge.sock" ] && break; sleep 0.1; done
slurmctld -D -f "$SLURM_CONF" >"$DIR/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost >"$DIR/slurmd.out" 2>&1 &
pids+=($!)

if [ -z "${RESOLVER:-}" ]; then
	# shellcheck disable=SC2086
	"$BIN/mxzone" --listen 127.0.0.1:0 ${MXZONE_ARGS:-} ${ZONES:?} >"$DIR/mxzone.log" 2>&1 &
	pids+=($!)
	for i in $(seq 100); do grep -q "listening on" "$DIR/mxzone.log" && break; sleep 0.1; done
	RESOLVER=$(sed -n 's/^mxzone listening on //p' "$DIR/mxzone.log")
	[ -n "$RESOLVER" ] || { echo "testbed: mxzone did not start:" >&2; cat "$DIR/mxzone.log" >&2; exit 1; }
fi

for i in $(seq 300); do
	state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 0.2
done
[ "$state" = idle ] || { echo "testbed: the node is not idle but '$state'" >&2; tail -n 20 "$DIR"/slurm*.log >&2; exit 1; }

submitted=$(N=$N LIST=$LIST OUT=$DIR/out MXVERIFY=$BIN/mxverify \
	MXVERIFY_ARGS="--resolver $RESOLVER ${MXVERIFY_ARGS:-}" "$here/submit.sh")
echo "testbed: $submitted"
array=$(echo "$submitted" | sed -n 's/^array job \([0-9]*\) .*/\1/p')
merge=$(echo "$submitted" | sed -n 's/.*merge job \([0-9]*\)$/\1/p')
state=
for i in $(seq "${WAIT_SECONDS:-600}"); do
	state=$(scontrol -o show job "$merge" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
	reason=$(scontrol -o show job "$merge" | sed -n 's/.* Reason=\([^ ]*\).*/\1/p')
	case $state in
	COMPLETED) break ;;
	FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;;
	esac
	[ "$reason" = DependencyNeverSatisfied ] && { state="$state ($reason)"; break; }
	sleep 1
done
{
	scontrol -o show job "$array" | tr ' ' '\n' | grep -E '^(JobId|ArrayTaskId|JobState|ExitCode|StartTime|EndTime|RunTime)='
	scontrol -o show job "$merge" | tr ' ' '\n' | grep -E '^(JobId|JobState|ExitCode|StartTime|EndTime|RunTime)='
} >"$DIR/times" || true
if [ "$state" != COMPLETED ]; then
	echo "testbed: the merge job ended $state" >&2
	cat "$DIR"/out/*.log >&2 || true
	exit 1
fi
start=$(date +%s.%N)
# shellcheck disable=SC2086
"$BIN/mxverify" run "$LIST" --resolver "$RESOLVER" --progress never --max-temp-errors 1 ${MXVERIFY_ARGS:-} \
	-o "$DIR/whole-rows.csv" --domains "$DIR/whole-domains.csv" --summary "$DIR/whole-summary.json" 2>"$DIR/whole.log"
echo "whole_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')" >>"$DIR/times"
