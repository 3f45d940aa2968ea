#!/usr/bin/env bash
#! Writes RELIABILITY.md from the records of the last test run (target/reliability/results.tsv,
#! written by the end-to-end reliability scenarios as they pass) and the fuzzing record
#! (reliability/fuzz.tsv, written by scripts/fuzz.sh). scripts/test.sh calls it after the
#! end-to-end tests; it refuses to write a table with a lost or duplicated row.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RESULTS="${CXONE_RELIABILITY_OUT:-target/reliability/results.tsv}"
SECURITY="${CXONE_SECURITY_OUT:-target/reliability/security.tsv}"
FUZZ=reliability/fuzz.tsv
[ -s "$RESULTS" ] || { echo "reliability-report: no records in $RESULTS (run ./scripts/test.sh)" >&2; exit 1; }
[ -s "$SECURITY" ] || { echo "reliability-report: no security records in $SECURITY (run ./scripts/test.sh)" >&2; exit 1; }

bad=$(awk -F'\t' '$4 != 0 || $5 != 0' "$RESULTS")
if [ -n "$bad" ]; then
  echo "reliability-report: rows lost or duplicated:" >&2
  echo "$bad" >&2
  exit 1
fi

esc() { sed 's/|/\\|/g'; }
{
  cat <<EOF
# Reliability

Every row below is written by an automated test of \`./scripts/test.sh\` when it passes
(\`tests/e2e/tests/reliability.rs\`, \`reliability_http.rs\`, \`sidecar.rs\`, \`security.rs\`, \`search_and_webhooks.rs\`),
against a real PostgreSQL 15 cluster with pgvector and the installed extension, the real
\`cxone-sidecar\` binary, and HTTP doubles of the embeddings provider on 127.0.0.1. Each test
asserts zero lost and zero duplicated before it records its row; this file is rewritten from
those records at the end of the run. "Lost" counts queued rows that did not end embedded (or,
where the fault makes that impossible, failed with a reason), and accepted webhooks not stored;
"duplicated" counts embedded rows beyond one per conversation chunk and model.

Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo "uncommitted"), sidecar debug build.

| Scenario | Load | Faults injected | Rows lost | Rows duplicated | Notes |
|---|---|---|---|---|---|
EOF
  sort -t$'\t' -k1,1V "$RESULTS" | esc | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}'
  cat <<'EOF'

## Security

Each row is an attack made by an end-to-end test (`tests/e2e/tests/attacks.rs`, `secrets.rs`,
`bounded_work.rs`, and the sidecar's `sidecar_surface.rs`, `sidecar_tls.rs`) the way an attacker
would make it: as the least-privileged login, in a fresh session (the library not loaded yet),
through every door. A row is written only when the attack failed as expected; the result
column is what the test saw.

| Attack | Who tries it | Expected | Result |
|---|---|---|---|
EOF
  sort -t$'\t' -k1,1 "$SECURITY" | esc | awk -F'\t' '{printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
  cat <<'EOF'

## Fuzzing

`./scripts/fuzz.sh 600` runs each cargo-fuzz target (libFuzzer) for ten minutes over the pure
Rust ingest path the trigger runs: `map` (any bytes as a payload: parse, map, tag, redact,
chunk; the same bytes as a mapping), `tag`, `redact` and `chunk`. It is not part of
`scripts/test.sh` (forty minutes); run it after changing `core/`. Crashing inputs land in
`fuzz/artifacts/<target>/`.

| Target | Seconds | Executions | Crashes | Date |
|---|---|---|---|---|
EOF
  if [ -s "$FUZZ" ]; then
    tail -n +2 "$FUZZ" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}'
  else
    echo "| (not run yet) | | | | |"
  fi
  cat <<'EOF'

## How to run

- `./scripts/test.sh` runs everything above except fuzzing, and rewrites this file.
- One scenario: `./scripts/test.sh` once (it installs and builds), then e.g.
  `CXONE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5498/postgres cargo test -p cxone-e2e --test reliability kill_9`
  with the test cluster started by `./scripts/cluster.sh start 5498 /tmp/cxone-e2e-pgdata`.
  `CXONE_TEST_SEED=<n>` replays the kill timings a run printed.
- `./scripts/fuzz.sh [SECONDS] [TARGET ...]` fuzzes and appends to `reliability/fuzz.tsv`.
EOF
} >RELIABILITY.md
echo "wrote RELIABILITY.md ($(wc -l <"$RESULTS") scenarios)"
