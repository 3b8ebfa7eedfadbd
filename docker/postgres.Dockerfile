# PerfWatch's PostgreSQL 15 image, from Debian's packages like everything else (docs/docker.md).
# The server runs as `postgres`; docker/postgres-entrypoint.sh creates the cluster, the database and
# the PerfWatch login roles on first start (an empty data volume), then runs the server.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
# No "main" cluster at install time (the entrypoint makes one in the volume) and no service start.
# No JIT: dpkg skips LLVM, Z3 and the bitcode (155 of the image's 378 MB); the entrypoint sets
# jit = off. PerfWatch's queries are short and BRIN-bound: JIT compilation would cost, not save.
RUN printf '%s\n' \
	'path-exclude /usr/lib/x86_64-linux-gnu/libLLVM-*' \
	'path-exclude /usr/lib/x86_64-linux-gnu/libz3.so*' \
	'path-exclude /usr/lib/postgresql/*/lib/llvmjit*' \
	'path-exclude /usr/lib/postgresql/*/lib/bitcode/*' >/etc/dpkg/dpkg.cfg.d/perfwatch-no-jit \
 && mkdir -p /etc/postgresql-common/createcluster.d \
 && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/perfwatch.conf \
 && printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql \
 && chmod 0700 /var/lib/postgresql/data && chmod 2775 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY docker/postgres-entrypoint.sh /usr/local/bin/perfwatch-postgres
USER postgres
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
STOPSIGNAL SIGINT
# Every check is a `runc exec` (~50 ms of CPU here): Docker's default 30 s keeps that at 0.2 % of
# a CPU. Nothing waits for this state (migrate retries the connection itself); it is for people.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
	CMD ["pg_isready", "-q", "-h", "/var/run/postgresql", "-d", "perfwatch", "-U", "postgres"]
ENTRYPOINT ["perfwatch-postgres"]
