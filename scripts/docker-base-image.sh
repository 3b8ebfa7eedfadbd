#!/usr/bin/env bash
# Make the base image `debian:bookworm-slim` locally when no registry can be reached: debootstrap
# a minbase bookworm from the mirror apt already uses, trim it the way the official slim image is
# trimmed, and `docker import` it. Does nothing when the image is present (pulled or made before).
#
#   scripts/docker-base-image.sh            make it unless present
#   PERFWATCH_BASE_IMAGE=name:tag scripts/docker-base-image.sh
#   PERFWATCH_DEBIAN_MIRROR=http://... scripts/docker-base-image.sh
set -euo pipefail

IMAGE=${PERFWATCH_BASE_IMAGE:-debian:bookworm-slim}
SUITE=bookworm

say() { echo "docker-base-image: $*" >&2; }
die() { say "$*"; exit 1; }

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
	say "$IMAGE present ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19)): nothing to do"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found: scripts/docker-engine.sh install"

# The first URI of a deb822 stanza whose Suites include $1 (or the classic sources.list line).
apt_uri() {
	local want=$1 f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v want="$want" '
			/^[ \t]*$/ { if (uri != "" && hit) { print uri; exit } uri = ""; hit = 0; next }
			$1 == "URIs:" { uri = $2 }
			$1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == want) hit = 1 }
			END { if (uri != "" && hit) print uri }' "$f"
	done | head -n 1
	if [ -f /etc/apt/sources.list ]; then
		awk -v want="$want" '$1 == "deb" && $2 !~ /^\[/ && $3 == want { print $2; exit }' \
			/etc/apt/sources.list
	fi
}

MIRROR=${PERFWATCH_DEBIAN_MIRROR:-$(apt_uri "$SUITE" | head -n 1)}
SECURITY=$(apt_uri "$SUITE-security" | head -n 1)
[ -n "$MIRROR" ] || die "no Debian mirror found in /etc/apt: set PERFWATCH_DEBIAN_MIRROR"
SECURITY=${SECURITY:-${MIRROR%/debian}/debian-security}

ROOT=$(mktemp -d /var/tmp/perfwatch-rootfs.XXXXXX)
trap 'rm -rf --one-file-system "$ROOT"' EXIT

t0=$SECONDS
say "debootstrap --variant=minbase $SUITE from $MIRROR (takes a minute or two)"
debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 ||
	{ tail -n 20 "$ROOT.log" >&2; rm -f "$ROOT.log"; die "debootstrap failed"; }
rm -f "$ROOT.log"

# apt sources as in the official image, from the same mirrors the host uses.
rm -f "$ROOT/etc/apt/sources.list"
cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

# What makes the official image "slim": no docs, man pages or translations; no apt caches.
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$ROOT/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
APT::AutoRemove::SuggestsImportant "false";
EOF
find "$ROOT/usr/share/doc" -mindepth 2 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOT/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* \
	"$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/var/log/*.log \
	"$ROOT"/var/log/apt/* "$ROOT"/tmp/* "$ROOT"/root/.bash_history
# debootstrap leaves the host's resolv.conf and hostname; docker bind-mounts its own.
: >"$ROOT/etc/resolv.conf"
echo localhost >"$ROOT/etc/hostname"

tar --numeric-owner -C "$ROOT" -c . |
	docker import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' \
		--message "debootstrap --variant=minbase $SUITE $MIRROR (scripts/docker-base-image.sh)" \
		- "$IMAGE" >/dev/null
say "$IMAGE made in $((SECONDS - t0))s: $(docker image inspect --format '{{.Size}}' "$IMAGE" |
	awk '{ printf "%.0f MB", $1 / 1e6 }')"
