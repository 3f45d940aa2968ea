#!/usr/bin/env bash
#! The main job, end to end, on this machine: set up what is missing, build and install the
#! extension, start a local cluster and the sidecar, and feed it real-shape CXone traffic:
#! Banking77 conversations as CXone Digital message events (bot greeting, customer utterance,
#! agent reply, closing status change), one event per POST to the sidecar's webhook as a CXone
#! Studio script sends them, a few out of order, a few delivered twice, one message erased
#! afterwards; plus the whole-transcript CXone fixtures by SQL. Then it shows the conversations
#! the database assembled from the messages, the erasure, metadata filters and searches.
#! Running it again is safe (every replayed event is recorded as a duplicate).
#!   scripts/demo.sh            # 1,000 Banking77 conversations + the CXone fixtures
#!   DEMO_CONVERSATIONS=5000 scripts/demo.sh
#!   scripts/demo.sh stop       # stops the demo's sidecar and cluster
#! Settings: CXONE_PG_PORT (5499), CXONE_DEMO_HTTP_PORT (8088), CXONE_WEBHOOK_TOKEN (a demo
#! token), DEMO_WAIT_SECS (900: how long to wait for the sidecar to embed everything).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PGC=/usr/lib/postgresql/15/bin/pg_config
PORT="${CXONE_PG_PORT:-5499}"
N="${DEMO_CONVERSATIONS:-1000}"
HTTP_PORT="${CXONE_DEMO_HTTP_PORT:-8088}"
WAIT_SECS="${DEMO_WAIT_SECS:-900}"
# The shared secret the webhook requires as `Authorization: Bearer <token>`; the sidecar reads it
# from CXONE_WEBHOOK_TOKEN. The sidecar listens on 127.0.0.1 only.
WEBHOOK_TOKEN="${CXONE_WEBHOOK_TOKEN:-cxone-demo-webhook-token}"
WEBHOOK="http://127.0.0.1:$HTTP_PORT/v1/webhooks/cxone"
SIDECAR_PID=/tmp/cxone-demo-sidecar.pid
SIDECAR_LOG=/tmp/cxone-demo-sidecar.log

if [ "${1:-}" = "stop" ]; then
  if [ -f "$SIDECAR_PID" ]; then kill "$(cat "$SIDECAR_PID")" 2>/dev/null || true; rm -f "$SIDECAR_PID"; fi
  ./scripts/cluster.sh stop "$PORT"
  echo "stopped the demo sidecar and cluster (data kept in ${CXONE_PGDATA:-/tmp/cxone-pgdata})"
  exit 0
fi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\n%s\n' "$*" >&2; exit 1; }

step "set-up (skips what is present)"
./scripts/setup.sh

step "build and install the extension"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
cargo pgrx install --release -p cxone_vector --pg-config "$PGC" ${SUDO:+--sudo} 2>&1 | tail -1

step "start the local cluster on port $PORT"
URL="$(./scripts/cluster.sh start "$PORT")"
psql() { command psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -U postgres -d cxone "$@"; }

step "build and start the sidecar: webhooks in, embeddings out (http://127.0.0.1:$HTTP_PORT)"
cargo build -q -p cxone-sidecar
# The sidecar connects as its least-privilege login, not as the superuser.
SIDECAR_URL="postgres://cxone_sidecar_login@127.0.0.1:$PORT/cxone"
# The key the extension sends to the sidecar's /v1/embeddings (made by cluster.sh).
export CXONE_EMBEDDINGS_API_KEY_FILE="${CXONE_PGDATA:-/tmp/cxone-pgdata}/cxone_vector.key"
if curl -fs "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1; then
  echo "a sidecar is already running on port $HTTP_PORT"
else
  DATABASE_URL="$SIDECAR_URL" CXONE_HTTP_ADDR="127.0.0.1:$HTTP_PORT" CXONE_WEBHOOK_TOKEN="$WEBHOOK_TOKEN" \
    CXONE_LOG=warn nohup ./target/debug/cxone-sidecar run >"$SIDECAR_LOG" 2>&1 &
  echo $! >"$SIDECAR_PID"
fi
# Ready once the model is loaded and the database answers.
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
  if [ -f "$SIDECAR_PID" ] && ! kill -0 "$(cat "$SIDECAR_PID")" 2>/dev/null; then break; fi
  sleep 0.2
done
curl -fs "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 ||
  fail "the sidecar is not ready (it exited, or 60 s passed); the end of its log ($SIDECAR_LOG):
$(tail -n 20 "$SIDECAR_LOG" 2>/dev/null)"
echo "ready; webhook: POST $WEBHOOK with Authorization: Bearer \$CXONE_WEBHOOK_TOKEN"
# Query embeddings for cxone_search come from the same sidecar.
psql -c "ALTER DATABASE cxone SET cxone.embeddings_url = 'http://127.0.0.1:$HTTP_PORT/v1/embeddings'"

