#!/bin/sh
# History benchmark (issue 5): N days of generated 1 Hz samples (~250 series over every
# *_samples table of migrations 001-003) in a throw-away PostgreSQL 15 cluster, then
#   - the catch-up maintenance that rolls all of it up, and the bytes per value of each tier;
#   - steady-state writes: perfwatch_ingest() of a full frame per tick (WAL and latency);
#   - steady-state maintenance: perfwatch_maintain() after each minute of ticks;
#   - the history API's statements, RUNS times each after 3 warm-up runs (8 series), medians;
#   - optionally the same requests over HTTP when PERFWATCH_API_BIN is an API server binary, with
#     the statement's own duration in the server log and the API process's CPU per request;
#   - what-if: a btree on ts next to the raw BRIN for the newest minutes (reads, size, WAL).
# Usage: bench/history_bench.sh [days] [runs]      (defaults 7 and 50; results on stdout)
# Env: PGBIN (/usr/lib/postgresql/15/bin), PERFWATCH_API_BIN (a perfwatch-api binary, or "export"
# to build one from HEAD; optional), KEEP=1 keeps the cluster.
set -eu
days=${1:-7}
runs=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
port=$((57000 + $$ % 1000))
tmp=$(mktemp -d /tmp/perfwatch-histbench.XXXXXX)
chmod 755 "$tmp"
as_pg() {
	if [ "$(id -u)" = 0 ]; then su perfwatch -s /bin/sh -c "$*"; else sh -c "$*"; fi
}
[ "$(id -u)" != 0 ] || { id perfwatch >/dev/null 2>&1 || useradd --system --create-home perfwatch; chown perfwatch "$tmp"; }
api_pid=
cleanup() {
	[ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
	if [ "${KEEP:-0}" = 1 ]; then echo "kept: PGHOST=$tmp PGPORT=$port"; return; fi
	as_pg "$PGBIN/pg_ctl -D $tmp/data -m fast stop" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
as_pg "$PGBIN/initdb -D $tmp/data -U postgres --auth=trust -E UTF8" >"$tmp/initdb.log" 2>&1
as_pg "$PGBIN/pg_ctl -D $tmp/data -l $tmp/pg.log -w -o '-p $port -k $tmp -c listen_addresses= \
	-c shared_buffers=256MB -c max_wal_size=4GB -c checkpoint_timeout=30min -c timezone=UTC \
	-c track_functions=pl' start" >/dev/null
export PGHOST="$tmp" PGPORT="$port" PGUSER=postgres PGDATABASE=perfwatch
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
ms_since() { echo "$(( ($(date +%s%N) - $1) / 1000000 ))"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# PERFWATCH_API_BIN=export: build a release perfwatch-api from `git archive HEAD`, the same
# commit whose migrations are applied below (its schema check then agrees).
if [ "${PERFWATCH_API_BIN:-}" = export ]; then
	mkdir "$tmp/src"
	git -C "$root" archive HEAD | tar -x -C "$tmp/src"
	cmake -S "$tmp/src" -B "$tmp/src/build" -DCMAKE_BUILD_TYPE=Release -DPERFWATCH_TESTS=OFF >"$tmp/build.log" 2>&1
	make -C "$tmp/src/build" -j2 perfwatch-api >>"$tmp/build.log" 2>&1
	chmod -R o+rX "$tmp/src/build"
	PERFWATCH_API_BIN=$tmp/src/build/apiserver/perfwatch-api
fi
createdb perfwatch
# The committed migrations (HEAD), not work in progress in the tree.
for f in $(git -C "$root" ls-tree --name-only HEAD migrations/ | grep '/[0-9][0-9][0-9]_.*\.sql$'); do
	n=$(basename "$f" .sql)
	git -C "$root" show "HEAD:$f" | q -1 >/dev/null
	q -c "INSERT INTO schema_migrations (version, name) VALUES (${n%%_*}, '${n#*_}')"
done
echo "# migrations: $(git -C "$root" rev-parse --short HEAD): $(git -C "$root" ls-tree --name-only HEAD migrations/ | grep -c '\.sql$') files"
q -f "$root/tests/sql/generate.sql" >/dev/null
echo "# PerfWatch history benchmark: $days days at 1 Hz, $runs runs per query, $(date -u +%FT%TZ)"
echo "# $(nproc) CPUs, $(psql -X -A -t -c 'SHOW server_version'), shared_buffers 256MB"
echo "# uptime at start: $(uptime)"

# 1. Data: [now - days - 1 h, now - 1 h); the last hour is written by the tick benchmark.
t0=$(date +%s%N)
rows=$(q -c "SELECT gen.fill('bench', date_bin('1 second', now(), 'epoch') - interval '1 hour' - $days * interval '1 day',
			     date_bin('1 second', now(), 'epoch') - interval '1 hour', interval '1 second')")
echo "generate: $rows rows in $(ms_since "$t0") ms"
q -c "VACUUM ANALYZE"

# 2. Catch-up maintenance: everything rolled up from scratch, call after call as perfwatch-api does.
t0=$(date +%s%N)
calls=0
while :; do
	calls=$((calls + 1))
	more=$(q -c "SELECT perfwatch_maintain(interval '20 seconds')->>'more'")
	[ "$more" = true ] || break
done
echo "maintenance catch-up: $(ms_since "$t0") ms in $calls calls"
q -c "VACUUM ANALYZE"
q -c "SELECT 'series: ' || count(*) FROM series"

# 3. Bytes per value per tier (heap + indexes, all partitions; raw: non-NULL numeric values).
q <<'EOF'
CREATE TEMP TABLE sizes (tbl text, bytes bigint, values bigint, rows bigint);
DO $$
DECLARE
	s record;
	cnt text;
	v bigint;
	r bigint;
BEGIN
	FOR s IN SELECT table_name FROM history_source ORDER BY 1 LOOP
		SELECT string_agg(format('count(%I)', column_name), ' + ') INTO cnt
		FROM series_metric m JOIN history_source h USING (subsystem)
		WHERE h.table_name = s.table_name;
		EXECUTE format('SELECT coalesce(%s, 0), count(*) FROM %I', cnt, s.table_name) INTO v, r;
		INSERT INTO sizes SELECT s.table_name, sum(pg_total_relation_size(i.inhrelid)), v, r
		FROM pg_inherits i WHERE i.inhparent = s.table_name::regclass;
	END LOOP;
END
$$;
SELECT format('raw %-17s %7s rows %9s values %8s MB  %5s B/value', tbl, rows, values,
	      round(bytes / 1e6, 1), round(bytes::numeric / nullif(values, 0), 2))
FROM sizes WHERE values > 0 ORDER BY tbl;
SELECT format('raw total: %s values, %s MB, %s B/value (+ tick_samples %s MB)', sum(values),
	      round(sum(bytes) / 1e6, 1), round(sum(bytes)::numeric / sum(values), 2),
	      (SELECT round(sum(pg_total_relation_size(inhrelid)) / 1e6, 1) FROM pg_inherits
	       WHERE inhparent = 'tick_samples'::regclass))
FROM sizes;
SELECT format('%s: %s rows, %s MB, %s B/row, %s B per raw value covered', t,
	      n, round(b / 1e6, 1), round(b::numeric / n, 1),
	      round(b::numeric / (SELECT sum(values) FROM sizes), 2))
FROM (SELECT 'rollup_1m' AS t, (SELECT count(*) FROM rollup_1m) AS n,
	     (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
	      WHERE inhparent = 'rollup_1m'::regclass) AS b
      UNION ALL
      SELECT 'rollup_1h', (SELECT count(*) FROM rollup_1h),
	     (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
	      WHERE inhparent = 'rollup_1h'::regclass)) x;
EOF

# 4. Steady-state writes: one full frame per tick through perfwatch_ingest(), one transaction
# each, the tick after the newest stored; the wrapper's own cost is measured and subtracted.
q <<'EOF'
CREATE SCHEMA bench;
CREATE TABLE bench.state (frame jsonb, next_ts timestamptz);
INSERT INTO bench.state
SELECT perfwatch_frame('bench', t.ts), t.ts + interval '1 second'
FROM (SELECT max(ts) AS ts FROM tick_samples WHERE ts > now() - interval '2 hours') t;
CREATE FUNCTION bench.ingest_next() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	f jsonb;
	t timestamptz;
BEGIN
	UPDATE bench.state SET next_ts = next_ts + interval '1 second'
	RETURNING frame, next_ts - interval '1 second' INTO f, t;
	PERFORM perfwatch_ingest((f || jsonb_build_object('ts',
		(extract(epoch FROM t) * 1000)::bigint))::text);
END
$$;
CREATE FUNCTION bench.step_only() RETURNS void LANGUAGE sql AS
	$$ UPDATE bench.state SET next_ts = next_ts $$;
EOF
q -c "SELECT 'frame: ' || octet_length(frame::text) || ' bytes, ' || (SELECT count(*) FROM jsonb_each(frame)) || ' keys' FROM bench.state"
echo 'SELECT bench.ingest_next();' >"$tmp/tick.sql"
echo 'SELECT bench.step_only();' >"$tmp/step.sql"
wal() { q -c "SELECT pg_current_wal_insert_lsn()"; }
tick_run() { # $1 script, $2 transactions, $3 log prefix -> prints WAL bytes per transaction
	w0=$(wal)
	(cd "$tmp" && "$PGBIN/pgbench" -n -c 1 -t "$2" -f "$1" -l --log-prefix="$3" perfwatch >/dev/null 2>&1)
	w1=$(wal)
	q -c "SELECT round(pg_wal_lsn_diff('$w1', '$w0') / $2)"
}
wal_step=$(tick_run "$tmp/step.sql" 300 steplog)
wal_tick=$(tick_run "$tmp/tick.sql" 300 ticklog)
lat_step=$(cat "$tmp"/steplog.* | awk '{ print $3 }' | median)
lat_tick=$(cat "$tmp"/ticklog.* | awk '{ print $3 }' | median)
echo "write one tick (perfwatch_ingest, own transaction, median of 300): $(awk "BEGIN { printf \"%.2f\", ($lat_tick - $lat_step) / 1000 }") ms, WAL $((wal_tick - wal_step)) bytes/tick"

# 5. Steady-state maintenance: a minute of ticks, then perfwatch_maintain(), 8 times, on one
# connection as perfwatch-api does (its prepared rollup statements survive between runs).
q -c "CREATE TABLE bench.maintain_ms (ms float8)"
{ for i in $(seq 60); do echo 'SELECT bench.ingest_next();'; done
  echo "INSERT INTO bench.maintain_ms SELECT (perfwatch_maintain()->>'ms')::float8;"; } >"$tmp/minute.sql"
(cd "$tmp" && "$PGBIN/pgbench" -n -c 1 -t 8 -f minute.sql perfwatch >/dev/null 2>&1)
q -c "SELECT format('maintenance per run (steady state, one connection, a minute of ticks): median %s ms, min %s, max %s, runs %s',
	percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), min(ms), max(ms), count(*)) FROM bench.maintain_ms"

# Up to now, rolled up, vacuumed: the state the queries see in production.
q -c "SELECT gen.fill('bench', (SELECT next_ts FROM bench.state), date_bin('1 second', now(), 'epoch'), interval '1 second') >= 0" >/dev/null
while [ "$(q -c "SELECT perfwatch_maintain()->>'more'")" = true ]; do :; done
q -c "VACUUM ANALYZE"

# 6. The API's statements (as apiserver/http_history.c sends them), 8 series.
keys='{cpu.usr:total,cpu.sys:total,cpu.iowait:0,mem.available_kb,load.load1,net.rx_bytes_per_s:eth0,disk.util_pct:sda,pressure.some_avg10:io}'
cat >"$tmp/q1.sql" <<EOF
SELECT * FROM perfwatch_api_query('$keys', NULL, now() - interval '5 minutes', now(), 300, 'avg');
EOF
cat >"$tmp/q2.sql" <<EOF
SELECT * FROM perfwatch_api_query('$keys', NULL, now() - interval '24 hours', now(), 720, 'avg');
EOF
cat >"$tmp/q3.sql" <<EOF
SELECT * FROM perfwatch_api_query('$keys', NULL, now() - interval '7 days', now(), 1000, 'avg');
EOF
cat >"$tmp/q4.sql" <<EOF
SELECT * FROM perfwatch_api_compare('$keys', NULL, now() - interval '1 hour', now(), interval '1 day', 720, 'avg', 0);
EOF
cat >"$tmp/q7.sql" <<EOF
SELECT * FROM perfwatch_api_compare('{}', NULL, now() - interval '1 hour', now(), interval '1 day', 720, 'avg', 10);
EOF
cat >"$tmp/q5.sql" <<EOF
SELECT * FROM perfwatch_api_anomalies('$keys', NULL, now() - interval '24 hours', now());
EOF
cat >"$tmp/q6.sql" <<EOF
SELECT * FROM perfwatch_api_trends('$keys', NULL, interval '7 days', now());
EOF
echo "query (8 series)                              budget   median ms   p90 ms   rows"
for n in 1 2 3 4 5 6 7; do
	label=$(sed -n "${n}p" <<'EOF'
last 5 min, raw, 300 points
24 h -> 720 points
7 d -> 1000 points
1 h vs same hour yesterday, 720 points
anomalies over 24 h
trends over 7 d
changed most, 1 h vs yesterday, all series
EOF
)
	budget=$(echo "10 30 50 50 100 - -" | cut -d' ' -f$n)
	(cd "$tmp" && "$PGBIN/pgbench" -n -c 1 -t 3 -f "q$n.sql" perfwatch >/dev/null 2>&1)
	rm -f "$tmp"/q$n.log*
	(cd "$tmp" && "$PGBIN/pgbench" -n -c 1 -t "$runs" -f "q$n.sql" -l --log-prefix="q$n.log" perfwatch >/dev/null 2>&1)
	med=$(cat "$tmp"/q$n.log* | awk '{ print $3 / 1000 }' | median)
	p90=$(cat "$tmp"/q$n.log* | awk '{ print $3 / 1000 }' | sort -n | awk -v r="$runs" 'NR == int(r * 0.9) { print }')
	nrows=$(q -f "$tmp/q$n.sql" | wc -l)
	printf '%-45s %6s %11.1f %8.1f %6s\n' "$label" "$budget" "$med" "$p90" "$nrows"
done
q -c "SELECT 'tiers: ' || string_agg(tier || ' ' || step_s || ' s', ', ') FROM (VALUES
	((perfwatch_history_plan(now() - interval '5 minutes', now(), 300)).*),
	((perfwatch_history_plan(now() - interval '24 hours', now(), 720)).*),
	((perfwatch_history_plan(now() - interval '7 days', now(), 1000)).*)) p(tier, step_s)"

