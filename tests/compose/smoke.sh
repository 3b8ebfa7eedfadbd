#!/usr/bin/env bash
# Compose smoke test (ctest label `compose`): build every image, `up -d`, wait for health, see
# ticks over the WebSocket and in /api/v1/query describing this host (tests/compose/check.js),
# check the containers' privileges, `down -v`, and leave the machine as it was: the engine this
# test started is stopped by PID (scripts/docker-engine.sh), the images it made are removed.
#
# Exit 77 (ctest: skipped) when no engine can be had here (not root, or Docker not installed and
# not CI); with CI=true missing packages are installed and nothing is skipped.
# Environment:
#   PERFWATCH_COMPOSE_SRC=worktree|head  build the working tree (default) or `git archive HEAD`
#   PERFWATCH_COMPOSE_KEEP_IMAGES=1      keep the images (and so the build cache) for the next run
#   PERFWATCH_EXTRA_CA_CERTS             PEM the npm step must trust (default: the host's
#                                        /usr/local/share/ca-certificates/*.crt, if any)
set -euo pipefail

PW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$PW_ROOT/scripts/lib.sh"

ART=$PW_ROOT/tests/artifacts/compose
PROJECT=pwsmoke$$
TAG=smoke$$
KEEP=${PERFWATCH_COMPOSE_KEEP_IMAGES:-0}
HEALTH_TIMEOUT=180

