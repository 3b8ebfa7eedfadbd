#!/usr/bin/env bash
# scripts/fuzz.sh: builds the libFuzzer targets (fuzz/) with clang + ASan + UBSan in build-fuzz/
# and runs each for N seconds, starting from fuzz/corpus/<target>/ (new inputs go to a scratch
# copy, so the repository's seeds only change on purpose). Usage:
#   scripts/fuzz.sh [SECONDS_PER_TARGET (60)] [TARGET...]
# Environment: PERFWATCH_FUZZ_BUILD_DIR (build-fuzz), PERFWATCH_JOBS (2), PERFWATCH_FUZZ_OUT
# (a scratch directory; crashes are written there as crash-*). Exits 1 when a target crashed.
set -euo pipefail

PW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PERFWATCH_FUZZ_BUILD_DIR:-$PW_ROOT/build-fuzz}
OUT=${PERFWATCH_FUZZ_OUT:-$(mktemp -d /tmp/perfwatch-fuzz.XXXXXX)}
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_query_params fuzz_auth fuzz_conf fuzz_procfs)

command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 2; }
CC=clang cmake -S "$PW_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPERFWATCH_FUZZ=ON \
	-DPERFWATCH_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "${PERFWATCH_JOBS:-2}" --target "${TARGETS[@]}" >/dev/null

failed=()
printf '%-20s %8s %12s %10s %6s\n' target seconds executions exec/s cov
for t in "${TARGETS[@]}"; do
	mkdir -p "$OUT/$t/corpus"
	cp -n "$PW_ROOT/fuzz/corpus/$t/"* "$OUT/$t/corpus/" 2>/dev/null || true
	# -rss_limit_mb: a parser that allocates without bound is a finding, not a slow run.
	if ! (cd "$OUT/$t" && "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 \
		-rss_limit_mb=1024 -timeout=10 -print_final_stats=1 -artifact_prefix="$OUT/$t/" \
		corpus >"$OUT/$t/log" 2>&1); then
		failed+=("$t")
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$t/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$OUT/$t/log")
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$t/log" | tail -n 1 | cut -d' ' -f2)
	printf '%-20s %8s %12s %10s %6s\n' "$t" "$SECONDS_EACH" "${execs:-?}" "${rate:-?}" "${cov:-?}"
done
echo "logs, grown corpora and any crash-* inputs: $OUT"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz.sh: crashed: ${failed[*]} (reproduce: $BUILD/fuzz/<target> $OUT/<target>/crash-*)" >&2
	exit 1
fi
