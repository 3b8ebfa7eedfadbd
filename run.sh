#!/usr/bin/env bash
# run.sh: build PerfWatch and run it locally (PostgreSQL cluster in the state directory,
# migrations, collector, API server). Usage: ./run.sh [run|start|stop|status|logs]
#   run (default)  start everything in the foreground; Ctrl-C stops what it started
#   start          the same, then return (stop it later with ./run.sh stop)
# Environment: PERFWATCH_STATE_DIR (.state), PERFWATCH_PG_PORT (54329), PERFWATCH_HTTP_ADDR,
# PERFWATCH_HTTP_PORT, PERFWATCH_WS_PORT, PERFWATCH_JOBS (2), and every PERFWATCH_* key the
# binaries document in --help.
set -euo pipefail

PW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$PW_ROOT/scripts/lib.sh"

STATE=$(mkdir -p "${PERFWATCH_STATE_DIR:-$PW_ROOT/.state}" && cd "${PERFWATCH_STATE_DIR:-$PW_ROOT/.state}" && pwd)
# The addresses of the last start: status, stop and the next start find the same stack without
# the environment being given again (the environment still wins).
SETTINGS=$STATE/settings.sh
SAVED_PG_PORT='' SAVED_HTTP_ADDR='' SAVED_HTTP_PORT='' SAVED_WS_PORT=''
[ -f "$SETTINGS" ] && . "$SETTINGS"
PGPORT=${PERFWATCH_PG_PORT:-${SAVED_PG_PORT:-54329}}
BUILD=$PW_ROOT/build
HTTP_ADDR=${PERFWATCH_HTTP_ADDR:-${SAVED_HTTP_ADDR:-127.0.0.1}}
HTTP_PORT=${PERFWATCH_HTTP_PORT:-${SAVED_HTTP_PORT:-8470}}
WS_PORT=${PERFWATCH_WS_PORT:-${SAVED_WS_PORT:-8471}}
printf "SAVED_PG_PORT=%q SAVED_HTTP_ADDR=%q SAVED_HTTP_PORT=%q SAVED_WS_PORT=%q\n" \
	"$PGPORT" "$HTTP_ADDR" "$HTTP_PORT" "$WS_PORT" >"$SETTINGS"
RUN=$STATE/run
LOGS=$STATE/log
SOCK=$STATE/pgsock
COLLECTOR=$BUILD/collector/perfwatch-collector
API=$BUILD/apiserver/perfwatch-api

conninfo() { echo "host='$SOCK' port=$PGPORT dbname=perfwatch user=$1"; }

# pid_alive NAME: true when RUN/NAME.pid names a live process running the expected binary.
pid_alive() {
	local pid exe
	[ -f "$RUN/$1.pid" ] || return 1
	pid=$(cat "$RUN/$1.pid")
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[ "$(basename "${exe% (deleted)}")" = "perfwatch-$1" ]
}