# 7. Over HTTP (optional): the same requests to a running perfwatch-api, curl time_total; the
# statement's duration as the server logs it (log_min_duration_statement for the API's role) and
# the API process's CPU time (all threads, /proc/PID/task/*/schedstat) per request, so that the
# HTTP figure splits into database, API server and the rest (curl, TCP, scheduling).
if [ -n "${PERFWATCH_API_BIN:-}" ]; then
	hport=$((port + 1000))
	chmod 755 "$tmp"
	q -c "ALTER ROLE perfwatch_api SET log_min_duration_statement = 0"
	# setpriv execs the server itself (no su parent left behind), so $! is the server.
	run_as=
	[ "$(id -u)" != 0 ] || run_as="setpriv --reuid=perfwatch --regid=perfwatch --clear-groups"
	PERFWATCH_ADMIN_PASSWORD=bench-password-1 $run_as "$PERFWATCH_API_BIN" \
		--db "host=$tmp port=$port dbname=perfwatch user=perfwatch_api" --http-port "$hport" \
		--ws-port $((hport + 1)) --log-level warn >"$tmp/api.log" 2>&1 &
	api_pid=$!
	sleep 2
	curl -s -o /dev/null -c "$tmp/cookies" -H "Origin: http://127.0.0.1:$hport" \
		-H 'Content-Type: application/json' -d '{"user":"admin","password":"bench-password-1"}' \
		"http://127.0.0.1:$hport/api/v1/auth/login"
	s=$(echo "$keys" | tr -d '{}')
	api_cpu() { awk '{ ns += $1 } END { printf "%d\n", ns }' /proc/"$api_pid"/task/*/schedstat; }
	# Each request asks for the range ending at its own start, as now() does for the statements.
	url() { t=$(date +%s%3N); echo "http://127.0.0.1:$hport/api/v1/$1?series=$s&from=$((t - $2 * 1000))&to=$t$3"; }
	for spec in "query|300|&points=300|last 5 min|perfwatch_api_query" \
		"query|86400|&points=720|24 h -> 720 points|perfwatch_api_query" \
		"query|604800|&points=1000|7 d -> 1000 points|perfwatch_api_query" \
		"compare|3600|&offset=1d&points=720|1 h vs yesterday|perfwatch_api_compare" \
		"anomalies|86400||anomalies 24 h|perfwatch_api_anomalies"; do
		route=$(echo "$spec" | cut -d'|' -f1)
		range=$(echo "$spec" | cut -d'|' -f2)
		extra=$(echo "$spec" | cut -d'|' -f3)
		label=$(echo "$spec" | cut -d'|' -f4)
		fn=$(echo "$spec" | cut -d'|' -f5)
		for i in 1 2 3; do curl -s -b "$tmp/cookies" -o /dev/null "$(url "$route" "$range" "$extra")"; done
		code=$(curl -s -b "$tmp/cookies" -o /dev/null -w '%{http_code}' "$(url "$route" "$range" "$extra")")
		sleep 0.5
		logline=$(wc -l <"$tmp/pg.log")
		c0=$(api_cpu)
		med=$(for i in $(seq "$runs"); do
			curl -s -b "$tmp/cookies" -o /dev/null -w '%{time_total}\n' "$(url "$route" "$range" "$extra")"
		      done | awk '{ print $1 * 1000 }' | median)
		c1=$(api_cpu)
		sleep 0.5
		db=$(tail -n +"$((logline + 1))" "$tmp/pg.log" | grep "execute <unnamed>: SELECT.*$fn(" |
			sed 's/.*duration: \([0-9.]*\) ms.*/\1/' | median)
		printf 'HTTP %-28s %s  median %.1f ms  (statement in the server log %.1f ms, API CPU %.2f ms per request)\n' \
			"$label" "$code" "$med" "${db:-0}" "$(awk "BEGIN { print ($c1 - $c0) / $runs / 1e6 }")"
	done
	kill "$api_pid" 2>/dev/null || true
	api_pid=
	q -c "ALTER ROLE perfwatch_api RESET log_min_duration_statement"
fi

# 8. What-if for the newest minutes: a btree on ts next to the raw BRIN (009: 16 pages per range)
# in today's and yesterday's partitions of every raw table; the raw-tier statements again, then
# its size and what it costs each tick written (latency, WAL).
q <<'EOF'
CREATE TABLE bench.whatif (idx regclass);
DO $$
DECLARE
	p record;
BEGIN
	FOR p IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		 JOIN pg_class t ON t.oid = i.inhparent
		 WHERE t.relname LIKE '%\_samples' AND t.relnamespace = 'public'::regnamespace
		   AND (c.relname LIKE '%\_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD')
			OR c.relname LIKE '%\_' || to_char(now() AT TIME ZONE 'UTC' - interval '1 day', 'YYYYMMDD'))
	LOOP
		EXECUTE format('CREATE INDEX %I ON %I (ts)', p.relname || '_btree', p.relname);
		INSERT INTO bench.whatif VALUES ((p.relname || '_btree')::regclass);
	END LOOP;
