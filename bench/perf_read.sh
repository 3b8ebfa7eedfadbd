#!/bin/sh
# Builds bench/perf_read.c against a build directory's libraries (-O2, no sanitizers) and runs it:
# the perf source's sample() timed at a real interval. Run as root (system-wide counters).
# usage: bench/perf_read.sh BUILD_DIR [TICKS [INTERVAL_MS [--frame]]]
#        bench/perf_read.sh BUILD_DIR --ring TICKS INTERVAL_MS
#        bench/perf_read.sh BUILD_DIR --sample-cost PERIOD_US WINDOWS WINDOW_MS
set -eu
build=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$root" -o "$tmp/perf_read" \
	"$root/bench/perf_read.c" "$build/collector/libperfwatch-collector-core.a" \
	"$build/common/libperfwatch-common.a" -ljansson -lpq -lpthread -lm
"$tmp/perf_read" "$@"
