#!/usr/bin/env bash
# bench/os_overhead.sh: the collector's cost side by side with Debian's node_exporter (default
# collectors, scraped once per second) and netdata (1 s), and with the read floor (the same
# /proc and /sys files through kept fds, pread once per second: bench/os_overhead_floor.c), all
# running at once over the same window; then malloc calls per tick in the steady state
# (bench/collector/malloc_count.c) and each source's share (bench/os_sources.c). Prints markdown
# tables; bench/README-os.md has a run. A second collector with --perf-counters=off runs beside
# the first (host bench-os): the OS sources alone, without the perf_event group reads, which the
# read floor and node_exporter's default collectors do not do either.
# usage: bench/os_overhead.sh BUILD_DIR [SECONDS]   (BUILD_DIR: a build without sanitizers)
# Needs root (netdata, the cluster owner), apt-get install prometheus-node-exporter netdata curl.
set -euo pipefail

PW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$PW_ROOT/scripts/lib.sh"
BUILD=$(cd "${1:?usage: bench/os_overhead.sh BUILD_DIR [SECONDS]}" && pwd)
SECS=${2:-60}
COLLECTOR=$BUILD/collector/perfwatch-collector
MIGRATE=$BUILD/tools/perfwatch-migrate
[ -x "$COLLECTOR" ] && [ -x "$MIGRATE" ] || pw_die "build $BUILD first (cmake -DCMAKE_BUILD_TYPE=Release)"
if grep -q 'PERFWATCH_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
	pw_die "$BUILD is a sanitizer build: its CPU figures mean nothing"
fi
for t in prometheus-node-exporter netdata curl; do
	command -v "$t" >/dev/null || pw_die "$t missing: apt-get install prometheus-node-exporter netdata curl"
done