END
$$;
ANALYZE;
EOF
echo "what-if btree on ts (today + yesterday, every raw table): $(q -c "SELECT round(sum(pg_relation_size(w.idx)) / 1e6, 1) || ' MB, ' || round(sum(pg_relation_size(w.idx))::numeric / sum(c.reltuples)::numeric, 1) || ' B per row' FROM bench.whatif w JOIN pg_index i ON i.indexrelid = w.idx JOIN pg_class c ON c.oid = i.indrelid")"
for n in 1 4; do
	(cd "$tmp" && "$PGBIN/pgbench" -n -c 1 -t 3 -f "q$n.sql" perfwatch >/dev/null 2>&1)
	rm -f "$tmp"/q$n.log*
	(cd "$tmp" && "$PGBIN/pgbench" -n -c 1 -t "$runs" -f "q$n.sql" -l --log-prefix="q$n.log" perfwatch >/dev/null 2>&1)
	printf 'what-if btree on ts, query %s: median %.1f ms\n' "$n" \
		"$(cat "$tmp"/q$n.log* | awk '{ print $3 / 1000 }' | median)"
done
q -c "UPDATE bench.state SET next_ts = (SELECT max(ts) + interval '1 second' FROM tick_samples WHERE ts > now() - interval '1 hour')"
wal_btree=$(tick_run "$tmp/tick.sql" 300 btreelog)
lat_btree=$(cat "$tmp"/btreelog.* | awk '{ print $3 }' | median)
echo "what-if btree on ts, write one tick: $(awk "BEGIN { printf \"%.2f\", ($lat_btree - $lat_step) / 1000 }") ms, WAL $((wal_btree - wal_step)) bytes/tick"
echo "# uptime at end: $(uptime)"