say() { printf '\033[1m[compose] %s\033[0m\n' "$*" >&2; }
skip() { say "SKIPPED: $*"; exit 77; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

# ---- an engine, the tools, the base image -------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	timeout 10 docker version >/dev/null 2>&1 || skip "not root and no Docker engine answers"
fi
if ! command -v docker-compose >/dev/null || ! command -v dockerd >/dev/null ||
	! command -v debootstrap >/dev/null; then
	[ "${CI:-}" = true ] || skip "docker.io, docker-compose or debootstrap missing" \
		"(scripts/docker-engine.sh install; CI installs them)"
	"$PW_ROOT/scripts/docker-engine.sh" install
fi
pw_ensure_node "$PW_ROOT/.state/toolchain"
[ -d "$PW_ROOT/tests/node_modules/ws" ] || pw_npm_ci "$PW_ROOT/tests"

# One smoke test per machine at a time: they would share (and stop) one engine and one port range.
exec 8>/tmp/perfwatch-compose-smoke.lock
if ! flock -n 8; then
	say "another compose smoke test runs on this machine: waiting (at most 15 min)"
	flock -w 900 8 || { say "still locked after 15 min"; exit 1; }
fi
mkdir -p "$ART"
rm -f "$ART"/*.log "$ART"/summary.txt
engine_started=0
base_made=0
stack=0
src=$PW_ROOT
snapshot=

compose() { docker-compose -p "$PROJECT" -f "$src/docker-compose.yml" --project-directory "$src" "$@"; }

cleanup() {
	local rc=$?
	set +e
	if [ "$stack" = 1 ]; then
		if [ "$rc" -ne 0 ]; then
			compose ps >"$ART/ps.log" 2>&1
			compose logs --no-color >"$ART/compose.log" 2>&1
			say "failed: logs in $ART/compose.log"
		fi
		say "down -v"
		local t0 dangling
		t0=$(now_ms)
		compose down -v --remove-orphans --timeout 10 >"$ART/down.log" 2>&1 ||
			{ cat "$ART/down.log" >&2; rc=1; }
		echo "down_s $(secs $(($(now_ms) - t0)))" >>"$ART/summary.txt"
		if [ "$KEEP" != 1 ]; then
			docker rmi perfwatch-{db,migrate,collector,api}:"$TAG" >/dev/null 2>&1
			# The build stages' images (untagged once built) this run left, not older ones.
			dangling=$(comm -13 <(echo "$images_before") \
				<(docker images -q --no-trunc -f dangling=true | sort))
			[ -n "$dangling" ] && docker rmi $dangling >/dev/null 2>&1
		fi
	fi
	if [ "$KEEP" != 1 ] && [ "$base_made" = 1 ]; then
		docker rmi debian:bookworm-slim >/dev/null 2>&1
	fi
	[ -n "$snapshot" ] && rm -rf "$snapshot"
	if [ "$engine_started" = 1 ]; then
		"$PW_ROOT/scripts/docker-engine.sh" stop || rc=1
	fi
	[ -f "$ART/summary.txt" ] && sed 's/^/    /' "$ART/summary.txt" >&2
	if [ "$rc" -eq 0 ]; then echo "compose smoke: 1 passed, 0 failed"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 8>&-: a dockerd started here must not hold this test's lock.
if [ "$("$PW_ROOT/scripts/docker-engine.sh" start 8>&-)" = started ]; then
	engine_started=1
fi
docker image inspect debian:bookworm-slim >/dev/null 2>&1 || base_made=1
"$PW_ROOT/scripts/docker-base-image.sh"
images_before=$(docker images -q --no-trunc -f dangling=true | sort)

if [ "${PERFWATCH_COMPOSE_SRC:-worktree}" = head ]; then
	snapshot=$(mktemp -d /var/tmp/perfwatch-compose-src.XXXXXX)
	git -C "$PW_ROOT" archive HEAD | tar -x -C "$snapshot"
	src=$snapshot
	say "building the committed tree (git archive HEAD $(git -C "$PW_ROOT" rev-parse --short HEAD))"
fi

# ---- configuration: free ports, fresh passwords, this run's image tag ---------------------------
free_port() {
	local p=$1
	while ss -Htln "sport = :$p" | grep -q . || ss -Htln "sport = :$((p + 1))" | grep -q .; do
		p=$((p + 2))
	done
	echo "$p"
}
rand() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
export PERFWATCH_IMAGE_TAG=$TAG PERFWATCH_BIND=127.0.0.1
export PERFWATCH_HTTP_PORT PERFWATCH_WS_PORT
PERFWATCH_HTTP_PORT=$(free_port 18470)
PERFWATCH_WS_PORT=$((PERFWATCH_HTTP_PORT + 1))
export PERFWATCH_DB_OWNER_PASSWORD=$(rand) PERFWATCH_COLLECTOR_DB_PASSWORD=$(rand)
export PERFWATCH_API_DB_PASSWORD=$(rand) PERFWATCH_INTERVAL=1 PERFWATCH_HOSTNAME= PERFWATCH_LOG_LEVEL=info
export PERFWATCH_ADMIN_PASSWORD=
if [ -z "${PERFWATCH_EXTRA_CA_CERTS:-}" ] && compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
	PERFWATCH_EXTRA_CA_CERTS=$(cat /usr/local/share/ca-certificates/*.crt)
	export PERFWATCH_EXTRA_CA_CERTS
fi

command -v curl >/dev/null || pw_ensure_packages curl

# ---- build, up, health --------------------------------------------------------------------------
say "build (log: $ART/build.log)"
stack=1
t0=$(now_ms)
compose build --force-rm >"$ART/build.log" 2>&1 || { tail -n 40 "$ART/build.log" >&2; exit 1; }
build_ms=$(($(now_ms) - t0))

say "up -d (HTTP on 127.0.0.1:$PERFWATCH_HTTP_PORT, WebSocket on $PERFWATCH_WS_PORT)"
up_ms=$(now_ms)
compose up -d --no-build >"$ART/up.log" 2>&1 || { cat "$ART/up.log" >&2; exit 1; }
api=$(compose ps -q api)
db=$(compose ps -q db)
# Serving: /healthz says the API server is up and has its database.
until curl -sf "http://127.0.0.1:$PERFWATCH_HTTP_PORT/healthz" 2>/dev/null | grep -q '"db":"up"'; do
	if [ $(($(now_ms) - up_ms)) -gt $((HEALTH_TIMEOUT * 1000)) ]; then
		say "no healthy /healthz ${HEALTH_TIMEOUT}s after up"
		exit 1
	fi
	sleep 0.2
done
serving_ms=$(($(now_ms) - up_ms))
say "api serving $(secs "$serving_ms")s after up"
[ "$(compose ps -q migrate | xargs docker inspect -f '{{.State.ExitCode}}')" = 0 ]

# ---- what a user sees ---------------------------------------------------------------------------
# PERFWATCH_ADMIN_PASSWORD is empty, as in .env.example: the API server generates the first admin's
# password and prints it once in its log, where a user finds it.
first_login=$(compose logs --no-color api | grep "first login: user '" || true)
[ "$(printf '%s\n' "$first_login" | grep -c .)" = 1 ] ||
	{ say "want one 'first login' line with the password in the api log, got: $first_login"; exit 1; }
admin_user=$(printf '%s' "$first_login" | sed -n "s/.*first login: user '\([^']*\)', password '.*/\1/p")
admin_password=$(printf '%s' "$first_login" | sed -n "s/.*, password '\([^']*\)'.*/\1/p")
[ -n "$admin_user" ] && [ -n "$admin_password" ] || { say "cannot parse: $first_login"; exit 1; }
summary=$(cd "$PW_ROOT/tests" && PW_HTTP_PORT=$PERFWATCH_HTTP_PORT PW_WS_PORT=$PERFWATCH_WS_PORT \
	PW_UP_START_MS=$up_ms PW_ADMIN_USER=$admin_user PW_ADMIN_PASSWORD=$admin_password \
	node "$PW_ROOT/tests/compose/check.js")
say "check: $summary"

# ---- Docker's own health checks (every 30 s) turn green for db and api -------------------------
while :; do
	hdb=$(docker inspect -f '{{.State.Health.Status}}' "$db")
	hapi=$(docker inspect -f '{{.State.Health.Status}}' "$api")
	[ "$hdb" = healthy ] && [ "$hapi" = healthy ] && break
	if [ $(($(now_ms) - up_ms)) -gt $((HEALTH_TIMEOUT * 1000)) ]; then
		say "health after ${HEALTH_TIMEOUT}s: db '$hdb', api '$hapi'"
		exit 1
	fi
	sleep 0.5
done
healthy_ms=$(($(now_ms) - up_ms))

# ---- least privilege, as the kernel sees it -----------------------------------------------------
# $1 container, $2 command name: the host PID of that process in the container.
pid_of() { docker top "$1" -eo pid,comm | awk -v c="$2" '$2 == c { print $1; exit }'; }
capeff() { awk '/^CapEff:/ { print $2 }' "/proc/$1/status"; }
capprm() { awk '/^CapPrm:/ { print $2 }' "/proc/$1/status"; }
uid_of() { awk '/^Uid:/ { print $3 }' "/proc/$1/status"; }
collector=$(compose ps -q collector)
cpid=$(pid_of "$collector" perfwatch-colle)
apid=$(pid_of "$api" perfwatch-api)
[ -n "$cpid" ] && [ -n "$apid" ] || { say "collector or api process not found"; exit 1; }
# The container grants CAP_SYS_ADMIN alone (bit 21); check.js saw the software counters it opens
# with it; after start-up the collector drops what it no longer needs, so it holds a subset.
[ "$(docker inspect -f '{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}}' "$collector")" = "[SYS_ADMIN] [ALL]" ] ||
	{ say "collector caps: $(docker inspect -f '{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}}' "$collector")"; exit 1; }
[ $((0x$(capprm "$cpid") & ~0x200000)) -eq 0 ] ||
	{ say "collector CapPrm $(capprm "$cpid"): more than CAP_SYS_ADMIN"; exit 1; }
[ "$(uid_of "$apid")" != 0 ] && [ "$(capeff "$apid")" = 0000000000000000 ] ||
	{ say "api runs as uid $(uid_of "$apid") with CapEff $(capeff "$apid")"; exit 1; }
for c in $(compose ps -q); do
	[ "$(docker inspect -f '{{.HostConfig.Privileged}}' "$c")" = false ] ||
		{ say "$c is privileged"; exit 1; }
done

# ---- figures ------------------------------------------------------------------------------------
{
	echo "build_s $(secs "$build_ms")"
	for i in db migrate collector api; do
		echo "image_${i}_mb $(docker image inspect -f '{{.Size}}' "perfwatch-$i:$TAG" |
			awk '{ printf "%.1f", $1 / 1e6 }')"
	done
	echo "up_to_serving_s $(secs "$serving_ms")"
	echo "up_to_docker_healthy_s $(secs "$healthy_ms")"
	echo "check $summary"
} >>"$ART/summary.txt"