TMP=$(mktemp -d /tmp/perfwatch-bench-XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pw_pg_stop "$TMP" || true
	rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# On-CPU nanoseconds of a process: the sum over its threads (/proc/PID/task/*/schedstat; the
# process's own schedstat is its main thread only, which missed two thirds of node_exporter's
# Go threads), and of a process with its descendants. Threads that exit within the window are
# lost, so ticks_ms() cross-checks with the process-wide utime+stime of /proc/PID/stat.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }
ticks_ms() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
tree() {
	local p
	echo "$1"
	for p in $(awk -v pp="$1" '$4 == pp {print $1}' /proc/[0-9]*/stat 2>/dev/null); do tree "$p"; done
}
tree_cpu() {
	local sum=0 p
	for p in $(tree "$1"); do sum=$((sum + $(cpu_ns "$p" 2>/dev/null || echo 0))); done
	echo "$sum"
}
tree_rss() {
	local sum=0 p
	for p in $(tree "$1"); do
		sum=$((sum + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$sum"
}
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

pw_say "PostgreSQL and migrations in $TMP"
pw_ensure_user
PGPORT=$(free_port)
pw_pg_init "$TMP"
pw_pg_start "$TMP" "$PGPORT"
pw_pg_createdb "$TMP" "$PGPORT" perfwatch
conn() { echo "host=$TMP/pgsock port=$PGPORT dbname=perfwatch user=$1"; }
"$MIGRATE" --db "$(conn postgres)" --migrations-dir "$PW_ROOT/migrations" --log-level warn
psql_q() { psql -X -At -h "$TMP/pgsock" -p "$PGPORT" -U postgres -d perfwatch -c "$1"; }
ticks_of() { psql_q "SELECT count(*) FROM tick_samples t JOIN host h ON h.id = t.host_id WHERE h.name = '$1'"; }

pw_say "collector, node_exporter (scraped at 1 Hz), netdata (1 s)"
"$COLLECTOR" --db "$(conn perfwatch_collector)" --hostname bench --log-level warn 2>"$TMP/collector.log" &
COL=$!
PIDS+=("$COL")
"$COLLECTOR" --db "$(conn perfwatch_collector)" --hostname bench-os --perf-counters=off --spool-max-mb 0 \
	--log-level error 2>"$TMP/collector-os.log" &
COL_OS=$!
PIDS+=("$COL_OS")

NE_PORT=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" --log.level=warn \
	2>"$TMP/node_exporter.log" &
NE=$!
PIDS+=("$NE")
(
	while sleep 1; do
		curl -s -o "$TMP/scrape.txt" "http://127.0.0.1:$NE_PORT/metrics" && echo >>"$TMP/scrapes"
	done
) &
PIDS+=("$!")

ND_PORT=$(free_port)
mkdir -p "$TMP/netdata/cache" "$TMP/netdata/log" "$TMP/netdata/lib"
cat >"$TMP/netdata/netdata.conf" <<EOF
[global]
	update every = 1
	memory mode = ram
	run as user = root
[directories]
	cache = $TMP/netdata/cache
	log = $TMP/netdata/log
	lib = $TMP/netdata/lib
[web]
	bind to = 127.0.0.1:$ND_PORT
[registry]
	enabled = no
[cloud]
	enabled = no
[ml]
	enabled = no
EOF
DO_NOT_TRACK=1 netdata -D -c "$TMP/netdata/netdata.conf" >"$TMP/netdata.out" 2>&1 &
ND=$!
PIDS+=("$ND")

sleep 5
# The floor reads exactly the /proc and /sys files the running collector keeps open, and
# statvfs()s the mounts it reports; perf_event fds are not files and are left out.
mapfile -t FILES < <(for fd in /proc/$COL/fd/*; do readlink "$fd"; done | grep -E '^/(proc|sys)/' | sort -u)
mapfile -t MOUNTS < <(psql_q "SELECT DISTINCT mount FROM fs_samples")
FLOOR_ARGS=("${FILES[@]}")
for m in "${MOUNTS[@]}"; do FLOOR_ARGS+=(--statvfs "$m"); done
cc -O2 -o "$TMP/floor" "$PW_ROOT/bench/os_overhead_floor.c"
"$TMP/floor" "${FLOOR_ARGS[@]}" &
FLOOR=$!
PIDS+=("$FLOOR")
sleep 10 # netdata's start-up work is not steady state

o0=$(cpu_ns "$COL_OS"); ko0=$(ticks_of bench-os)
c0=$(cpu_ns "$COL"); f0=$(cpu_ns "$FLOOR"); n0=$(cpu_ns "$NE"); d0=$(tree_cpu "$ND")
ct0=$(ticks_ms "$COL"); nt0=$(ticks_ms "$NE")
s0=$(wc -l <"$TMP/scrapes"); k0=$(ticks_of bench)
pw_say "measuring for $SECS s"
sleep "$SECS"
o1=$(cpu_ns "$COL_OS"); ko1=$(ticks_of bench-os)
c1=$(cpu_ns "$COL"); f1=$(cpu_ns "$FLOOR"); n1=$(cpu_ns "$NE"); d1=$(tree_cpu "$ND")
ct1=$(ticks_ms "$COL"); nt1=$(ticks_ms "$NE")
s1=$(wc -l <"$TMP/scrapes"); k1=$(ticks_of bench)
COL_HWM=$(hwm "$COL"); COL_OS_HWM=$(hwm "$COL_OS"); FLOOR_HWM=$(hwm "$FLOOR"); NE_HWM=$(hwm "$NE"); ND_RSS=$(tree_rss "$ND")
ND_PROCS=$(tree "$ND" | wc -l)
NE_VALUES=$(grep -vc '^#' "$TMP/scrape.txt")
COL_VALUES=$(psql_q "WITH f AS (SELECT perfwatch_frame('bench', ts) AS j FROM tick_samples
	WHERE host_id = (SELECT id FROM host WHERE name = 'bench') ORDER BY ts DESC LIMIT 1)
	SELECT count(*) FROM f, jsonb_path_query(f.j, 'strict \$.**') v
	WHERE jsonb_typeof(v) = 'number'")
ND_DIMS=$(curl -s "http://127.0.0.1:$ND_PORT/api/v1/charts" | python3 -c 'import json, sys
print(sum(len(c["dimensions"]) for c in json.load(sys.stdin)["charts"].values()))' 2>/dev/null || echo '?')

ticks=$((k1 - k0)); scrapes=$((s1 - s0))
ms() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.3f", (b - a) / 1e6 / n }'; }
COL_MS=$(ms "$c0" "$c1" "$ticks"); COL_OS_MS=$(ms "$o0" "$o1" $((ko1 - ko0))); FLOOR_MS=$(ms "$f0" "$f1" "$SECS")
NE_MS=$(ms "$n0" "$n1" "$scrapes"); ND_MS=$(ms "$d0" "$d1" "$SECS")
echo
echo "Window: $SECS s; collector ticks stored: $ticks; node_exporter scrapes: $scrapes."
echo "Floor: ${#FILES[@]} files (${FILES[*]}) and statvfs of: ${MOUNTS[*]}."
echo
echo "| agent | values per sample | CPU ms per sample | peak RSS MB |"
echo "|---|---|---|---|"
echo "| perfwatch-collector (1 s) | $COL_VALUES | $COL_MS | $(awk -v k="$COL_HWM" 'BEGIN{printf "%.1f", k/1024}') |"
echo "| perfwatch-collector --perf-counters=off (1 s) | — | $COL_OS_MS | $(awk -v k="$COL_OS_HWM" 'BEGIN{printf "%.1f", k/1024}') |"
echo "| read floor, kept fds (1 s) | — | $FLOOR_MS | $(awk -v k="$FLOOR_HWM" 'BEGIN{printf "%.1f", k/1024}') |"
echo "| node_exporter 1.5, defaults, scraped at 1 Hz | $NE_VALUES | $NE_MS | $(awk -v k="$NE_HWM" 'BEGIN{printf "%.1f", k/1024}') |"
echo "| netdata (1 s), $ND_PROCS processes | $ND_DIMS dims | $ND_MS | $(awk -v k="$ND_RSS" 'BEGIN{printf "%.1f", k/1024}') (RSS sum) |"
awk -v c="$COL_MS" -v o="$COL_OS_MS" -v f="$FLOOR_MS" -v n="$NE_MS" 'BEGIN {
	printf "\ncollector / floor = %.2f (target <= 2); node_exporter / collector = %.1f (target >= 20)\n",
	       c / f, n / c
	printf "without the perf_event reads (--perf-counters=off): collector / floor = %.2f; node_exporter / collector = %.1f\n",
	       o / f, n / o }'
awk -v ct=$((ct1 - ct0)) -v nt=$((nt1 - nt0)) -v k="$ticks" -v s="$scrapes" 'BEGIN {
	printf "cross-check, utime+stime of /proc/PID/stat (clock ticks): collector %.3f ms per tick, node_exporter %.3f ms per scrape\n",
	       ct / k, nt / s }'

for p in "$COL" "$COL_OS" "$NE" "$ND" "$FLOOR"; do kill -TERM "$p" 2>/dev/null || true; done
pw_say "per source: thread CPU of sample() and encode() per tick (bench/os_sources.c, 30 ticks at 1 s)"
cc -std=c11 -D_GNU_SOURCE -O2 -I"$PW_ROOT" -I"$BUILD/common/gen" -o "$TMP/os_sources" \
	"$PW_ROOT/bench/os_sources.c" "$BUILD/collector/libperfwatch-collector-core.a" \
	"$BUILD/common/libperfwatch-common.a" -ljansson -lpq -lcap -lm
"$TMP/os_sources" 30 2>/dev/null

pw_say "malloc calls per tick in the steady state (two runs at 0.1 s, difference per extra tick)"
cc -O2 -shared -fPIC -o "$TMP/malloc_count.so" "$PW_ROOT/bench/collector/malloc_count.c" -ldl
mrun() {
	LD_PRELOAD="$TMP/malloc_count.so" "$COLLECTOR" --db "$(conn perfwatch_collector)" \
		--hostname bench-malloc --interval 0.1 --log-level info 2>"$TMP/m$1.log" &
	local p=$!
	sleep "$1"
	kill -TERM "$p"
	wait "$p" || true
	grep -o 'stopping after tick [0-9]*' "$TMP/m$1.log" | awk '{print $4}' >"$TMP/ticks$1"
	grep '^malloc_count' "$TMP/m$1.log" | awk '{print $2, $3}' | sort >"$TMP/counts$1"
}
mrun 10
mrun 20
t10=$(cat "$TMP/ticks10"); t20=$(cat "$TMP/ticks20")
echo "runs of $t10 and $t20 ticks:"
join -a1 -a2 -e0 -o 0,1.2,2.2 "$TMP/counts10" "$TMP/counts20" |
	awk -v n1="$t10" -v n2="$t20" '{ printf "  %-48s %8d %8d  %.2f per tick\n", $1, $2, $3,
	       ($3 - $2) / (n2 - n1) }'
