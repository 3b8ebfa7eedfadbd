#!/bin/bash
# Entry point of the db image. First start (no $PGDATA/PG_VERSION): initdb, then on a private
# socket (so the health check stays red meanwhile) create the database and its login roles:
#   perfwatch            owner of the database, CREATEROLE: perfwatch-migrate connects as it
#   perfwatch_collector  perfwatch_api   the services' roles (migrations/001 grants them rights)
# Passwords come from the environment. Then exec postgres, which listens on the compose network
# and on /var/run/postgresql (a volume the collector shares, since it runs in the host's network).
set -euo pipefail

say() { echo "perfwatch-postgres: $*" >&2; }

for v in PERFWATCH_DB_OWNER_PASSWORD PERFWATCH_COLLECTOR_DB_PASSWORD PERFWATCH_API_DB_PASSWORD; do
	[ -n "${!v:-}" ] || { say "$v is empty: set it in .env (see .env.example)"; exit 1; }
done

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	say "initialising a new cluster in $PGDATA"
	initdb -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer \
		--auth-host=scram-sha-256 >/dev/null
	cat >>"$PGDATA/postgresql.conf" <<-CONF
		# perfwatch (docker/postgres-entrypoint.sh)
		listen_addresses = '*'
		unix_socket_directories = '/var/run/postgresql'
		password_encryption = scram-sha-256
		timezone = 'UTC'
		log_timezone = 'UTC'
		jit = off
	CONF
	# The superuser only over the socket inside this container; everyone else with a password.
	cat >"$PGDATA/pg_hba.conf" <<-HBA
		local   all  postgres             peer
		local   all  all                  scram-sha-256
		host    all  postgres  all        reject
		host    all  all       all        scram-sha-256
	HBA
	tmpsock=$(mktemp -d)
	pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories='$tmpsock'" \
		start >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -h "$tmpsock" -U postgres -d postgres \
		-v owner_pw="$PERFWATCH_DB_OWNER_PASSWORD" \
		-v collector_pw="$PERFWATCH_COLLECTOR_DB_PASSWORD" \
		-v api_pw="$PERFWATCH_API_DB_PASSWORD" <<-'SQL'
		CREATE ROLE perfwatch LOGIN CREATEROLE PASSWORD :'owner_pw';
		CREATE ROLE perfwatch_collector LOGIN PASSWORD :'collector_pw';
		CREATE ROLE perfwatch_api LOGIN PASSWORD :'api_pw';
		CREATE DATABASE perfwatch OWNER perfwatch;
	SQL
	pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	rmdir "$tmpsock"
	say "cluster ready: database perfwatch, roles perfwatch, perfwatch_collector, perfwatch_api"
fi
exec postgres -D "$PGDATA" "$@"