# The server reads the sample files itself, so give it a copy it can read.
FIXTURES="$(mktemp -d /tmp/cxone-demo.XXXXXX)"
trap 'rm -rf "$FIXTURES"' EXIT
cp tests/fixtures/cxone/*.json data/banking77/train.csv "$FIXTURES/" && chmod -R a+rX "$FIXTURES"

step "ingest by SQL: the whole-transcript CXone fixtures and a payload without text"
psql -v fixtures_dir="$FIXTURES" -f sql/examples/demo_ingest.sql

step "make $N Banking77 conversations into CXone Digital events (sql/examples/demo_events.sql)"
EVENTS="$FIXTURES/events.txt"
# One line per event, "<phase> <case id> <event JSON>" (phase 1 messages, 2 closing status
# changes, 3 the erasure), and "# erased <case id> <text>" naming the message to be erased.
psql -At -v banking77="$FIXTURES/train.csv" -v n="$N" -f sql/examples/demo_events.sql >"$EVENTS"
events() { awk -v phase="$1" '$1 == phase' "$EVENTS" | cut -d' ' -f3-; }
ERASED_CASE="$(awk '$1 == "#" && $2 == "erased" { print $3 }' "$EVENTS")"
ERASED_TEXT="$(sed -n 's/^# erased [^ ]* //p' "$EVENTS")"
printf '%s message events, %s closing status changes, 1 erasure (replays and out-of-order deliveries included)\n' \
  "$(events 1 | wc -l)" "$(events 2 | wc -l)"

CURL=(curl -sS --max-time 60 -H "Authorization: Bearer $WEBHOOK_TOKEN" -H "Content-Type: application/json")
# POSTs one event and shows the webhook's reply (each payload's id and outcome); stops the demo
# unless it answers 200.
post_one() {
  local reply code
  reply="$("${CURL[@]}" --retry 2 --retry-connrefused -w '\n%{http_code}' --data-binary "$1" "$WEBHOOK")" || true
  code="${reply##*$'\n'}"
  reply="${reply%$'\n'*}"
  echo "  HTTP $code $reply"
  [ "$code" = 200 ] || fail "the webhook did not take the event. If a sidecar started otherwise (another
token, no token) runs on port $HTTP_PORT, stop it (scripts/demo.sh stop) and run the demo again.
The sidecar's log: $SIDECAR_LOG"
}
# POSTs the events on stdin, one per request and four requests at a time (CXone Studio posts one
# event per request; the webhook would also take a JSON array). curl retries 5xx and refused
# connections; a replayed event is only recorded as a duplicate.
post_all() {
  local codes
  codes="$(xargs -d '\n' -r -P 4 -n 1 "${CURL[@]}" --retry 5 --retry-connrefused -o /dev/null -w '%{http_code}\n' \
             "$WEBHOOK" --data-binary)" || true
  [ -n "$codes" ] || return 0
  sort <<<"$codes" | uniq -c | awk '{ printf "  HTTP %s: %s requests\n", $2, $1 }'
  if grep -qvx 200 <<<"$codes"; then
    fail "some events were not taken (HTTP code other than 200 above; 000: no connection). The sidecar's log: $SIDECAR_LOG"
  fi
}
# Waits until every closed conversation is assembled (the closing event does it at once) and every
# queued row is embedded.
wait_embedded() {
  local left deadline=$((SECONDS + WAIT_SECS))
  while :; do
    left="$(psql -At -c "SELECT (SELECT count(*) FROM conversation_embeddings WHERE status = 'pending')
                                || ' rows to embed, ' ||
                                (SELECT count(*) FROM cxone_conversations
                                  WHERE pending_since IS NOT NULL AND status IN ('resolved', 'closed'))
                                || ' closed conversations to assemble'")"
    [ "$left" = "0 rows to embed, 0 closed conversations to assemble" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "gave up waiting after $WAIT_SECS s (DEMO_WAIT_SECS): still $left. Is the sidecar running and
embedding? Its log: $SIDECAR_LOG; the queue: psql -h /tmp -p $PORT -U postgres cxone -c 'SELECT * FROM cxone_status'"
    fi
    printf '\r  waiting for the sidecar: %s ' "$left"
    sleep 2
  done
  printf '\r  everything assembled and embedded%40s\n' ''
}

step "post the events to the webhook, one per request, as CXone Studio does"
START=$SECONDS
echo "the first message event, and the webhook's reply:"
post_one "$(events 1 | sed -n 1p)"
echo "the other message events, while the cases are open:"
events 1 | tail -n +2 | post_all
echo "the closing status changes (each assembles its conversation at once):"
events 2 | post_all
echo "posted in $((SECONDS - START)) s"
wait_embedded

step "payload outcomes (replays and repeated messages are 'duplicate'; a second run makes every event one)"
psql -P pager=off -c "SELECT source, outcome, count(*), min(reason) AS example_reason
                        FROM cxone_payloads GROUP BY source, outcome ORDER BY source, outcome"
psql -P pager=off -c "SELECT status, count(*) FROM conversation_embeddings GROUP BY status ORDER BY status"

step "conversations assembled from their messages (demo-case-3 arrived out of order, demo-case-5 and -17 had events delivered twice), and the fixtures"
psql -P pager=off -c "SELECT conversation_id, semantic_metadata->>'channel' AS channel,
                             semantic_metadata->>'message_count' AS msgs,
                             semantic_metadata->>'intent_category' AS intent,
                             semantic_metadata->'pii_types' AS pii,
                             left(replace(text_content, E'\n', ' | '), 130) AS text
                        FROM conversation_embeddings
                       WHERE conversation_id IN ('demo-case-1', 'demo-case-2', 'demo-case-3', 'demo-case-5', 'demo-case-17',
                                                 'conv-8842-abc', '131988342510')
                         AND status <> 'superseded'
                       ORDER BY conversation_id LIKE 'demo-case-%', length(conversation_id), conversation_id"

if [ -n "$ERASED_CASE" ]; then
  step "a customer's message erased (MessageUpdated, contentRemoved: GDPR) in $ERASED_CASE"
  show_erased() {
    psql -P pager=off -v conv="$ERASED_CASE" -v line="$ERASED_TEXT" <<'SQL'
SELECT conversation_id, status, semantic_metadata->>'message_count' AS msgs,
       semantic_metadata->>'erased_messages' AS erased,
       strpos(text_content, :'line') > 0 AS has_the_line,
       replace(text_content, E'\n', ' | ') AS text
  FROM conversation_embeddings WHERE conversation_id = :'conv' ORDER BY created_at;
SQL
  }
  echo "before (the customer wrote: \"$ERASED_TEXT\"):"
  show_erased
  echo "the erasure, and the webhook's reply:"
  post_one "$(events 3)"
  wait_embedded
  echo "after: the line is gone from the conversation, its text and its vectors (the message is kept, empty):"
  show_erased
  psql -P pager=off -v conv="$ERASED_CASE" <<'SQL'
SELECT message_id, speaker, body, removed FROM cxone_messages WHERE conversation_id = :'conv' ORDER BY created_at;
SQL
fi

step "exact metadata filters (jsonb operators on semantic_metadata)"
psql -P pager=off -c "SELECT semantic_metadata->>'channel' AS channel, count(*) AS conversations,
                             count(*) FILTER (WHERE semantic_metadata->>'intent_category' = 'billing_dispute') AS billing_disputes,
                             count(*) FILTER (WHERE semantic_metadata @> '{\"queue_id\": \"q-cards-7a21\"}') AS cards_queue,
                             count(*) FILTER (WHERE (semantic_metadata->>'contains_pii')::boolean) AS with_pii
                        FROM conversation_embeddings WHERE status <> 'superseded'
                       GROUP BY 1 ORDER BY 1"

search() {
  printf '\n\033[1m%s\033[0m\n' "$1"
  psql -P pager=off -c "SELECT conversation_id, round(similarity::numeric, 3) AS similarity, found_by,
                               semantic_metadata->>'channel' AS channel, left(snippet, 90) AS snippet
                          FROM cxone_search($2)"
}
step "hybrid search (the default): an exact order number, then the same words by meaning alone"
search "cxone_search('112-4455667-8899010', 3)" "'112-4455667-8899010', 3"
FIRST="$(psql -At -c "SELECT conversation_id FROM cxone_search('112-4455667-8899010', 1)")"
[ "$FIRST" = "demo-order-1" ] || fail "hybrid search put $FIRST first for the order number, not demo-order-1"
search "cxone_search('112-4455667-8899010', 3, '{}', 'semantic')" "'112-4455667-8899010', 3, '{}', 'semantic'"
step "search from SQL (hybrid: meaning and words)"
search "cxone_search('I was charged twice', 5)" "'I was charged twice', 5"
search "cxone_search('my card still has not arrived', 5)" "'my card still has not arrived', 5"
search "cxone_search('the exchange rate looks wrong', 5, '{\"channel\": \"SMS\"}')  -- with an exact metadata filter" \
       "'the exchange rate looks wrong', 5, '{\"channel\": \"SMS\"}'"

psql -P pager=off -c "SELECT * FROM cxone_status" -x

cat <<MSG

The sidecar keeps running: POST more CXone events to its webhook, e.g.
  curl -H 'Authorization: Bearer $WEBHOOK_TOKEN' -H 'Content-Type: application/json' \\
       --data-binary @tests/fixtures/cxone/real/dfo_message_added_customer.json $WEBHOOK
(or INSERT them into cxone_payloads); a conversation is assembled when its case closes, or after
300 s without messages, and is searchable a second or two later. Its log: $SIDECAR_LOG

Connect:  psql -h /tmp -p $PORT -U postgres cxone      (or: psql $URL)
          then e.g.  SELECT * FROM cxone_search('refund for a damaged item', 5);
Stop:     scripts/demo.sh stop
MSG
