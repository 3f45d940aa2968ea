#!/usr/bin/env bash
#! Fuzz the pure-Rust ingest path with cargo fuzz (libFuzzer), each target for SECONDS
#! (default 600), and record executions and crashes per target in reliability/fuzz.tsv,
#! which scripts/reliability-report.sh folds into RELIABILITY.md.
#!
#!   ./scripts/fuzz.sh [SECONDS] [TARGET ...]      targets: map tag redact chunk (default: all)
#!
#! Installs cargo-fuzz if it is missing. libFuzzer needs nightly compiler flags; the stable
#! toolchain is used with RUSTC_BOOTSTRAP=1 so no second toolchain is needed. Crashing inputs
#! are kept in fuzz/artifacts/TARGET/ and make this script exit non-zero.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SECONDS_EACH="${1:-600}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(map tag redact chunk)

command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

mkdir -p reliability
OUT=reliability/fuzz.tsv
[ -f "$OUT" ] || printf 'target\tseconds\texecutions\tcrashes\tdate\n' >"$OUT"

failed=0
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  log="fuzz/artifacts/$t.log"
  echo "fuzzing $t for ${SECONDS_EACH}s (log: $log)"
  set +e
  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$t" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1) \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  [ "$crashes" -eq 0 ] || failed=1
  printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_EACH" "${execs:-0}" "$crashes" "$(date -u +%F)" >>"$OUT"
  echo "  $t: ${execs:-0} executions, $crashes crashes"
done
exit "$failed"
