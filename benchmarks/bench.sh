#!/usr/bin/env bash
# shellcheck disable=SC2317 # the cleanup functions run from traps
# mxverify's end-to-end benchmark: generated data, a real authoritative server
# (nsd) on loopback, dnsperf for the ceiling, mxverify under /usr/bin/time -v,
# one table at the end, checked against the generator's truth.
#
# Everything after the build runs in a network namespace of its own with only
# loopback up, so no packet can leave the machine.
#
# Knobs (environment): see benchmarks/README.md.
#   BENCH_DOMAINS=100000 BENCH_ROWS=1000000 BENCH_SEED=1
#   BENCH_SCENARIOS="direct latency loss qps"
#   BENCH_CEILING_SECONDS=10 BENCH_PROXY_CEILING_SECONDS=5 BENCH_QPS=20000
#   BENCH_MXVERIFY_ARGS="" BENCH_UNLIMITED_QPS=1000000000
#   BENCH_RUN_TIMEOUT=900 BENCH_KEEP=0 BENCH_RESULTS= BENCH_REPEAT=1
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF="$ROOT/benchmarks/bench.sh"

: "${BENCH_DOMAINS:=100000}"
: "${BENCH_ROWS:=1000000}"
: "${BENCH_SEED:=1}"
: "${BENCH_SCENARIOS:=direct latency loss qps}"
: "${BENCH_CEILING_SECONDS:=10}"
: "${BENCH_PROXY_CEILING_SECONDS:=5}"
: "${BENCH_DNSPERF_OPTS:=-c 4 -T 2 -q 500}"
: "${BENCH_QPS:=20000}"
: "${BENCH_RTT:=20ms}"
: "${BENCH_LOSS:=0.01}"
: "${BENCH_DIRECT_CONCURRENCY:=200}"
: "${BENCH_LATENCY_CONCURRENCY:=500}"
: "${BENCH_LOSS_CONCURRENCY:=2000}"
: "${BENCH_MXVERIFY_ARGS:=}"
: "${BENCH_UNLIMITED_QPS:=1000000000}"
: "${BENCH_RUN_TIMEOUT:=900}"
: "${BENCH_NSD_WAIT:=120}"
: "${BENCH_KEEP:=0}"
: "${BENCH_RESULTS:=}"
: "${BENCH_REPEAT:=1}"
export BENCH_DOMAINS BENCH_ROWS BENCH_SEED BENCH_SCENARIOS BENCH_CEILING_SECONDS \
	BENCH_PROXY_CEILING_SECONDS BENCH_DNSPERF_OPTS BENCH_QPS BENCH_RTT BENCH_LOSS \
	BENCH_DIRECT_CONCURRENCY BENCH_LATENCY_CONCURRENCY BENCH_LOSS_CONCURRENCY \
	BENCH_MXVERIFY_ARGS BENCH_UNLIMITED_QPS BENCH_RUN_TIMEOUT BENCH_NSD_WAIT BENCH_KEEP BENCH_RESULTS BENCH_REPEAT

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $BENCH_SCENARIOS != none ]] || BENCH_SCENARIOS=" " # only the ceiling
for s in $BENCH_SCENARIOS; do
	case $s in direct | latency | loss | qps) ;; *) die "unknown scenario '$s' in BENCH_SCENARIOS (want some of: direct latency loss qps; or none)" ;; esac
done

