-- Demo traffic in the shapes NICE CXone Digital (DFO) really sends (tests/fixtures/cxone/real):
-- N Banking77 utterances (CC BY 4.0, data/banking77) become N cases, one event per message, as a
-- CXone Studio script POSTs them to the webhook. Per case: the bot's greeting, the customer's
-- utterance and an agent's reply (MessageAddedIntoCase), then a CaseStatusChanged to closed.
-- A few cases arrive out of order (the agent's reply before the customer's message; the
-- messages' createdAtWithMilliseconds put them back in order), a few events are delivered twice
-- (the same eventId again) or a message again under a new eventId, and one customer message is
-- erased afterwards (MessageUpdated with contentRemoved, reason GDPR, and no text left).
--
-- Output, one line per event in posting order: "<phase> <case id> <event JSON>", phase 1 the
-- messages (with their replays), 2 the closing status changes (with theirs), 3 the erasure;
-- and one line "# erased <case id> <text>" naming the message the erasure removes.
-- Ids are deterministic (case demo-case-<n>, messages demo-m-<n>-<k>, eventIds derived from
-- them), so posting the events again records duplicates, not new conversations.
--   psql -X -q -At -v banking77=FILE -v n=1000 -f sql/examples/demo_events.sql > events.txt
-- (the server reads FILE with COPY: scripts/demo.sh copies it where it can)
\set ON_ERROR_STOP 1

CREATE TEMP TABLE banking77 (utterance text, category text);
COPY banking77 FROM :'banking77' WITH (FORMAT csv, HEADER true);

-- A UUID-shaped id derived from a seed (version 4 and variant bits set, so it looks like one).
CREATE FUNCTION pg_temp.demo_uuid(seed text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT overlay(overlay(md5(seed) PLACING '4' FROM 13) PLACING '9' FROM 17)::uuid::text $$;

-- CXone's timestamps: "2024-05-02T09:14:01+00:00" and "2024-05-02T09:14:01.118+00:00".
CREATE FUNCTION pg_temp.demo_ts(t timestamptz, ms boolean) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT to_char(t AT TIME ZONE 'UTC',
                     CASE WHEN ms THEN 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'
                          ELSE 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"' END) $$;

-- Three channels, so that the metadata filters have something to tell apart.
CREATE TEMP TABLE demo_channel (ch int PRIMARY KEY, platform text, channel json);
INSERT INTO demo_channel VALUES
  (0, 'chat', '{"id": "chat_5f2e9c1a-77b0-4c11-9a63-0d4e2b6f8a10", "idOnExternalPlatform": "5f2e9c1a-77b0-4c11-9a63-0d4e2b6f8a10", "name": "Website chat", "realExternalPlatformId": "chat", "externalPlatformIcon": "livechat", "isLiveChat": true, "contentFormat": "plain", "mediaType": 3, "studioScript": null}'),
  (1, 'sms', '{"id": "sms_8b3d6f20-41c7-4e9a-b2d5-6c1e0f9a7d34", "idOnExternalPlatform": "+12025550198", "name": "SMS", "realExternalPlatformId": "sms", "externalPlatformIcon": "sms", "isLiveChat": false, "contentFormat": "plain", "mediaType": 3, "studioScript": null}'),
  (2, 'whatsapp', '{"id": "whatsapp_2e7a9c14-d5b8-4f03-a6e1-9b4c7d2f0e58", "idOnExternalPlatform": "+12025550199", "name": "WhatsApp", "realExternalPlatformId": "whatsapp", "externalPlatformIcon": "whatsapp", "isLiveChat": false, "contentFormat": "plain", "mediaType": 3, "studioScript": null}');

-- The cases: the same number from each of the 77 intents, each with a channel, a routing queue,
-- an agent, an end user (invented names and numbers) and its start time t0.
CREATE TEMP TABLE demo_case AS
SELECT n, utterance, category, 'demo-case-' || n AS case_id,
       timestamptz '2024-03-01 08:00:00+00' + n * interval '7 minutes' AS t0,
       n % 3 AS ch,
       CASE WHEN category ~* 'card|atm|pin_|_pin|contactless|apple_pay|visa' THEN 'q-cards-7a21'
            WHEN category ~* 'transfer|top_up|topping|cash|exchange|direct_debit|beneficiary|receiving|refund'
                 THEN 'q-payments-3c1d'
            ELSE 'q-general-09be' END AS queue_id,
       -- the agent who answers, and what they answer, by the kind of question
       62719001 + n % 4 AS agent_id,
       (ARRAY['Sam', 'Priya', 'Lee', 'Maria'])[1 + n % 4] AS agent_first,
       (ARRAY['Ortiz', 'Nair', 'Chen', 'Rossi'])[1 + n % 4] AS agent_last,
       CASE WHEN category ~* 'charge|fee|twice|not_recognised|wrong|refund|reverted|extra'
                 THEN 'I can see that transaction on your account. I''ll review the charge and correct it if it is wrong.'
            WHEN category ~* 'declined|failed|not_working|swallowed|blocked|compromised|lost_or_stolen'
                 THEN 'Sorry about the trouble. I''ve checked your card and account, and I''ll fix this for you now.'
            WHEN category ~* 'pending|arrival|delivery|timing|not_received|not_updated|transfer_into'
                 THEN 'Thanks for waiting. I''ve looked it up: it is on its way, and I''ll update you if anything changes.'
            WHEN category ~* 'verify|identity|passcode|personal_details|terminate|age_limit|source_of_funds'
                 THEN 'For your security I''ll confirm a few details first, then I can make that change to your account.'
            ELSE 'Good question. Here is how that works, and I''ll send you a link with the details.' END AS reply,
       CASE WHEN category ~* 'declined|failed|not_working|swallowed|blocked|compromised|lost|stolen|twice|wrong|not_recognised|not_received|reverted'
            THEN 'negative' ELSE 'neutral' END AS sentiment,
       (ARRAY['Dana', 'Omar', 'Mei', 'Lucas', 'Aisha', 'Tomasz', 'Grace', 'Ravi'])[1 + n % 8] AS first_name,
       (ARRAY['Whitfield', 'Haddad', 'Tanaka', 'Moreau', 'Okafor', 'Nowak', 'Byrne', 'Iyer'])[1 + (n / 8) % 8] AS last_name,
       -- a few cases arrive out of order, a few events twice
       n % 37 = 3 AS out_of_order,
       n % 97 = 5 AS customer_replayed,
       n % 113 = 17 AS agent_redelivered,
       n % 89 = 11 AS close_replayed
FROM (SELECT row_number() OVER (ORDER BY per_category, category) AS n, utterance, category
        FROM (SELECT b.*, row_number() OVER (PARTITION BY category ORDER BY utterance) AS per_category
                FROM banking77 b) b
       ORDER BY per_category, category
       LIMIT :n) s;


-- The messages: greeting, question, answer, at the times they were written.
CREATE TEMP TABLE demo_message AS
SELECT c.n, m.k, m.speaker, m.body, m.sent_at, 'demo-m-' || c.n || '-' || m.k AS message_id
  FROM demo_case c
 CROSS JOIN LATERAL (VALUES
       (1, 'bot', 'Hi! I''m the virtual assistant. What can I help you with?',
        c.t0 + interval '1 second' + (100 + c.n % 900) * interval '1 millisecond'),
       (2, 'customer', c.utterance, c.t0 + interval '14 seconds' + (c.n * 37 % 1000) * interval '1 millisecond'),
       (3, 'agent', c.reply, c.t0 + interval '52 seconds' + (c.n * 53 % 1000) * interval '1 millisecond')
       ) AS m(k, speaker, body, sent_at);

-- The customer's identity on the channel (a short id on chat, an invented 555-01xx number on
-- SMS and WhatsApp), as data.message.authorEndUserIdentity (with fullName) and in
-- data.case.endUser.identities (without).
CREATE FUNCTION pg_temp.demo_identity(c demo_case, with_full_name boolean) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN with_full_name
    THEN json_build_object('idOnExternalPlatform', e.ext, 'firstName', c.first_name, 'lastName', c.last_name,
                           'nickname', c.first_name || ' ' || c.last_name, 'externalPlatformId', ch.platform,
                           'id', ch.platform || '_' || e.ext, 'fullName', c.first_name || ' ' || c.last_name)
    ELSE json_build_object('idOnExternalPlatform', e.ext, 'firstName', c.first_name, 'lastName', c.last_name,
                           'nickname', c.first_name || ' ' || c.last_name, 'externalPlatformId', ch.platform,
                           'id', ch.platform || '_' || e.ext) END
  FROM demo_channel ch,
       LATERAL (SELECT CASE WHEN ch.platform = 'chat' THEN left(md5(c.case_id || '/user'), 4)
                            ELSE '+1202555' || lpad((100 + c.n % 98)::text, 4, '0') END AS ext) e
 WHERE ch.ch = c.ch
$$;

-- data.message.authorUser (and user) of the bot and of the case's agent; null for the customer.
CREATE FUNCTION pg_temp.demo_user(c demo_case, speaker text) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT CASE speaker
    WHEN 'bot' THEN json_build_object(
        'id', 62710000, 'incontactId', null, 'emailAddress', 'assistant@example-bank.com',
        'loginUsername', 'assistant@example-bank.com', 'firstName', 'Virtual', 'surname', 'Assistant',
        'nickname', '', 'isBotUser', true, 'isSurveyUser', false)
    WHEN 'agent' THEN json_build_object(
        'id', c.agent_id, 'incontactId', '11ef-agent-' || (c.agent_id % 100),
        'emailAddress', lower(c.agent_first || '.' || c.agent_last) || '@example-bank.com',
        'loginUsername', lower(c.agent_first || '.' || c.agent_last) || '@example-bank.com',
        'firstName', c.agent_first, 'surname', c.agent_last, 'nickname', '',
        'isBotUser', false, 'isSurveyUser', false) END
$$;

-- data.case, with the status it has at that event.
CREATE FUNCTION pg_temp.demo_case_json(c demo_case, status text, status_at timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'id', c.case_id,
    'status', status,
    'threadId', (ch.channel->>'id') || '_' || upper(left(md5(c.case_id), 4)),
    'threadIdOnExternalPlatform', upper(left(md5(c.case_id), 4)),
    'channelId', ch.channel->>'id',
    'interactionId', pg_temp.demo_uuid(c.case_id || '/interaction'),
    'contactId', pg_temp.demo_uuid(c.case_id || '/contact'),
    'customerContactId', pg_temp.demo_uuid(c.case_id || '/customer'),
    'direction', 'inbound',
    'routingQueueId', c.queue_id,
    'routingQueuePriority', 0,
    'createdAt', pg_temp.demo_ts(c.t0, false),
    'statusUpdatedAt', pg_temp.demo_ts(status_at, false),
    'detailUrl', 'https://app-na1.niceincontact.com/care?redirect=no#/care/tab/x/case/' || c.case_id,
    'endUser', json_build_object(
        'id', ch.platform || '_' || (pg_temp.demo_identity(c, false)->>'idOnExternalPlatform'),
        'firstName', c.first_name,
        'surname', c.last_name,
        'fullName', c.first_name || ' ' || c.last_name,
        'identities', json_build_array(pg_temp.demo_identity(c, false)),
        'customFields', '[]'::json),
    'userFingerprint', CASE WHEN ch.platform = 'chat'
        THEN json_build_object('os', 'Windows', 'browser', 'Firefox', 'ip', '198.51.100.' || (c.n % 250 + 1),
                               'country', 'US', 'language', 'en', 'deviceType', 'desktop',
                               'applicationType', 'browser')
        ELSE json_build_object('os', null, 'browser', null, 'ip', null, 'country', null, 'language', null,
                               'deviceType', null, 'applicationType', null) END,
    'customFields', json_build_array(json_build_object(
        'ident', 'contact.customFields.department',
        'value', CASE c.queue_id WHEN 'q-cards-7a21' THEN 'Cards'
                                 WHEN 'q-payments-3c1d' THEN 'Payments' ELSE 'General' END)),
    'ownerAssigneeUser', null,
    'inboxAssigneeUser', null)
  FROM demo_channel ch
 WHERE ch.ch = c.ch
$$;

-- data.message: one message; removed_at set makes it the erased version (GDPR), without text.
CREATE FUNCTION pg_temp.demo_message_json(c demo_case, m demo_message, removed_at timestamptz) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'id', m.message_id,
    'idOnExternalPlatform', upper(m.message_id),
    'threadId', (ch.channel->>'id') || '_' || upper(left(md5(c.case_id), 4)),
    'threadIdOnExternalPlatform', upper(left(md5(c.case_id), 4)),
    'postId', (ch.channel->>'id') || '_' || upper(left(md5(c.case_id), 4)),
    'direction', CASE m.speaker WHEN 'customer' THEN 'inbound' ELSE 'outbound' END,
    'createdAt', pg_temp.demo_ts(m.sent_at, false),
    'createdAtWithMilliseconds', pg_temp.demo_ts(m.sent_at, true),
    'contentRemoved', CASE WHEN removed_at IS NOT NULL
        THEN json_build_object('reason', 'GDPR', 'removedAt', pg_temp.demo_ts(removed_at, false)) END,
    'authorNameRemoved', null,
    'authorUser', pg_temp.demo_user(c, m.speaker),
    'user', pg_temp.demo_user(c, m.speaker),
    'isMadeByUser', m.speaker <> 'customer',
    'authorEndUserIdentity', CASE WHEN m.speaker = 'customer' THEN pg_temp.demo_identity(c, true) END,
    'messageContent', CASE WHEN removed_at IS NULL
        THEN json_build_object('type', 'TEXT', 'text', m.body,
                               'payload', json_build_object('text', m.body, 'postback', '', 'elements', '[]'::json),
                               'fallbackText', 'Unsupported message content', 'isAutoTranslated', false,
                               'parameters', '[]'::json, 'postback', null)
        ELSE json_build_object('type', 'TEXT', 'text', '',
                               'payload', json_build_object('text', '', 'postback', '', 'elements', '[]'::json),
                               'fallbackText', '', 'postback', null) END,
    'attachments', '[]'::json,
    'tags', '[]'::json,
    'sentiment', CASE WHEN m.speaker = 'customer' AND removed_at IS NULL THEN c.sentiment ELSE 'neutral' END,
    'isRead', true,
    'readAt', null,
    'replyToMessage', null,
    'recipients', '[]'::json,
    'url', null,
    'title', '',
    'contactNumber', c.case_id,
    'isReplyAllowed', true,
    'seen', '[]'::json,
    'delivered', '[]'::json)
  FROM demo_channel ch
 WHERE ch.ch = c.ch
$$;

-- A whole event: a message event carries data.message, a case event none.
CREATE FUNCTION pg_temp.demo_event_json(c demo_case, event_id text, event_type text, sent_at timestamptz,
                                        status text, status_at timestamptz, message json) RETURNS json
LANGUAGE sql STABLE AS $$
SELECT json_build_object(
    'eventId', event_id,
    'eventObject', 'Case',
    'eventType', event_type,
    'createdAt', pg_temp.demo_ts(sent_at, false),
    'createdAtWithMilliseconds', pg_temp.demo_ts(sent_at, true),
    'data', CASE WHEN message IS NULL
        THEN json_build_object('case', pg_temp.demo_case_json(c, status, status_at),
                               'brand', b.brand, 'channel', ch.channel)
        ELSE json_build_object('case', pg_temp.demo_case_json(c, status, status_at),
                               'brand', b.brand, 'channel', ch.channel, 'message', message) END,
    'context', '[]'::json)
  FROM demo_channel ch,
       (SELECT '{"id": 6435, "tenantId": "11ee2f4a-0000-4000-8000-00000000a1b2", "businessUnitId": 4601234}'::json AS brand) b
 WHERE ch.ch = c.ch
$$;

CREATE TEMP TABLE demo_event (phase int, seq bigint, case_id text, event json);

-- 1. The messages while the case is open, in posting order. Out of order: the agent's reply is
-- posted before the customer's message. Replayed: the customer's message twice with the same
-- eventId (a retry), right after the first.
INSERT INTO demo_event
SELECT 1, c.n * 100 + 10 * CASE WHEN c.out_of_order AND m.k = 2 THEN 4 ELSE m.k END + copy, c.case_id,
       pg_temp.demo_event_json(c, pg_temp.demo_uuid(m.message_id), 'MessageAddedIntoCase', m.sent_at,
                               'open', c.t0, pg_temp.demo_message_json(c, m, null))
  FROM demo_case c
  JOIN demo_message m USING (n)
 CROSS JOIN LATERAL generate_series(1, CASE WHEN m.k = 2 AND c.customer_replayed THEN 2 ELSE 1 END) AS copy;

-- ... and the agent's reply delivered again under a new eventId (a second delivery of the same
-- message): recorded once by its id, so this one is a duplicate too.
INSERT INTO demo_event
SELECT 1, c.n * 100 + 90, c.case_id,
       pg_temp.demo_event_json(c, pg_temp.demo_uuid(m.message_id || '/redelivered'), 'MessageAddedIntoCase',
                               m.sent_at + interval '2 seconds', 'open', c.t0, pg_temp.demo_message_json(c, m, null))
  FROM demo_case c
  JOIN demo_message m USING (n)
 WHERE c.agent_redelivered AND m.k = 3;

