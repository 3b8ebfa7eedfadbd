#!/usr/bin/env bash
# bench/collector/ab.sh: two perfwatch-collector binaries side by side (A/B) at 1 s, writing to
# the same database under different host names, over the same window; prints each one's on-CPU
# time per tick (sum over its threads of /proc/PID/task/*/schedstat) for ROUNDS windows of
# SECONDS each, and the median. Both run at once, so machine noise hits both alike.
# usage: bench/collector/ab.sh CONNINFO COLLECTOR_A COLLECTOR_B [SECONDS] [ROUNDS]
set -euo pipefail
CONN=${1:?usage: ab.sh CONNINFO COLLECTOR_A COLLECTOR_B [SECONDS] [ROUNDS]}
A=${2:?}
B=${3:?}
SECS=${4:-30}
ROUNDS=${5:-3}
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }
"$A" --db "$CONN" --hostname ab-a --log-level warn --spool-max-mb 0 2>/tmp/ab-a.log &
PA=$!
"$B" --db "$CONN" --hostname ab-b --log-level warn --spool-max-mb 0 2>/tmp/ab-b.log &
PB=$!
trap 'kill -TERM $PA $PB 2>/dev/null || true' EXIT
sleep 5
echo "| round | load1 | A us/tick | B us/tick | B/A |"
echo "|---|---|---|---|---|"
ra=(); rb=()
for r in $(seq 1 "$ROUNDS"); do
	a0=$(cpu_ns $PA); b0=$(cpu_ns $PB)
	sleep "$SECS"
	a1=$(cpu_ns $PA); b1=$(cpu_ns $PB)
	ua=$(awk -v x="$a0" -v y="$a1" -v n="$SECS" 'BEGIN{printf "%.1f", (y-x)/1e3/n}')
	ub=$(awk -v x="$b0" -v y="$b1" -v n="$SECS" 'BEGIN{printf "%.1f", (y-x)/1e3/n}')
	ra+=("$ua"); rb+=("$ub")
	echo "| $r | $(cut -d' ' -f1 /proc/loadavg) | $ua | $ub | $(awk -v a="$ua" -v b="$ub" 'BEGIN{printf "%.2f", b/a}') |"
done
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
echo "median: A $(med "${ra[@]}") us/tick, B $(med "${rb[@]}") us/tick"
