#!/bin/sh
# History SQL tests against a real PostgreSQL: starts a throw-away cluster (private port and socket
# directory under a temp dir; initdb runs as the `perfwatch` user when started as root), applies
# migrations/ in order into a template database, then runs each tests/sql/history_*.sql in a fresh
# copy of it. A test file fails on its first error; check(cond, name) prints "ok - name".
# Usage: tests/sql/run.sh [test files...]   (PGBIN overrides /usr/lib/postgresql/15/bin)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
port=${PERFWATCH_TEST_PGPORT:-$((56000 + $$ % 1000))}
tmp=$(mktemp -d /tmp/perfwatch-sqltest.XXXXXX)
chmod 755 "$tmp"
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		su perfwatch -s /bin/sh -c "$*"
	else
		sh -c "$*"
	fi
}
if [ "$(id -u)" = 0 ]; then
	id perfwatch >/dev/null 2>&1 || useradd --system --create-home perfwatch
	chown perfwatch "$tmp"
fi
cleanup() {
	as_pg "$PGBIN/pg_ctl -D $tmp/data -m immediate stop" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
as_pg "$PGBIN/initdb -D $tmp/data -U postgres --auth=trust -E UTF8 --no-sync" >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log"; exit 1; }
as_pg "$PGBIN/pg_ctl -D $tmp/data -l $tmp/pg.log -w -o '-p $port -k $tmp -c listen_addresses= -c fsync=off -c timezone=UTC' start" >/dev/null
export PGHOST="$tmp" PGPORT="$port" PGUSER=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

createdb perfwatch_template
# Migrations git knows about (others' untracked work in progress stays out); all in a plain copy.
if files=$(git -C "$root" ls-files 'migrations/[0-9][0-9][0-9]_*.sql' 2>/dev/null) && [ -n "$files" ]; then
	files=$(printf '%s\n' "$files" | sed "s|^|$root/|")
else
	files=$(ls "$root"/migrations/[0-9][0-9][0-9]_*.sql)
fi
for f in $files; do
	name=$(basename "$f" .sql)
	psql -1 -d perfwatch_template -f "$f" >/dev/null
	psql -d perfwatch_template -c "INSERT INTO schema_migrations (version, name) VALUES (${name%%_*}, '${name#*_}')" >/dev/null
done
psql -d perfwatch_template -f "$here/helpers.sql" >/dev/null
psql -d perfwatch_template -f "$here/generate.sql" >/dev/null

# Runs every ```sql block of docs/sql.md in database $1 as perfwatch_reader: each must succeed
# and return a row; a "-- expect: X" line in a block must be the first column of the first row.
cookbook() {
	awk -v dir="$tmp" '
		/^```sql/ { n++; f = sprintf("%s/q%02d.sql", dir, n); inq = 1; next }
		/^```/ { inq = 0; next }
		inq { print > f }' "$root/docs/sql.md"
	for q in "$tmp"/q*.sql; do
		want=$(sed -n 's/^-- expect: //p' "$q")
		if ! got=$( (echo "SET ROLE perfwatch_reader;"; cat "$q") |
			psql -d "$1" -A -t -F '|' 2>&1); then
			echo "not ok - cookbook $(basename "$q"): $got"
			return 1
		fi
		first=$(printf '%s\n' "$got" | sed -n '1p' | cut -d'|' -f1)
		if [ -z "$got" ] || { [ -n "$want" ] && [ "$first" != "$want" ]; }; then
			echo "not ok - cookbook $(basename "$q"): want '$want', got: $(printf '%s' "$got" | head -3)"
			return 1
		fi
		echo "ok - cookbook $(basename "$q") as perfwatch_reader: $(printf '%s\n' "$got" | wc -l) rows${want:+, first '$want'}"
	done
}

[ $# -gt 0 ] || set -- "$here"/history_*.sql
fail=0
for t in "$@"; do
	db=t_$(basename "$t" .sql)
	createdb -T perfwatch_template "$db"
	if psql -d "$db" -f "$t" >"$tmp/out" 2>&1 &&
		{ [ "$(basename "$t")" != history_cookbook.sql ] || cookbook "$db" >>"$tmp/out"; }; then
		sed -n 's/^.*NOTICE:  //p; /^ok - cookbook/p' "$tmp/out"
		echo "PASS $(basename "$t")"
	else
		sed 's/^psql:[^ ]* //' "$tmp/out"
		echo "FAIL $(basename "$t")"
		fail=1
	fi
done
exit $fail
