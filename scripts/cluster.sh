#!/usr/bin/env bash
#! Starts or stops a local PostgreSQL 15 cluster for the demo and the end-to-end tests.
#!   scripts/cluster.sh start|stop|status [PORT] [DATADIR]
#! Defaults: port 5499, data in /tmp/cxone-pgdata. As root the cluster runs as the unprivileged
#! user made by setup.sh (initdb refuses root). Sockets go to /tmp; TCP on 127.0.0.1 only.
#! 'start' also creates the database 'cxone' with CREATE EXTENSION cxone_vector CASCADE, the
#! sidecar's login role cxone_sidecar_login (sql/roles/sidecar_login.sql), and the key file
#! DATADIR/cxone_vector.key that cxone_embed sends to the sidecar (mode 0600).
set -euo pipefail

ACTION="${1:-status}"
PORT="${2:-${CXONE_PG_PORT:-5499}}"
DATA="${3:-${CXONE_PGDATA:-/tmp/cxone-pgdata}}"
BIN=/usr/lib/postgresql/15/bin
RUNAS_USER="${CXONE_RUNAS_USER:-pgrxci}"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$RUNAS_USER" -- "$@"; else "$@"; fi
}

case "$ACTION" in
  start)
    if [ ! -s "$DATA/PG_VERSION" ]; then
      if [ "$(id -u)" -eq 0 ]; then install -d -o "$RUNAS_USER" -g "$RUNAS_USER" "$DATA"; else mkdir -p "$DATA"; fi
      as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --locale=C.UTF-8 >/dev/null
    fi
    # The key cxone_embed sends to the sidecar's /v1/embeddings (README "Security model"): a file
    # in the data directory, readable only by the server's OS user; the sidecar gets the same
    # key through CXONE_EMBEDDINGS_API_KEY_FILE. CXONE_EMBEDDINGS_API_KEY chooses it (tests).
    KEY_FILE="$DATA/cxone_vector.key"
    if [ ! -s "$KEY_FILE" ]; then
      ( umask 077; printf '%s\n' "${CXONE_EMBEDDINGS_API_KEY:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}" > "$KEY_FILE" )
      if [ "$(id -u)" -eq 0 ]; then chown "$RUNAS_USER:$RUNAS_USER" "$KEY_FILE"; fi
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/postgres.log" -w \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    fi
    psql() { command psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -U postgres "$@"; }
    if [ "$(psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'cxone'")" != 1 ]; then
      psql -d postgres -c "CREATE DATABASE cxone"
    fi
    psql -d cxone -c "CREATE EXTENSION IF NOT EXISTS cxone_vector CASCADE"
    # The sidecar's least-privilege login (README "Privileges").
    psql -d cxone -f "$(dirname "${BASH_SOURCE[0]}")/../sql/roles/sidecar_login.sql"
    echo "postgres://postgres@127.0.0.1:$PORT/cxone"
    ;;
  stop)
    if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    ;;
  status)
    as_owner "$BIN/pg_ctl" -D "$DATA" status
    ;;
  *)
    echo "usage: scripts/cluster.sh start|stop|status [PORT] [DATADIR]" >&2; exit 2 ;;
esac
