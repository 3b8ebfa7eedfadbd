#!/usr/bin/env bash
# Start a Docker engine by hand on a machine without systemd, and stop exactly that engine again.
#
#   scripts/docker-engine.sh install  apt-get install docker.io docker-compose debootstrap if missing
#   scripts/docker-engine.sh start    prints "running" when an engine already answers (left alone),
#                                     "started" when this script started one (stop it afterwards)
#   scripts/docker-engine.sh stop     stops the engine that `start` started (by its PID) and undoes
#                                     what dockerd leaves behind: docker0, its iptables chains and
#                                     rules, the FORWARD policy, net.ipv4.ip_forward
#   scripts/docker-engine.sh status   says whether an engine answers and whether we started it
#
# State (PID, log, what the machine looked like before) lives in $PERFWATCH_DOCKER_STATE_DIR
# (default /run/perfwatch-docker). A flock serialises concurrent start/stop calls.
set -euo pipefail

STATE_DIR=${PERFWATCH_DOCKER_STATE_DIR:-/run/perfwatch-docker}
START_TIMEOUT=${PERFWATCH_DOCKER_START_TIMEOUT:-60}
STOP_TIMEOUT=${PERFWATCH_DOCKER_STOP_TIMEOUT:-40}
LOCK_FILE=/run/lock/perfwatch-docker-engine.lock

say() { echo "docker-engine: $*" >&2; }
die() { say "$*"; exit 1; }

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root to start dockerd and restore iptables"
}

engine_answers() {
	timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

lock() {
	mkdir -p "$(dirname "$LOCK_FILE")"
	exec 9>"$LOCK_FILE"
	flock -w 120 9 || die "timed out waiting for $LOCK_FILE"
}

cmd_install() {
	need_root
	local missing=()
	command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
	command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
	command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
	if [ ${#missing[@]} -eq 0 ]; then
		say "docker.io, docker-compose and debootstrap are installed"
		return 0
	fi
	say "installing ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" iptables >/dev/null
	# The package enables a systemd unit; without systemd nothing starts, which is what we want.
}

# Records what the machine looks like before dockerd touches it, so that stop restores only that.
snapshot_before() {
	cat /proc/sys/net/ipv4/ip_forward >"$STATE_DIR/ip_forward"
	if ip link show docker0 >/dev/null 2>&1; then echo yes; else echo no; fi >"$STATE_DIR/docker0"
	for t in filter nat; do
		iptables -t "$t" -S >"$STATE_DIR/iptables.$t" 2>/dev/null || : >"$STATE_DIR/iptables.$t"
	done
	bridges >"$STATE_DIR/bridges"
}

# Bridges named like the ones docker makes for user-defined networks (br-<12 hex digits>).
bridges() {
	ip -o link show type bridge 2>/dev/null | awk -F': ' '$2 ~ /^br-[0-9a-f]+$/ { print $2 }'
}

cmd_start() {
	need_root
	lock
	if engine_answers; then
		say "an engine already answers on ${DOCKER_HOST:-unix:///var/run/docker.sock}; leaving it alone"
		echo running
		return 0
	fi
	command -v dockerd >/dev/null 2>&1 || die "dockerd not found: run '$0 install' first"
	if [ -f "$STATE_DIR/dockerd.pid" ] && kill -0 "$(cat "$STATE_DIR/dockerd.pid")" 2>/dev/null; then
		die "dockerd $(cat "$STATE_DIR/dockerd.pid") started earlier does not answer: see $STATE_DIR/dockerd.log"
	fi
	mkdir -p "$STATE_DIR"
	snapshot_before
	# setsid: the engine outlives this shell and its process group; 9>&-: it must not hold our lock.
	setsid dockerd --storage-driver=overlay2 >"$STATE_DIR/dockerd.log" 2>&1 </dev/null 9>&- &
	local pid=$!
	echo "$pid" >"$STATE_DIR/dockerd.pid"
	local t0=$SECONDS
	while ! engine_answers; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$STATE_DIR/dockerd.log" >&2
			cleanup_after "$pid"
			die "dockerd exited during start-up (log above)"
		fi
		if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
			tail -n 20 "$STATE_DIR/dockerd.log" >&2
			stop_pid "$pid"
			die "dockerd did not answer within ${START_TIMEOUT}s"
		fi
		sleep 0.3
	done
	say "dockerd $pid ready in $((SECONDS - t0))s (log: $STATE_DIR/dockerd.log)"
	echo started
}

# The PIDs of everything below $1 (dockerd runs its own containerd and shims).
descendants() {
	local kids
	kids=$(pgrep -P "$1" 2>/dev/null || true)
	for k in $kids; do
		echo "$k"
		descendants "$k"
	done
}

stop_pid() {
	local pid=$1 kids
	kids=$(descendants "$pid")
	kill -TERM "$pid" 2>/dev/null || true
	local t0=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		if [ $((SECONDS - t0)) -ge "$STOP_TIMEOUT" ]; then
			say "dockerd $pid still running after ${STOP_TIMEOUT}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.2
	done
	# dockerd normally takes its containerd with it; make sure, by the PIDs seen while it ran.
	sleep 0.5
	for k in $kids; do
		if kill -0 "$k" 2>/dev/null; then
			say "left-over child $k ($(tr '\0' ' ' </proc/"$k"/cmdline 2>/dev/null | cut -c1-60)): SIGTERM"
			kill -TERM "$k" 2>/dev/null || true
		fi
	done
	cleanup_after "$pid"
}

# Deletes the iptables rules and chains that exist now but did not before start.
restore_iptables() {
	local t line chain
	for t in filter nat; do
		local before="$STATE_DIR/iptables.$t"
		[ -f "$before" ] || continue
		# Rules first (they reference the chains), bottom-up so positions do not shift under us.
		iptables -t "$t" -S 2>/dev/null | grep '^-A ' | tac | while IFS= read -r line; do
			grep -qxF -- "$line" "$before" && continue
			case "$line" in
			*DOCKER* | *docker0* | *br-*) ;;
			*) continue ;;
			esac
			local -a spec
			read -r -a spec <<<"${line#-A }"
			iptables -t "$t" -D "${spec[@]}" 2>/dev/null || say "could not delete ($t) $line"
		done
		iptables -t "$t" -S 2>/dev/null | grep '^-N ' | while IFS= read -r line; do
			grep -qxF -- "$line" "$before" && continue
			chain=${line#-N }
			case "$chain" in DOCKER*) ;; *) continue ;; esac
			iptables -t "$t" -F "$chain" 2>/dev/null || true
		done
		iptables -t "$t" -S 2>/dev/null | grep '^-N ' | while IFS= read -r line; do
			grep -qxF -- "$line" "$before" && continue
			chain=${line#-N }
			case "$chain" in DOCKER*) ;; *) continue ;; esac
			iptables -t "$t" -X "$chain" 2>/dev/null || say "could not delete chain ($t) $chain"
		done
		# dockerd sets the FORWARD policy to DROP when it turns on forwarding.
		local policy
		for chain in INPUT FORWARD OUTPUT; do
			[ "$t" = filter ] || continue
			policy=$(awk -v c="$chain" '$1 == "-P" && $2 == c { print $3 }' "$before")
			if [ -n "$policy" ]; then iptables -t filter -P "$chain" "$policy"; fi
		done
	done
}