stop_one() {
	local name="$1" pid i
	if ! pid_alive "$name"; then
		rm -f "$RUN/$name.pid"
		return 0
	fi
	pid=$(cat "$RUN/$name.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		pw_say "$name did not stop in 10 s: killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$RUN/$name.pid"
	pw_say "stopped $name"
}

do_stop() {
	stop_one api
	stop_one collector
	if [ -f "$RUN/postgres.started" ]; then
		pw_pg_stop "$STATE"
		rm -f "$RUN/postgres.started"
		pw_say "stopped PostgreSQL"
	fi
}

do_status() {
	local name rc=0
	for name in collector api; do
		if pid_alive "$name"; then
			echo "$name: running (pid $(cat "$RUN/$name.pid"))"
		else
			echo "$name: stopped"
			rc=3
		fi
	done
	if pw_pg_running "$STATE" "$PGPORT"; then
		echo "postgres: running (socket $SOCK, port $PGPORT)"
	else
		echo "postgres: stopped"
		rc=3
	fi
	echo "dashboard: http://$HTTP_ADDR:$HTTP_PORT/"
	return $rc
}

build() {
	pw_ensure_packages "${PW_BUILD_PACKAGES[@]}"
	pw_ensure_user
	pw_say "building (cmake, $BUILD)"
	cmake -S "$PW_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPERFWATCH_TESTS=OFF >/dev/null
	cmake --build "$BUILD" -j "${PERFWATCH_JOBS:-2}" >/dev/null
	if [ -f "$PW_ROOT/frontend/package.json" ]; then
		pw_ensure_node "$STATE/toolchain"
		pw_say "building the dashboard (frontend/)"
		{ pw_npm_ci "$PW_ROOT/frontend" && (cd "$PW_ROOT/frontend" && npm run build); } \
			>"$LOGS/frontend-build.log" 2>&1 ||
			{ tail -n 30 "$LOGS/frontend-build.log" >&2; pw_die "frontend build failed (log: $LOGS/frontend-build.log)"; }
	fi
	for b in "$BUILD/tools/perfwatch-migrate" "$COLLECTOR" "$API"; do
		[ -x "$b" ] || pw_die "$b was not built"
	done
}

database() {
	pw_pg_init "$STATE"
	if ! pw_pg_running "$STATE" "$PGPORT"; then
		pw_pg_start "$STATE" "$PGPORT"
		touch "$RUN/postgres.started"
	fi
	pw_pg_createdb "$STATE" "$PGPORT" perfwatch
	"$BUILD/tools/perfwatch-migrate" --db "$(conninfo postgres)" 2>&1 | tee -a "$LOGS/migrate.log" >&2
	[ "${PIPESTATUS[0]}" -eq 0 ] || pw_die "migration failed"
}

start_services() {
	pid_alive collector && pw_die "the collector is running already (./run.sh stop first)"
	pid_alive api && pw_die "the API server is running already (./run.sh stop first)"
	pw_is_root || pw_say "not root: the collector may lack the privileges for hardware counters"
	# setsid: the terminal's Ctrl-C goes to run.sh alone, which then stops everything in order.
	(exec setsid "$COLLECTOR" --db "$(conninfo perfwatch_collector)" --spool-dir "$STATE/spool") >>"$LOGS/collector.log" 2>&1 &
	echo $! >"$RUN/collector.pid"
	pw_owner_prefix
	API_LOG_START=$(stat -c %s "$LOGS/api.log" 2>/dev/null || echo 0)
	(exec setsid "${PW_AS_OWNER[@]}" "$API" --db "$(conninfo perfwatch_api)" \
		--http-addr "$HTTP_ADDR" --http-port "$HTTP_PORT" --ws-port "$WS_PORT" \
		--static-dir "$PW_ROOT/frontend/dist") >>"$LOGS/api.log" 2>&1 &
	echo $! >"$RUN/api.pid"
	wait_healthy
}

wait_healthy() {
	local i name
	for i in $(seq 1 300); do
		for name in collector api; do
			if ! pid_alive "$name"; then
				tail -n 20 "$LOGS/$name.log" >&2
				do_stop
				pw_die "$name exited during start (log: $LOGS/$name.log)"
			fi
		done
		curl -fsS -o /dev/null "http://$HTTP_ADDR:$HTTP_PORT/healthz" 2>/dev/null && return 0
		sleep 0.1
	done
	do_stop
	pw_die "the API server did not become healthy in 30 s (log: $LOGS/api.log)"
}

announce() {
	local log
	pw_say "PerfWatch is running: http://$HTTP_ADDR:$HTTP_PORT/"
	# This start's lines only: a generated first password is printed once, at the first start.
	log=$(tail -c +"$((${API_LOG_START:-0} + 1))" "$LOGS/api.log" 2>/dev/null || true)
	if grep -q "first login: user '.*', password" <<<"$log"; then
		pw_say "login: $(grep -o "user '.*', password '[^']*'" <<<"$log" | head -n 1) (shown once)"
	elif [ -n "${PERFWATCH_ADMIN_PASSWORD:-}" ] && ! grep -q 'PERFWATCH_ADMIN_PASSWORD ignored' <<<"$log"; then
		pw_say "login: user '${PERFWATCH_ADMIN_USER:-admin}' with the password you set (PERFWATCH_ADMIN_PASSWORD)"
	else
		pw_say "login: the user and password from the first start (reset one: $API user passwd NAME --db \"$(conninfo perfwatch_api)\")"
	fi
	echo "logs: $LOGS   stop: ./run.sh stop   status: ./run.sh status" >&2
}

foreground() {
	local name
	trap 'echo >&2; do_stop; exit 130' INT TERM
	pw_say "Ctrl-C stops everything"
	while :; do
		for name in collector api; do
			if ! pid_alive "$name"; then
				tail -n 20 "$LOGS/$name.log" >&2
				do_stop
				pw_die "$name exited (log: $LOGS/$name.log)"
			fi
		done
		sleep 1 &
		wait $! || true
	done
}

main() {
	local cmd="${1:-run}"
	mkdir -p "$RUN" "$LOGS"
	case "$cmd" in
	run | start)
		build
		database
		start_services
		announce
		if [ "$cmd" = run ]; then foreground; fi
		;;
	stop) do_stop ;;
	status) do_status ;;
	logs) tail -n 50 -F "$LOGS/collector.log" "$LOGS/api.log" ;;
	-h | --help | help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' ;;
	*) pw_die "unknown command '$cmd' (run, start, stop, status, logs)" ;;
	esac
}

main "$@"
