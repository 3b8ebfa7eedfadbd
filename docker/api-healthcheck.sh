#!/bin/bash
# Health check of the api image without curl: GET /healthz over bash's /dev/tcp; healthy only on
# HTTP 200 with "db":"up" (docs/design.md), so a server that lost PostgreSQL turns unhealthy.
port=${PERFWATCH_HTTP_PORT:-8470}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
reply=$(timeout 2 cat <&3) || exit 1
case "$reply" in
HTTP/1.[01]\ 200*'"db":"up"'*) exit 0 ;;
*) echo "${reply%%$'\r'*}"; exit 1 ;;
esac
