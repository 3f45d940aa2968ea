-- Demo ingest: the two CXone fixtures, a payload with no text, and N CXone-shaped multi-turn
-- conversations built from Banking77 (CC BY 4.0, data/banking77). Run with psql:
--   psql -v fixtures_dir=DIR -v banking77=DIR/train.csv -v n=1000 -f sql/examples/demo_ingest.sql
-- (the server reads the files: scripts/demo.sh copies them where it can)
-- Event ids are deterministic, so running it again records replays as 'duplicate'.
\set ON_ERROR_STOP 1

INSERT INTO cxone_payloads (source, payload) VALUES ('demo', pg_read_file(:'fixtures_dir' || '/seed_conversation_completed.json')::json);
INSERT INTO cxone_payloads (source, payload) VALUES ('demo', pg_read_file(:'fixtures_dir' || '/dfo_case_closed_with_transcript.json')::json);
INSERT INTO cxone_payloads (source, payload) VALUES ('demo',
  '{"eventId": "demo-no-text", "data": {"case": {"id": "demo-empty"}, "transcript": [{"participant": "system", "text": "", "payload": {"postback": "menu"}}]}}');

CREATE TEMP TABLE banking77 (utterance text, category text);
COPY banking77 FROM :'banking77' WITH (FORMAT csv, HEADER true);

-- One conversation per utterance: bot greeting, the customer's real utterance, an agent reply
-- that names the topic, a closing turn. One statement: the trigger handles the bulk insert.
INSERT INTO cxone_payloads (source, payload)
SELECT 'demo', json_build_object(
    'eventId', 'demo-' || n,
    'eventObject', 'Case',
    'eventType', 'CaseStatusChanged',
    'createdAt', to_char(t0 + interval '4 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
    'data', json_build_object(
        'channel', json_build_object('id', 'demo_' || (n % 3), 'name', (ARRAY['Web chat', 'Email', 'SMS'])[1 + n % 3]),
        'routingQueue', json_build_object('name', CASE WHEN category ~ 'card' THEN 'Cards' WHEN category ~ 'transfer|top_up|cash|payment' THEN 'Payments' ELSE 'General' END),
        'case', json_build_object('id', 'demo-case-' || n, 'status', 'closed', 'direction', 'inbound',
                                  'ownerAssigneeUser', json_build_object('id', 1000 + n % 7)),
        'transcript', json_build_array(
            json_build_object('participant', 'bot', 'text', 'Hi! I''m the virtual assistant. What can I help with today?',
                              'timestamp', to_char(t0, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
            json_build_object('participant', 'customer', 'text', utterance,
                              'timestamp', to_char(t0 + interval '20 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
            json_build_object('participant', 'agent', 'text', 'Thanks for reaching out about ' || replace(category, '_', ' ') || '. Let me look into that for you.',
                              'timestamp', to_char(t0 + interval '80 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
            json_build_object('participant', 'customer', 'text', 'Thank you.',
                              'timestamp', to_char(t0 + interval '150 seconds', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))))
FROM (SELECT row_number() OVER (ORDER BY per_category, category) AS n, utterance, category,
             timestamp '2024-03-01 08:00' + (row_number() OVER (ORDER BY per_category, category)) * interval '7 minutes' AS t0
        -- the same number of conversations from each of the 77 intents
        FROM (SELECT b.*, row_number() OVER (PARTITION BY category ORDER BY utterance) AS per_category FROM banking77 b) b
       ORDER BY per_category, category
       LIMIT :n) s;
