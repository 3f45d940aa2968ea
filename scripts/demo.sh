#!/usr/bin/env bash
#! The main job, end to end, on this machine: set up what is missing, build and install the
#! extension, start a local cluster, ingest sample CXone conversations, and show what the
#! database made of them. Running it again is safe (replays are recorded as duplicates).
#!   scripts/demo.sh            # 1,000 Banking77 conversations + the CXone fixtures
#!   DEMO_CONVERSATIONS=5000 scripts/demo.sh
#!   scripts/demo.sh stop       # stops the demo's sidecar and cluster
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PGC=/usr/lib/postgresql/15/bin/pg_config
PORT="${CXONE_PG_PORT:-5499}"
N="${DEMO_CONVERSATIONS:-1000}"
HTTP_PORT="${CXONE_DEMO_HTTP_PORT:-8088}"
SIDECAR_PID=/tmp/cxone-demo-sidecar.pid
SIDECAR_LOG=/tmp/cxone-demo-sidecar.log

if [ "${1:-}" = "stop" ]; then
  if [ -f "$SIDECAR_PID" ]; then kill "$(cat "$SIDECAR_PID")" 2>/dev/null || true; rm -f "$SIDECAR_PID"; fi
  ./scripts/cluster.sh stop "$PORT"
  echo "stopped the demo sidecar and cluster (data kept in ${CXONE_PGDATA:-/tmp/cxone-pgdata})"
  exit 0
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "set-up (skips what is present)"
./scripts/setup.sh

step "build and install the extension"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
cargo pgrx install --release -p cxone_vector --pg-config "$PGC" ${SUDO:+--sudo} 2>&1 | tail -1

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
# The sidecar connects as its least-privilege login, not as the superuser.
SIDECAR_URL="postgres://cxone_sidecar_login@127.0.0.1:$PORT/cxone"
# The key the extension sends to the sidecar's /v1/embeddings (made by cluster.sh).
export CXONE_EMBEDDINGS_API_KEY_FILE="${CXONE_PGDATA:-/tmp/cxone-pgdata}/cxone_vector.key"
DATABASE_URL="$SIDECAR_URL" ./target/debug/cxone-sidecar backfill

step "start the sidecar for new payloads and query embeddings (http://127.0.0.1:$HTTP_PORT)"
if curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1; then
  echo "a sidecar is already running on port $HTTP_PORT"
else
  DATABASE_URL="$SIDECAR_URL" CXONE_HTTP_ADDR="127.0.0.1:$HTTP_PORT" CXONE_LOG=warn \
    nohup ./target/debug/cxone-sidecar run >"$SIDECAR_LOG" 2>&1 &
  echo $! >"$SIDECAR_PID"
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
fi
psql -c "ALTER DATABASE cxone SET cxone.embeddings_url = 'http://127.0.0.1:$HTTP_PORT/v1/embeddings'"

search() {
  printf '\n\033[1m%s\033[0m\n' "$1"
  psql -P pager=off -c "SELECT conversation_id, round(similarity::numeric, 3) AS similarity,
                               semantic_metadata->>'channel' AS channel,
                               left(split_part(text_content, E'\\n', 2), 72) AS customer_said
                          FROM cxone_search($2)"
}
step "semantic search from SQL"
search "cxone_search('I was charged twice', 5)" "'I was charged twice', 5"
search "cxone_search('my card still has not arrived', 5)" "'my card still has not arrived', 5"
search "cxone_search('the exchange rate looks wrong', 5, '{\"channel\": \"SMS\"}')  -- with an exact metadata filter" \
       "'the exchange rate looks wrong', 5, '{\"channel\": \"SMS\"}'"

psql -P pager=off -c "SELECT * FROM cxone_status" -x

cat <<MSG

The sidecar keeps running: INSERT more payloads (or POST them to
http://127.0.0.1:$HTTP_PORT/v1/webhooks/cxone after setting CXONE_WEBHOOK_TOKEN) and they are searchable
within a second or two. Its log: $SIDECAR_LOG

Connect:  psql -h /tmp -p $PORT -U postgres cxone      (or: psql $URL)
          then e.g.  SELECT * FROM cxone_search('refund for a damaged item', 5);
Stop:     scripts/demo.sh stop
MSG