###############################################################################
# Outside the namespace: tools, build, then re-execute inside.
###############################################################################
if [[ -z ${BENCH_IN_NETNS:-} ]]; then
	missing=()
	command -v nsd >/dev/null || missing+=(nsd)
	command -v dnsperf >/dev/null || missing+=(dnsperf)
	[[ -x /usr/bin/time ]] || missing+=(time)
	command -v ip >/dev/null || missing+=(iproute2)
	command -v unshare >/dev/null || missing+=(util-linux)
	if ((${#missing[@]})); then
		[[ $(id -u) == 0 ]] || die "missing ${missing[*]}; run as root or apt-get install them"
		log "installing ${missing[*]}"
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi

	TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxbench.XXXXXX")
	cleanup_outer() {
		if [[ $BENCH_KEEP == 1 ]]; then
			log "kept $TMP"
		else
			rm -rf "$TMP"
		fi
	}
	trap cleanup_outer EXIT
	mkdir -p "$TMP/bin"

	log "building tools"
	(cd "$ROOT" && go build -o "$TMP/bin/" ./benchmarks/cmd/mxgen ./benchmarks/cmd/delayproxy ./benchmarks/cmd/benchreport)
	log "building mxverify"
	if ! (cd "$ROOT" && go build -o "$TMP/bin/mxverify" ./cmd/mxverify) >"$TMP/mxverify-build.txt" 2>&1; then
		log "mxverify did not build; its scenarios will fail:"
		sed 's/^/    /' "$TMP/mxverify-build.txt" >&2
	fi

	log "entering a network namespace with only loopback"
	set +e
	userns=()
	[[ $(id -u) == 0 ]] || userns=(--map-root-user) # unprivileged: a user namespace too
	# shellcheck disable=SC2016 # $0 expands in the inner shell
	BENCH_IN_NETNS=1 BENCH_TMP=$TMP unshare "${userns[@]}" --net -- bash -c 'ip link set lo up && exec bash "$0"' "$SELF"
	rc=$?
	set -e
	exit $rc
fi

###############################################################################
# Inside the namespace.
###############################################################################
TMP=${BENCH_TMP:?}
BIN=$TMP/bin
DATA=$TMP/data
RES=$TMP/results
mkdir -p "$DATA" "$RES"

# Refuse to run anywhere a packet could leave: only lo, and lo only loopback.
if ip -o link show | grep -v ': lo:' | grep -q .; then
	die "not in a loopback-only network namespace"
fi

NSD_PORT=5300
PROXY_PORT=5301
NSD_PID=
PROXY_PID=
CLK_TCK=$(getconf CLK_TCK)

cleanup_inner() {
	[[ -n $PROXY_PID ]] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
	[[ -n $NSD_PID ]] && kill "$NSD_PID" 2>/dev/null && wait "$NSD_PID" 2>/dev/null
	true
}
trap cleanup_inner EXIT

# probe PORT: one SOA query with dnsperf; true when answered NOERROR.
probe() {
	echo "mxbench.net SOA" | dnsperf -s 127.0.0.1 -p "$1" -n 1 -t 1 2>/dev/null | grep -q 'NOERROR 1 '
}

log "generating $BENCH_DOMAINS domains, $BENCH_ROWS rows (seed $BENCH_SEED)"
"$BIN/mxgen" -seed "$BENCH_SEED" -domains "$BENCH_DOMAINS" -rows "$BENCH_ROWS" -out "$DATA" >&2

# nsd: one server process, no rate limiting (RRL would throttle a benchmark
# coming from one address), everything in our temp dir.
NSD_DIR=$TMP/nsd
mkdir -p "$NSD_DIR"
cp "$DATA/bench.zone" "$NSD_DIR/"
cat >"$NSD_DIR/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$NSD_DIR"
  pidfile: "$NSD_DIR/nsd.pid"
  database: ""
  zonelistfile: "$NSD_DIR/zone.list"
  xfrdfile: "$NSD_DIR/xfrd.state"
  xfrdir: "$NSD_DIR"
  logfile: "$NSD_DIR/nsd.log"
  verbosity: 0
  hide-version: yes
  tcp-count: 1000
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "mxbench.net"
  zonefile: "bench.zone"
EOF
nsd-checkconf "$NSD_DIR/nsd.conf" || die "bad nsd.conf"
nsd-checkzone mxbench.net "$NSD_DIR/bench.zone" >/dev/null || die "nsd rejects the generated zone"

log "starting nsd on 127.0.0.1:$NSD_PORT"
nsd -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/stdout.txt" 2>&1 &
NSD_PID=$!
deadline=$((SECONDS + BENCH_NSD_WAIT))
until probe "$NSD_PORT"; do
	kill -0 "$NSD_PID" 2>/dev/null || { cat "$NSD_DIR/stdout.txt" "$NSD_DIR/nsd.log" >&2 2>/dev/null; die "nsd exited"; }
	((SECONDS < deadline)) || die "nsd did not answer within ${BENCH_NSD_WAIT}s"
	sleep 0.2
done

CEILING_ARGS=()
if ((BENCH_CEILING_SECONDS > 0)); then
	log "ceiling: dnsperf $BENCH_DNSPERF_OPTS for ${BENCH_CEILING_SECONDS}s"
	# shellcheck disable=SC2086 # options are words on purpose
	dnsperf -s 127.0.0.1 -p "$NSD_PORT" -d "$DATA/queries.txt" -l "$BENCH_CEILING_SECONDS" $BENCH_DNSPERF_OPTS \
		>"$RES/dnsperf.txt" 2>&1 || true
	grep -E 'Queries per second|Queries lost' "$RES/dnsperf.txt" | sed 's/^ */    /' >&2 || true
	CEILING_ARGS=(-ceiling "$RES/dnsperf.txt" -ceiling-note "dnsperf $BENCH_DNSPERF_OPTS, ${BENCH_CEILING_SECONDS}s")
fi

# start_proxy DIR RTT LOSS: a delayproxy in front of nsd, on PROXY_PORT.
start_proxy() {
	local dir=$1 rtt=$2 loss=$3
	"$BIN/delayproxy" -listen "127.0.0.1:$PROXY_PORT" -upstream "127.0.0.1:$NSD_PORT" \
		-rtt "$rtt" -loss "$loss" -seed "$BENCH_SEED" >"$dir/proxy.stdout" 2>"$dir/proxy.stderr" &
	PROXY_PID=$!
	for _ in $(seq 100); do
		grep -q 'delayproxy listening on' "$dir/proxy.stdout" 2>/dev/null && return 0
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$dir/proxy.stderr" >&2
	die "delayproxy did not start"
}

# stop_proxy OUT: stop it and write its counters and CPU time to OUT.
stop_proxy() {
	local out=$1 stat ticks
	stat=$(cat "/proc/$PROXY_PID/stat")
	stat=${stat##*) }                                # fields from 3 (state) on
	ticks=$(awk '{print $12 + $13}' <<<"$stat")      # utime + stime
	kill "$PROXY_PID"
	wait "$PROXY_PID" || true
	PROXY_PID=
	{
		tail -n 1 "${out%/*}/proxy.stderr" | sed 's/^delayproxy: //'
		awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "; cpu %.2fs\n", t / hz }'
	} | tr -d '\n' >"$out"
}

# proxy_ceiling DIR OUTSTANDING: dnsperf through the running proxy.
proxy_ceiling() {
	local dir=$1 q=$2
	((BENCH_PROXY_CEILING_SECONDS > 0)) || return 0
	log "  proxy ceiling: dnsperf -q $q for ${BENCH_PROXY_CEILING_SECONDS}s"
	dnsperf -s 127.0.0.1 -p "$PROXY_PORT" -d "$DATA/queries.txt" -l "$BENCH_PROXY_CEILING_SECONDS" \
		-c 4 -T 1 -q "$q" -t 2 >"$dir/ceiling.txt" 2>&1 || true
	echo "ceiling=dnsperf -c 4 -T 1 -q $q" >>"$dir/params"
	grep -E 'Queries per second' "$dir/ceiling.txt" | sed 's/^ */    /' >&2 || true
}

# run_mxverify DIR RESOLVER ARGS...: one timed run. mxverify's --qps
# defaults to a polite 500 and must be above 0, so the scenarios that measure
# the client unthrottled pass BENCH_UNLIMITED_QPS.
run_mxverify() {
	local dir=$1 resolver=$2 rc=0
	shift 2
	if [[ ! -x $BIN/mxverify ]]; then
		echo "exit=not built" >>"$dir/params"
		log "  skipped: mxverify did not build"
		return 0
	fi
	log "  mxverify --resolver $resolver $* $BENCH_MXVERIFY_ARGS"
	# shellcheck disable=SC2086 # extra args are words on purpose
	/usr/bin/time -v -o "$dir/time.txt" timeout -k 10 "$BENCH_RUN_TIMEOUT" \
		"$BIN/mxverify" run "$DATA/list.csv" --out "$dir/out.csv" --domains "$dir/domains.csv" \
		--summary "$dir/summary.json" --resolver "$resolver" --progress never "$@" $BENCH_MXVERIFY_ARGS \
		>"$dir/stdout.txt" 2>"$dir/stderr.txt" || rc=$?
	echo "exit=$rc" >>"$dir/params"
	((rc == 0)) || { log "  mxverify exited $rc:"; tail -n 5 "$dir/stderr.txt" | sed 's/^/    /' >&2; }
	[[ $BENCH_KEEP == 1 ]] || rm -f "$dir/out.csv"
}

rtt_ms=$(awk -v d="$BENCH_RTT" 'BEGIN { v = d + 0; if (d ~ /us$/) v /= 1000; else if (d ~ /ms$/) ; else if (d ~ /s$/) v *= 1000; print v }')
REPORT_ARGS=()
# With BENCH_REPEAT=N every scenario runs N times, one round of all of them
# after another, and the table has a row per run (direct.1, direct.2, ...):
# on a shared machine one run can be 20% off, and alternating rounds keep
# a slow spell from falling on one scenario only.
for rep in $(seq "$BENCH_REPEAT"); do
for s in $BENCH_SCENARIOS; do
	name=$s
	((BENCH_REPEAT == 1)) || name=$s.$rep
	dir=$RES/$name
	mkdir -p "$dir"
	case $s in
	direct)
		log "scenario direct: straight to nsd, --concurrency $BENCH_DIRECT_CONCURRENCY"
		echo "desc=straight to nsd on loopback, --concurrency $BENCH_DIRECT_CONCURRENCY" >"$dir/params"
		run_mxverify "$dir" "127.0.0.1:$NSD_PORT" --qps "$BENCH_UNLIMITED_QPS" \
			--concurrency "$BENCH_DIRECT_CONCURRENCY" --timeout 2s --retries 2
		;;
	latency)
		log "scenario latency: +$BENCH_RTT RTT, --concurrency $BENCH_LATENCY_CONCURRENCY"
		{
			echo "desc=through delayproxy adding $BENCH_RTT RTT, --concurrency $BENCH_LATENCY_CONCURRENCY"
			echo "concurrency=$BENCH_LATENCY_CONCURRENCY"
			echo "rtt_ms=$rtt_ms"
		} >"$dir/params"
		start_proxy "$dir" "$BENCH_RTT" 0
		proxy_ceiling "$dir" "$BENCH_LATENCY_CONCURRENCY"
		stop_proxy "$dir/ceiling-proxy.txt"
		start_proxy "$dir" "$BENCH_RTT" 0
		run_mxverify "$dir" "127.0.0.1:$PROXY_PORT" --qps "$BENCH_UNLIMITED_QPS" \
			--concurrency "$BENCH_LATENCY_CONCURRENCY" --timeout 1s --retries 3
		stop_proxy "$dir/proxy.txt"
		;;
	loss)
		log "scenario loss: +$BENCH_RTT RTT, $BENCH_LOSS loss per packet, --concurrency $BENCH_LOSS_CONCURRENCY"
		{
			echo "desc=through delayproxy adding $BENCH_RTT RTT and dropping $BENCH_LOSS of packets each way, --concurrency $BENCH_LOSS_CONCURRENCY"
			echo "concurrency=$BENCH_LOSS_CONCURRENCY"
			echo "rtt_ms=$rtt_ms"
		} >"$dir/params"
		start_proxy "$dir" "$BENCH_RTT" "$BENCH_LOSS"
		proxy_ceiling "$dir" "$BENCH_LOSS_CONCURRENCY"
		stop_proxy "$dir/ceiling-proxy.txt"
		start_proxy "$dir" "$BENCH_RTT" "$BENCH_LOSS"
		# 1% loss each way fails ~2% of attempts; 5 retries leave ~3e-9 per query.
		run_mxverify "$dir" "127.0.0.1:$PROXY_PORT" --qps "$BENCH_UNLIMITED_QPS" \
			--concurrency "$BENCH_LOSS_CONCURRENCY" --timeout 500ms --retries 5
		stop_proxy "$dir/proxy.txt"
		;;
	qps)
		log "scenario qps: straight to nsd, --qps $BENCH_QPS"
		{
			echo "desc=straight to nsd with --qps $BENCH_QPS, --concurrency $BENCH_DIRECT_CONCURRENCY"
			echo "qps=$BENCH_QPS"
		} >"$dir/params"
		run_mxverify "$dir" "127.0.0.1:$NSD_PORT" --qps "$BENCH_QPS" --concurrency "$BENCH_DIRECT_CONCURRENCY" --timeout 2s --retries 2
		;;
	esac
	REPORT_ARGS+=("$name=$dir")
done
done

JSON=$RES/results.json
rc=0
echo >&2
"$BIN/benchreport" -truth "$DATA/truth.json" -expected "$DATA/expected.csv" "${CEILING_ARGS[@]}" \
	-json "$JSON" "${REPORT_ARGS[@]}" || rc=$?
[[ -z $BENCH_RESULTS ]] || cp "$JSON" "$BENCH_RESULTS"
if [[ ! -x $BIN/mxverify && -n ${BENCH_SCENARIOS// /} ]]; then
	log "mxverify did not build (see above): no client was measured"
	rc=1
fi
exit $rc
