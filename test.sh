#!/usr/bin/env bash
# test.sh: run every test. Installs what is missing, builds with ASan+UBSan in build-test/,
# checks the C formatting, then runs ctest (labels unit, integration, e2e). Usage:
#   ./test.sh                 everything
#   ./test.sh -L unit         any ctest arguments (a label, -R regex, -V ...)
# Environment: PERFWATCH_TEST_BUILD_DIR (build-test), PERFWATCH_JOBS (2).
set -euo pipefail

PW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$PW_ROOT/scripts/lib.sh"

BUILD=${PERFWATCH_TEST_BUILD_DIR:-$PW_ROOT/build-test}
JOBS=${PERFWATCH_JOBS:-2}
failed=()

setup() {
	pw_ensure_packages "${PW_BUILD_PACKAGES[@]}" git chromium sysstat stress-ng fio iperf3
	pw_ensure_user
	pw_ensure_node "$PW_ROOT/.state/toolchain"
	pw_npm_ci "$PW_ROOT/tests"
	if [ -f "$PW_ROOT/frontend/package.json" ]; then
		pw_npm_ci "$PW_ROOT/frontend"
		pw_say "npm run build (frontend/)"
		(cd "$PW_ROOT/frontend" && npm run build --silent) || failed+=("frontend build")
	fi
}

format_check() {
	local files
	pw_say "format check (clang-format --dry-run --Werror)"
	if git -C "$PW_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		files=$(cd "$PW_ROOT" && git ls-files --cached --others --exclude-standard -- '*.c' '*.h')
	else
		files=$(cd "$PW_ROOT" && find . -path ./build\* -prune -o -path '*/node_modules' -prune -o \
			\( -name '*.c' -o -name '*.h' \) -print)
	fi
	(cd "$PW_ROOT" && echo "$files" | xargs -r clang-format --dry-run --Werror) || failed+=("format check")
}

build() {
	pw_say "building with ASan+UBSan in $BUILD"
	cmake -S "$PW_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPERFWATCH_SANITIZE=ON >/dev/null
	cmake --build "$BUILD" -j "$JOBS"
}

run_ctest() {
	pw_say "ctest $*"
	export PERFWATCH_BUILD_DIR=$BUILD
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
	(cd "$BUILD" && ctest --output-on-failure "$@") || failed+=("ctest")
}

setup
format_check
build
run_ctest "$@"
if [ ${#failed[@]} -gt 0 ]; then
	printf '\033[1;31mFAILED: %s\033[0m\n' "${failed[*]}" >&2
	exit 1
fi
printf '\033[1;32mall tests passed\033[0m\n' >&2
