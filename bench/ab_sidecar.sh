#!/usr/bin/env bash
#! A/B of the sidecar's pipeline against an older revision, in one script on one machine (the
#! run-to-run noise here is larger than most changes): builds the sidecar of <rev> in a git
#! worktree, then runs the pipeline benchmark alternately with it and with the current release
#! sidecar, <pairs> times, and writes bench/results/pipeline_ab.json (bench/report.py shows it).
#! Uses the scratch cluster of bench/run.sh (start it with `bench/run.sh pipeline` once).
#!   bench/ab_sidecar.sh 3ee10a9 2
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REV="${1:?usage: bench/ab_sidecar.sh <git rev> [pairs]}"
PAIRS="${2:-2}"
PORT="${CXONE_BENCH_PORT:-5497}"
OLD=/tmp/cxone-ab-$REV
[ -d "$OLD" ] || git worktree add -f "$OLD" "$REV" >/dev/null
CARGO_TARGET_DIR="$PWD/target" cargo build --release -p cxone-sidecar --manifest-path "$OLD/Cargo.toml"
cp target/release/cxone-sidecar "/tmp/cxone-sidecar-$REV"
cargo build --release -p cxone-sidecar -p cxone-bench
export CXONE_EMBEDDINGS_API_KEY=cxone-bench-embeddings-key
export CXONE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
out=$(mktemp -d)
for i in $(seq "$PAIRS"); do
  for side in new old; do
    bin="$PWD/target/release/cxone-sidecar"
    [ "$side" = old ] && bin="/tmp/cxone-sidecar-$REV"
    mkdir -p "$out/$side-$i"
    CXONE_SIDECAR_BIN="$bin" ./target/release/cxone-bench pipeline --out "$out/$side-$i" >/dev/null
  done
done
python3 - "$out" "$REV" "$PAIRS" <<'PY'
import json, sys, glob, statistics
out, rev, pairs = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = {"new": [], "old": []}
for side in runs:
    for f in sorted(glob.glob(f"{out}/{side}-*/pipeline.json")):
        runs[side].append(json.load(open(f))["no_index"]["sidecar_rows_per_s"])
res = {"old_rev": rev, "pairs": pairs, "new_rows_per_s": runs["new"], "old_rows_per_s": runs["old"],
       "ratio_new_vs_old": statistics.median(runs["new"]) / statistics.median(runs["old"])}
json.dump(res, open("bench/results/pipeline_ab.json", "w"), indent=1)
print(json.dumps(res))
PY
