#!/usr/bin/env bash
#! The benchmark command: builds release binaries, starts a scratch cluster, runs every
#! benchmark with its baselines in the same run (cxone-bench), and writes BENCHMARKS.md and
#! bench/chart.png from the results (bench/report.py). Installs what is missing.
#!   bench/run.sh                 # everything (about 9 minutes warm on 2 cores)
#!   bench/run.sh ingest          # one of: ingest pipeline latency local search retrieval
#!                                # search-quality messages
#!   bench/run.sh all --n 2000    # smaller sets
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PGC=/usr/lib/postgresql/15/bin/pg_config
PORT="${CXONE_BENCH_PORT:-5497}"
DATA="${CXONE_BENCH_PGDATA:-/tmp/cxone-bench-pgdata}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

step "set-up (skips what is present)"
./scripts/setup.sh
# Debian's python3 and its matplotlib package (a python3 earlier on PATH, e.g. pyenv, would
# not see it).
PY=/usr/bin/python3
if ! "$PY" -c "import matplotlib" 2>/dev/null; then
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-matplotlib >/dev/null
fi

step "release builds: the extension, the sidecar, the benchmark driver"
cargo pgrx install --release -p cxone_vector --pg-config "$PGC" ${SUDO:+--sudo} 2>&1 | tail -1
cargo build --release -p cxone-sidecar -p cxone-bench

step "scratch cluster on port $PORT"
# The key cxone_embed sends and the benchmarks' sidecars accept (bench/src/payloads.rs).
export CXONE_EMBEDDINGS_API_KEY=cxone-bench-embeddings-key
./scripts/cluster.sh stop "$PORT" "$DATA" || true
rm -rf "$DATA"
trap './scripts/cluster.sh stop "$PORT" "$DATA" || true' EXIT
./scripts/cluster.sh start "$PORT" "$DATA" >/dev/null

step "benchmarks"
mkdir -p bench/results
CXONE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres" \
CXONE_SIDECAR_BIN="$PWD/target/release/cxone-sidecar" \
  ./target/release/cxone-bench "${@:-all}" --out bench/results

step "BENCHMARKS.md and bench/chart.png"
"$PY" bench/report.py
