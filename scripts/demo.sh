#!/usr/bin/env bash
#! The main job, end to end, on this machine: set up what is missing, build and install the
#! extension, start a local cluster, ingest sample CXone conversations, and show what the
#! database made of them. Running it again is safe (replays are recorded as duplicates).
#!   scripts/demo.sh            # 1,000 Banking77 conversations + the CXone fixtures
#!   DEMO_CONVERSATIONS=5000 scripts/demo.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PGC=/usr/lib/postgresql/15/bin/pg_config
PORT="${CXONE_PG_PORT:-5499}"
N="${DEMO_CONVERSATIONS:-1000}"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "set-up (skips what is present)"
./scripts/setup.sh

step "build and install the extension"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
cargo pgrx install -p cxone_vector --pg-config "$PGC" ${SUDO:+--sudo} 2>&1 | tail -1

step "start the local cluster on port $PORT"
URL="$(./scripts/cluster.sh start "$PORT")"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -U postgres -d cxone "$@"; }

step "ingest the CXone fixtures, a payload without text, and $N Banking77 conversations"
# The server reads the sample files itself, so give it a copy it can read.
FIXTURES="$(mktemp -d /tmp/cxone-demo.XXXXXX)"
cp tests/fixtures/cxone/*.json data/banking77/train.csv "$FIXTURES/" && chmod -R a+rX "$FIXTURES"
psql -v fixtures_dir="$FIXTURES" -v banking77="$FIXTURES/train.csv" -v n="$N" \
     -f sql/examples/demo_ingest.sql
rm -rf "$FIXTURES"

step "payload outcomes (a second run shows replays as 'duplicate')"
psql -P pager=off -c "SELECT outcome, count(*), min(reason) AS example_reason FROM cxone_payloads GROUP BY outcome ORDER BY outcome"

step "queued conversations: status, text and tags"
psql -P pager=off -c "SELECT status, count(*) FROM conversation_embeddings GROUP BY status ORDER BY status"
psql -P pager=off -c "SELECT conversation_id, left(replace(text_content, E'\n', ' | '), 90) AS text,
                             semantic_metadata->>'intent_category' AS intent,
                             semantic_metadata->'pii_types' AS pii
                        FROM conversation_embeddings
                       WHERE conversation_id IN ('conv-8842-abc', '131988342510') OR conversation_id LIKE 'demo-case-1_'
                       ORDER BY created_at LIMIT 8"

step "exact metadata filters (jsonb operators on semantic_metadata)"
psql -P pager=off -c "SELECT count(*) FILTER (WHERE semantic_metadata->>'intent_category' = 'billing_dispute') AS billing_disputes,
                             count(*) FILTER (WHERE semantic_metadata @> '{\"queue\": \"Cards\"}') AS cards_queue,
                             count(*) FILTER (WHERE (semantic_metadata->>'contains_pii')::boolean) AS with_pii
                        FROM conversation_embeddings WHERE status <> 'superseded'"

step "embed everything pending with the local model (cxone-sidecar backfill)"
cargo build -q -p cxone-sidecar
DATABASE_URL="$URL" ./target/debug/cxone-sidecar backfill

step "semantic neighbours: conversations closest to the DFO fixture ('I was charged twice ...')"
psql -P pager=off -c "WITH q AS (SELECT embedding, model FROM conversation_embeddings WHERE conversation_id = '131988342510' AND status = 'embedded' LIMIT 1)
                      SELECT e.conversation_id, round((1 - (e.embedding <=> q.embedding))::numeric, 3) AS similarity,
                             left(split_part(e.text_content, E'\n', 2), 70) AS customer_said
                        FROM conversation_embeddings e, q
                       WHERE e.status = 'embedded' AND e.model = q.model AND e.conversation_id <> '131988342510'
                       ORDER BY e.embedding <=> q.embedding LIMIT 5"

step "the same, with an exact metadata filter (channel = SMS)"
psql -P pager=off -c "WITH q AS (SELECT embedding, model FROM conversation_embeddings WHERE conversation_id = '131988342510' AND status = 'embedded' LIMIT 1)
                      SELECT e.conversation_id, round((1 - (e.embedding <=> q.embedding))::numeric, 3) AS similarity,
                             left(split_part(e.text_content, E'\n', 2), 70) AS customer_said
                        FROM conversation_embeddings e, q
                       WHERE e.status = 'embedded' AND e.model = q.model AND e.semantic_metadata @> '{\"channel\": \"SMS\"}'
                       ORDER BY e.embedding <=> q.embedding LIMIT 5"

cat <<MSG

Everything is embedded. To keep embedding new payloads as they arrive, run the sidecar:
  DATABASE_URL=$URL ./target/debug/cxone-sidecar run

Connect:  psql -h /tmp -p $PORT -U postgres cxone      (or: psql $URL)
Stop:     scripts/cluster.sh stop $PORT
MSG
