#!/bin/sh
# Measures perfwatch-collector: CPU time and RSS per tick at 1 Hz, and malloc calls per tick
# (by calling library) from two runs of different length. Needs a migrated database.
# usage: bench/collector/measure.sh BUILD_DIR CONNINFO [SECONDS]
set -eu
build=$1
db=$2
secs=${3:-60}
bin=$build/collector/perfwatch-collector
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -shared -fPIC -o "$tmp/malloc_count.so" "$here/malloc_count.c" -ldl
hz=$(getconf CLK_TCK)

# CPU: utime+stime (fields 14, 15 of /proc/PID/stat; jiffies, coarse) and schedstat's on-CPU
# nanoseconds over `secs` ticks after a 5 s warm-up.
"$bin" --db "$db" --hostname bench-cpu --log-level warn 2>"$tmp/cpu.log" &
pid=$!
sleep 5
t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
s0=$(awk '{print $1}' /proc/$pid/schedstat)
sleep "$secs"
t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
s1=$(awk '{print $1}' /proc/$pid/schedstat)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
kill -TERM $pid
wait $pid
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v n="$secs" 'BEGIN {
	printf "cpu: %d jiffies over %d ticks = %.3f ms CPU per tick (utime+stime, CLK_TCK %d)\n",
	       b - a, n, (b - a) * 1000 / hz / n, hz }'
awk -v a="$s0" -v b="$s1" -v n="$secs" 'BEGIN {
	printf "cpu: %.1f ms on-CPU over %d ticks = %.3f ms per tick (/proc/PID/schedstat, ns)\n",
	       (b - a) / 1e6, n, (b - a) / 1e6 / n }'
echo "rss: VmRSS ${rss} kB, VmHWM ${hwm} kB"

# malloc: N and 2N ticks at 0.1 s; the difference divided by the extra ticks is per tick.
run() {
	LD_PRELOAD="$tmp/malloc_count.so" "$bin" --db "$db" --hostname bench-malloc \
		--interval 0.1 --log-level info 2>"$tmp/m$1.log" &
	p=$!
	sleep "$1"
	kill -TERM $p
	wait $p
	grep -o 'stopping after tick [0-9]*' "$tmp/m$1.log" | awk '{print $4}' >"$tmp/ticks$1"
	grep '^malloc_count' "$tmp/m$1.log" | awk '{print $2, $3}' | sort >"$tmp/counts$1"
}
run 10
run 20
n1=$(cat "$tmp/ticks10")
n2=$(cat "$tmp/ticks20")
echo "malloc calls per tick in the steady state (runs of $n1 and $n2 ticks), by caller:"
join -a1 -a2 -e0 -o 0,1.2,2.2 "$tmp/counts10" "$tmp/counts20" |
	awk -v n1="$n1" -v n2="$n2" '{ printf "  %-50s %8d %8d  %.2f/tick\n", $1, $2, $3,
	       ($3 - $2) / (n2 - n1) }'
