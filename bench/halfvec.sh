#!/usr/bin/env bash
#! Measures HNSW with vector(1536) against halfvec(1536) storage in one run, on a scratch
#! cluster, and prints one RESULT line per storage type. Used to choose the index storage.
#!   bench/halfvec.sh [ROWS] [QUERIES]     (defaults: 20000 100)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PORT="${CXONE_BENCH_PORT:-5497}"
DATA="${CXONE_BENCH_PGDATA:-/tmp/cxone-bench-pgdata}"
./scripts/setup.sh >/dev/null
./scripts/cluster.sh start "$PORT" "$DATA" >/dev/null
trap './scripts/cluster.sh stop "$PORT" "$DATA"' EXIT
psql -X -q -h /tmp -p "$PORT" -U postgres -d cxone -v n="${1:-20000}" -v q="${2:-100}" \
     -f bench/halfvec.sql 2>&1 | grep -o 'RESULT.*'
