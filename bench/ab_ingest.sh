#!/usr/bin/env bash
#! A/B of the ingest trigger against an older revision, in one script on one machine (run-to-run
#! noise here is larger than most changes, and a baseline from another session is on another
#! machine): builds the extension of <rev> in a git worktree, then runs the ingest benchmark
#! alternately with it and with the current extension installed, <pairs> times, restarting the
#! scratch cluster at each swap, and writes bench/results/ingest_ab.json (bench/report.py shows
#! it). The current extension is installed again at the end.
#!   bench/ab_ingest.sh cbb6bcf^ 2      # the trigger before the PII detectors of issue #17
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REV="${1:?usage: bench/ab_ingest.sh <git rev> [pairs]}"
PAIRS="${2:-2}"
PGC=/usr/lib/postgresql/15/bin/pg_config
PORT="${CXONE_BENCH_PORT:-5497}"
DATA="${CXONE_BENCH_PGDATA:-/tmp/cxone-bench-pgdata}"
SHA=$(git rev-parse --short "$REV")
OLD=/tmp/cxone-ab-$SHA
LIB=$("$PGC" --pkglibdir)
SHARE=$("$PGC" --sharedir)/extension
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

# The files an install puts in place, saved per side so that a swap is a copy.
save() { mkdir -p "$1"; cp "$LIB/cxone_vector.so" "$SHARE/cxone_vector.control" "$SHARE/cxone_vector--$VERSION.sql" "$1/"; }
put() {
  $SUDO cp "$1/cxone_vector.so" "$LIB/"
  $SUDO cp "$1/cxone_vector.control" "$1/cxone_vector--$VERSION.sql" "$SHARE/"
}
[ -d "$OLD" ] || git worktree add -f "$OLD" "$SHA" >/dev/null
(cd "$OLD" && CARGO_TARGET_DIR="$OLDPWD/target" cargo pgrx install --release -p cxone_vector --pg-config "$PGC" ${SUDO:+--sudo} | tail -1)
save "/tmp/cxone-ab-ext-$SHA"
cargo pgrx install --release -p cxone_vector --pg-config "$PGC" ${SUDO:+--sudo} | tail -1
save /tmp/cxone-ab-ext-current
cargo build --release -p cxone-sidecar -p cxone-bench
export CXONE_EMBEDDINGS_API_KEY=cxone-bench-embeddings-key
export CXONE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export CXONE_SIDECAR_BIN="$PWD/target/release/cxone-sidecar"
restart() {
  ./scripts/cluster.sh stop "$PORT" "$DATA" || true
  rm -rf "$DATA"
  ./scripts/cluster.sh start "$PORT" "$DATA" >/dev/null
}
trap 'put /tmp/cxone-ab-ext-current; ./scripts/cluster.sh stop "$PORT" "$DATA" || true' EXIT
out=$(mktemp -d)
for i in $(seq "$PAIRS"); do
  for side in new old; do
    if [ "$side" = old ]; then put "/tmp/cxone-ab-ext-$SHA"; else put /tmp/cxone-ab-ext-current; fi
    restart
    mkdir -p "$out/$side-$i"
    ./target/release/cxone-bench ingest --out "$out/$side-$i" >/dev/null
  done
done
python3 - "$out" "$SHA" "$PAIRS" <<'PY'
import json, sys, glob, statistics
out, rev, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])
ms = {"new": [], "old": []}
floor = {"new": [], "old": []}
for side in ms:
    for f in sorted(glob.glob(f"{out}/{side}-*/ingest.json")):
        m = json.load(open(f))["ms"]
        ms[side].append(m["trigger_insert_select"])
        floor[side].append(m["floor_insert_select"])
rel = {s: [t / f for t, f in zip(ms[s], floor[s])] for s in ms}
res = {"old_rev": rev, "pairs": pairs,
       "new_trigger_ms": ms["new"], "old_trigger_ms": ms["old"],
       "new_floor_ms": floor["new"], "old_floor_ms": floor["old"],
       "ratio_new_vs_old": statistics.median(ms["new"]) / statistics.median(ms["old"]),
       "ratio_new_vs_old_floor_relative": statistics.median(rel["new"]) / statistics.median(rel["old"])}
json.dump(res, open("bench/results/ingest_ab.json", "w"), indent=1)
print(json.dumps(res))
PY
