-- Demo ingest by SQL: the two whole-transcript CXone fixtures (tests/fixtures/cxone) and a
-- payload with no text. The demo's Banking77 conversations are real-shape message events posted
-- to the sidecar's webhook instead (sql/examples/demo_events.sql makes them). Run with psql:
--   psql -v fixtures_dir=DIR -f sql/examples/demo_ingest.sql
-- (the server reads the files: scripts/demo.sh copies them where it can)
-- Event ids are deterministic, so running it again records replays as 'duplicate'.
\set ON_ERROR_STOP 1

INSERT INTO cxone_payloads (source, payload) VALUES ('demo', pg_read_file(:'fixtures_dir' || '/seed_conversation_completed.json')::json);
INSERT INTO cxone_payloads (source, payload) VALUES ('demo', pg_read_file(:'fixtures_dir' || '/dfo_case_closed_with_transcript.json')::json);
INSERT INTO cxone_payloads (source, payload) VALUES ('demo',
  '{"eventId": "demo-no-text", "data": {"case": {"id": "demo-empty"}, "transcript": [{"participant": "system", "text": "", "payload": {"postback": "menu"}}]}}');
-- A conversation about an order number, which hybrid search finds exactly (scripts/demo.sh).
INSERT INTO cxone_payloads (source, payload) VALUES ('demo',
  '{"eventId": "demo-order-1", "data": {"case": {"id": "demo-order-1", "status": "closed"}, "transcript": [
     {"participant": "bot", "text": "Hi! I''m the virtual assistant. What can I help with today?"},
     {"participant": "customer", "text": "My order 112-4455667-8899010 was due on Friday and it still has not arrived."},
     {"participant": "agent", "text": "Sorry about that. Order 112-4455667-8899010 is held at the depot; I have asked them to send it out today."}]}}');