cleanup_after() {
	local pid=$1
	[ -f "$STATE_DIR/ip_forward" ] || return 0
	restore_iptables
	if [ "$(cat "$STATE_DIR/docker0")" = no ] && ip link show docker0 >/dev/null 2>&1; then
		ip link delete docker0 || say "could not delete docker0"
	fi
	# Bridges of networks that were not removed (a crash, a forgotten `down`).
	local br
	for br in $(bridges); do
		grep -qxF "$br" "$STATE_DIR/bridges" 2>/dev/null && continue
		ip link delete "$br" || say "could not delete $br"
	done
	cat "$STATE_DIR/ip_forward" >/proc/sys/net/ipv4/ip_forward
	rm -f "$STATE_DIR/ip_forward" "$STATE_DIR/docker0" "$STATE_DIR/bridges" "$STATE_DIR"/iptables.* "$STATE_DIR/dockerd.pid"
	say "dockerd $pid stopped; docker0, iptables and ip_forward restored"
}

cmd_stop() {
	need_root
	lock
	if [ ! -f "$STATE_DIR/dockerd.pid" ]; then
		say "no engine started by this script ($STATE_DIR/dockerd.pid absent): nothing to stop"
		return 0
	fi
	local pid
	pid=$(cat "$STATE_DIR/dockerd.pid")
	if kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ]; then
		stop_pid "$pid"
	else
		say "dockerd $pid is gone already; restoring the machine"
		cleanup_after "$pid"
	fi
}

cmd_status() {
	if engine_answers; then
		echo "engine: answers (server $(docker version --format '{{.Server.Version}}' 2>/dev/null))"
	else
		echo "engine: none answers"
	fi
	if [ -f "$STATE_DIR/dockerd.pid" ]; then
		echo "started by this script: PID $(cat "$STATE_DIR/dockerd.pid")"
	fi
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 install|start|stop|status" >&2
	exit 2
	;;
esac