-- 2. The cases closed (a few closing events delivered twice).
INSERT INTO demo_event
SELECT 2, c.n * 100 + copy, c.case_id,
       pg_temp.demo_event_json(c, pg_temp.demo_uuid(c.case_id || '/closed'), 'CaseStatusChanged', closed_at,
                               'closed', closed_at, null)
  FROM demo_case c
 CROSS JOIN LATERAL (SELECT c.t0 + interval '4 minutes' + (c.n * 11 % 1000) * interval '1 millisecond') AS t(closed_at)
 CROSS JOIN LATERAL generate_series(1, CASE WHEN c.close_replayed THEN 2 ELSE 1 END) AS copy;

-- 3. A month later, one customer erases a message (the first "charged twice" case, else the
-- first case): a MessageUpdated with contentRemoved and no text.
CREATE TEMP TABLE demo_erased AS
SELECT n FROM demo_case WHERE utterance !~ '\n'
 ORDER BY category <> 'transaction_charged_twice', n LIMIT 1;

INSERT INTO demo_event
SELECT 3, c.n * 100, c.case_id,
       pg_temp.demo_event_json(c, pg_temp.demo_uuid(m.message_id || '/erased'), 'MessageUpdated',
                               c.t0 + interval '30 days', 'closed', c.t0 + interval '4 minutes',
                               pg_temp.demo_message_json(c, m, c.t0 + interval '30 days'))
  FROM demo_case c
  JOIN demo_erased USING (n)
  JOIN demo_message m USING (n)
 WHERE m.k = 2;

SELECT line
  FROM (SELECT 0 AS phase, 0::bigint AS seq, '# erased ' || c.case_id || ' ' || c.utterance AS line
          FROM demo_case c JOIN demo_erased USING (n)
        UNION ALL
        SELECT phase, seq, phase || ' ' || case_id || ' ' || event::text FROM demo_event) l
 ORDER BY phase, seq;
