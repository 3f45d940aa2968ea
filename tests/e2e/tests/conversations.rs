//! Real CXone traffic: one message per event, conversations assembled inside the database.
//! The events are the real shapes of tests/fixtures/cxone/real (see its README).

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::postgres::Client;
use cxone_e2e::{
    fixture, free_port, insert, openai_db_unindexed, outcome, scalar, sidecar_with_double, spawn,
    wait_ready, Running, TestDb,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn real(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("real/{name}"))).unwrap()
}

/// The events of case 8810342, one per line, in the order CXone delivered them.
fn case_events() -> Vec<Value> {
    fixture("real/dfo_case_8810342_events.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn insert_value(c: &mut Client, v: &Value) -> i64 {
    insert(c, &v.to_string())
}

/// The conversation's rows that searches will use once embedded (not superseded): (status, text).
fn live_rows(c: &mut Client, conversation: &str) -> Vec<(String, String)> {
    c.query(
        "SELECT status, text_content FROM conversation_embeddings
          WHERE conversation_id = $1 AND status <> 'superseded' ORDER BY payload_id, chunk_index",
        &[&conversation],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

fn scalar_i64(c: &mut Client, sql: &str) -> i64 {
    scalar(c, sql, &[])
}

/// A message event of `case` said by `who` at second `at`, with the case's `status`.
fn message_event(case: &str, id: &str, who: &str, text: &str, at: u32, status: &str) -> Value {
    let mut e = real(match who {
        "customer" => "dfo_message_added_customer.json",
        "agent" => "dfo_message_added_agent.json",
        _ => "dfo_message_added_bot.json",
    });
    let time = format!(
        "2024-05-02T{:02}:{:02}:{:02}.{:03}+00:00",
        9 + at / 3600,
        (at / 60) % 60,
        at % 60,
        at % 997
    );
    e["eventId"] = json!(format!("ev-{case}-{id}"));
    e["createdAtWithMilliseconds"] = json!(time);
    e["data"]["case"]["id"] = json!(case);
    e["data"]["case"]["status"] = json!(status);
    e["data"]["case"]["statusUpdatedAt"] = json!(time);
    let m = &mut e["data"]["message"];
    m["id"] = json!(id);
    m["contactNumber"] = json!(case);
    m["createdAtWithMilliseconds"] = json!(time);
    m["messageContent"]["text"] = json!(text);
    m["messageContent"]["payload"]["text"] = json!(text);
    e
}

#[test]
fn a_whole_case_replayed_out_of_order_is_one_ordered_transcript_queued_at_close() {
    let db = TestDb::new();
    let mut c = db.connect();
    let events = case_events();
    let (last, messages) = events.split_last().unwrap();
    for e in messages {
        let id = insert_value(&mut c, e);
        assert_eq!(outcome(&mut c, id).0, "recorded");
    }
    // Open: recorded, not yet queued.
    assert!(live_rows(&mut c, "8810342").is_empty());
    let closing = insert_value(&mut c, last);
    let (o, reason) = outcome(&mut c, closing);
    assert_eq!(o, "recorded", "{reason:?}");
    let rows = live_rows(&mut c, "8810342");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let text = &rows[0].1;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 7, "{text}");
    assert!(lines[0].starts_with("Bot: "), "{text}");
    assert!(
        lines[1].starts_with("Customer: I was charged twice"),
        "{text}"
    );
    // m-5c0e-0005 (09:15:12.750) arrived after m-5c0e-0006 (09:15:12.990) but comes first.
    assert!(lines[4].contains("My email is"), "{text}");
    assert_eq!(lines[5], "Customer: Thanks", "{text}");
    assert!(lines[6].starts_with("Agent: Done"), "{text}");
    let md: Value = scalar(
        &mut c,
        "SELECT semantic_metadata FROM conversation_embeddings WHERE conversation_id = '8810342'",
        &[],
    );
    assert_eq!(md["message_count"], 7);
    assert_eq!(md["case_status"], "closed");
    assert_eq!(md["channel"], "Website chat");
    assert_eq!(md["platform"], "chat");
    assert_eq!(md["media_type"], 3);
    assert_eq!(md["brand_id"], 6435);
    assert_eq!(md["tenant_id"], "11ee2f4a-0000-4000-8000-00000000a1b2");
    assert_eq!(md["business_unit_id"], 4601234);
    assert_eq!(md["queue_id"], "q-payments-3c1d");
    assert_eq!(md["direction"], "inbound");
    assert_eq!(md["agent_ids"], json!(["62719001"]));
    assert_eq!(md["sentiment"], "positive");
    assert_eq!(md["first_message_at"], "2024-05-02T09:14:01.118Z");
    assert_eq!(md["last_message_at"], "2024-05-02T09:16:05.301Z");
    assert_eq!(md["intent_category"], "billing_dispute");
    // Personal data of the structured fields is never copied into metadata.
    let all = md.to_string();
    for pii in [
        "Dana",
        "Whitfield",
        "198.51.100.23",
        "sam.ortiz",
        "Ortiz",
        "@example",
    ] {
        assert!(!all.contains(pii), "{pii} in {all}");
    }
}

#[test]
fn repeats_are_duplicates_updates_replace_and_older_updates_are_skipped() {
    let db = TestDb::new();
    let mut c = db.connect();
    let first = message_event("c-upd", "m1", "customer", "my card was declined", 1, "open");
    let id1 = insert_value(&mut c, &first);
    // The same event delivered twice, and the same message in another event.
    let replay = insert_value(&mut c, &first);
    assert_eq!(outcome(&mut c, replay).0, "duplicate");
    let mut again = first.clone();
    again["eventId"] = json!("another-event");
    let dup = insert_value(&mut c, &again);
    let (o, reason) = outcome(&mut c, dup);
    assert_eq!(o, "duplicate");
    assert!(reason.unwrap().contains(&format!("payload {id1}")));
    // MessageUpdated replaces the text; an older update is skipped.
    let mut update = first.clone();
    update["eventType"] = json!("MessageUpdated");
    update["eventId"] = json!("upd-new");
    update["createdAtWithMilliseconds"] = json!("2024-05-02T10:00:00.000+00:00");
    update["data"]["message"]["messageContent"]["text"] = json!("my debit card was declined twice");
    let u = insert_value(&mut c, &update);
    assert_eq!(outcome(&mut c, u).0, "recorded");
    let mut stale = update.clone();
    stale["eventId"] = json!("upd-old");
    stale["createdAtWithMilliseconds"] = json!("2024-05-02T09:30:00.000+00:00");
    stale["data"]["message"]["messageContent"]["text"] = json!("an older wording");
    let s = insert_value(&mut c, &stale);
    assert_eq!(outcome(&mut c, s).0, "skipped");
    let close = message_event("c-upd", "m2", "agent", "sorry about that", 2, "resolved");
    insert_value(&mut c, &close);
    let rows = live_rows(&mut c, "c-upd");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0].1,
        "Customer: my debit card was declined twice\nAgent: sorry about that"
    );
    assert_eq!(
        scalar_i64(
            &mut c,
            "SELECT count(*) FROM cxone_messages WHERE conversation_id = 'c-upd'"
        ),
        2
    );
}

#[test]
fn an_erased_message_leaves_no_trace_in_text_chunks_or_vectors() {
    let db = openai_db_unindexed();
    let mut c = db.connect();
    for e in case_events() {
        insert_value(&mut c, &e);
    }
    // Embedded, so a vector of the old text exists.
    c.batch_execute(
        "UPDATE conversation_embeddings SET status = 'embedded', model = target_model,
                embedding = array_fill(0.1, ARRAY[1536])::vector, embedded_at = now()",
    )
    .unwrap();
    let erasure = insert_value(&mut c, &real("dfo_message_updated_content_removed.json"));
    assert_eq!(outcome(&mut c, erasure).0, "recorded");
    let left: Vec<String> = c
        .query(
            "SELECT text_content FROM conversation_embeddings WHERE conversation_id = '8810342'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        left.len(),
        1,
        "every earlier row, embedded ones too, is gone: {left:?}"
    );
    assert!(!left[0].contains("refund the second one"), "{}", left[0]);
    assert!(!left[0].contains("dana.whitfield"), "{}", left[0]);
    assert!(left[0].contains("Customer: Thanks"), "{}", left[0]);
    let body: String = scalar(
        &mut c,
        "SELECT body || '|' || removed FROM cxone_messages WHERE message_id = 'm-5c0e-0005'",
        &[],
    );
    assert_eq!(body, "|GDPR");
    // The message added again (a late replay of the original event) does not bring it back.
    let mut replay = case_events()[5].clone();
    replay["eventId"] = json!("late-replay");
    let r = insert_value(&mut c, &replay);
    assert_eq!(outcome(&mut c, r).0, "duplicate");
    assert!(!live_rows(&mut c, "8810342")[0].1.contains("dana.whitfield"));
}

#[test]
fn a_message_after_the_close_is_added_and_the_conversation_queued_again() {
    let db = TestDb::new();
    let mut c = db.connect();
    for e in case_events() {
        insert_value(&mut c, &e);
    }
    let late = message_event(
        "8810342",
        "m-late",
        "customer",
        "one more thing: the app logs me out",
        3000,
        "closed",
    );
    insert_value(&mut c, &late);
    let rows = live_rows(&mut c, "8810342");
    // The older pending row is superseded by the newer text.
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0]
            .1
            .ends_with("Customer: one more thing: the app logs me out"),
        "{}",
        rows[0].1
    );
    assert_eq!(rows[0].1.lines().count(), 8);
}

#[test]
fn a_quiet_open_conversation_is_assembled_by_the_sql_clock() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(
        "UPDATE cxone_mappings SET mapping = jsonb_set(mapping, '{messages,quiet_seconds}', '1') WHERE name = 'default'",
    )
    .unwrap();
    insert_value(
        &mut c,
        &message_event(
            "c-quiet",
            "m1",
            "customer",
            "where is my new card",
            1,
            "open",
        ),
    );
    assert_eq!(
        scalar_i64(&mut c, "SELECT cxone_assemble_due()"),
        0,
        "not quiet yet"
    );
    std::thread::sleep(Duration::from_millis(1300));
    assert_eq!(scalar_i64(&mut c, "SELECT cxone_assemble_due()"), 1);
    assert_eq!(live_rows(&mut c, "c-quiet").len(), 1);
    assert_eq!(
        scalar_i64(&mut c, "SELECT cxone_assemble_due()"),
        0,
        "assembled once"
    );
    let assembled: bool = scalar(&mut c, "SELECT pending_since IS NULL AND assembled_at IS NOT NULL FROM cxone_conversations WHERE conversation_id = 'c-quiet'", &[]);
    assert!(assembled);
}

#[test]
fn the_sidecar_embeds_a_quiet_open_conversation_without_another_event() {
    let db = openai_db_unindexed();
    let mut c = db.connect();
    c.batch_execute(
        "UPDATE cxone_mappings SET mapping = jsonb_set(mapping, '{messages,quiet_seconds}', '2') WHERE name = 'default'",
    )
    .unwrap();
    let double = OpenAiDouble::start(Faults::default());
    let port = free_port();
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"));
    let _sidecar = Running(spawn(cmd.arg("run")));
    wait_ready(port);
    insert_value(
        &mut c,
        &message_event(
            "c-open",
            "m1",
            "customer",
            "I lost my card abroad",
            1,
            "open",
        ),
    );
    insert_value(
        &mut c,
        &message_event(
            "c-open",
            "m2",
            "agent",
            "I have frozen it for you",
            2,
            "open",
        ),
    );
    let started = Instant::now();
    loop {
        let rows = live_rows(&mut c, "c-open");
        if rows.iter().any(|(s, _)| s == "embedded") {
            assert_eq!(rows.len(), 1);
            assert_eq!(
                rows[0].1,
                "Customer: I lost my card abroad\nAgent: I have frozen it for you"
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not embedded: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_sessions_adding_messages_to_one_conversation_at_once_leave_one_complete_transcript() {
    let db = TestDb::new();
    let n = 30;
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let url = db.url().to_string();
            std::thread::spawn(move || {
                let mut c = Client::connect(&url, cxone_e2e::postgres::NoTls).unwrap();
                for i in (t..n).step_by(2) {
                    // Every event says the case is closed: each statement assembles at once.
                    let e = message_event(
                        "c-race",
                        &format!("m{i:03}"),
                        "customer",
                        &format!("line {i:03}"),
                        i as u32 + 1,
                        "closed",
                    );
                    insert_value(&mut c, &e);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut c = db.connect();
    let rows = live_rows(&mut c, "c-race");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let want: Vec<String> = (0..n).map(|i| format!("Customer: line {i:03}")).collect();
    assert_eq!(rows[0].1, want.join("\n"));
}

#[test]
fn the_other_shapes_keep_working_beside_message_events() {
    let db = TestDb::new();
    let mut c = db.connect();
    let seed = insert(&mut c, &fixture("seed_conversation_completed.json"));
    let composite = insert(&mut c, &fixture("dfo_case_closed_with_transcript.json"));
    assert_eq!(outcome(&mut c, seed).0, "queued");
    assert_eq!(outcome(&mut c, composite).0, "queued");
    assert_eq!(
        scalar_i64(&mut c, "SELECT count(*) FROM cxone_conversations"),
        0,
        "whole-transcript payloads are not message events"
    );
    // A case event without text for that conversation (its close) is recorded, and leaves the
    // transcript's queued row alone: no messages were ever recorded for it.
    let mut close = real("dfo_case_status_changed_closed.json");
    close["data"]["case"]["id"] = json!("131988342510");
    let id = insert_value(&mut c, &close);
    assert_eq!(outcome(&mut c, id).0, "recorded");
    let rows = live_rows(&mut c, "131988342510");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "pending");
    assert_eq!(scalar_i64(&mut c, "SELECT cxone_assemble_due()"), 0);
}

#[test]
fn a_rest_page_of_messages_is_recorded_like_the_events() {
    let db = TestDb::new();
    let mut c = db.connect();
    let page = insert(
        &mut c,
        &fixture("real/rest_dfo_contact_8810342_messages.json"),
    );
    let (o, reason) = outcome(&mut c, page);
    assert_eq!(o, "recorded", "{reason:?}");
    assert_eq!(
        scalar_i64(
            &mut c,
            "SELECT count(*) FROM cxone_messages WHERE conversation_id = '8810342'"
        ),
        7
    );
    // The same messages again as events: all duplicates.
    let events = case_events();
    let again = insert_value(&mut c, &events[0]);
    assert_eq!(outcome(&mut c, again).0, "duplicate");
}

#[test]
fn one_insert_select_of_100000_message_events_queues_each_of_10000_conversations_once() {
    let db = TestDb::new();
    let mut c = db.connect();
    let started = Instant::now();
    // Per case: nine messages (customer and agent in turn), then the closing status change.
    let inserted = c
        .execute(
            "INSERT INTO cxone_payloads (payload)
             SELECT json_build_object(
                      'eventId', 'bulk-' || n || '-' || m,
                      'eventType', CASE WHEN m = 10 THEN 'CaseStatusChanged' ELSE 'MessageAddedIntoCase' END,
                      'createdAtWithMilliseconds', t,
                      'data', json_build_object(
                        'case', json_build_object('id', 'bulk-' || n, 'status', CASE WHEN m = 10 THEN 'closed' ELSE 'open' END,
                                                  'statusUpdatedAt', t),
                        'channel', json_build_object('name', 'SMS', 'realExternalPlatformId', 'sms'),
                        'message', CASE WHEN m < 10 THEN json_build_object(
                          'id', 'bulk-m-' || n || '-' || m, 'contactNumber', 'bulk-' || n,
                          'direction', CASE WHEN m % 2 = 1 THEN 'inbound' ELSE 'outbound' END,
                          'authorEndUserIdentity', CASE WHEN m % 2 = 1 THEN json_build_object('id', 'sms_' || n) END,
                          'authorUser', CASE WHEN m % 2 = 0 THEN json_build_object('id', 700 + n % 5, 'isBotUser', false) END,
                          'createdAtWithMilliseconds', t,
                          'messageContent', json_build_object('type', 'TEXT', 'text', 'line ' || m || ' of case ' || n)) END))
               FROM generate_series(1, 10000) AS n, generate_series(1, 10) AS m,
                    LATERAL (SELECT to_char(timestamptz '2024-05-02 09:00:00+00' + make_interval(secs => n * 60 + m),
                                            'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"') AS t) AS ts
              ORDER BY n, m",
            &[],
        )
        .unwrap();
    let took = started.elapsed();
    assert_eq!(inserted, 100_000);
    eprintln!("100,000 message events for 10,000 conversations in one statement: {took:?}");
    let outcomes: Vec<(String, i64)> = c
        .query(
            "SELECT outcome, count(*) FROM cxone_payloads GROUP BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(outcomes, [("recorded".to_string(), 100_000)]);
    assert_eq!(
        scalar_i64(&mut c, "SELECT count(*) FROM cxone_messages"),
        90_000
    );
    // Each conversation queued exactly once (no row written and then superseded).
    assert_eq!(
        scalar_i64(&mut c, "SELECT count(*) FROM conversation_embeddings"),
        10_000
    );
    assert_eq!(
        scalar_i64(&mut c, "SELECT count(DISTINCT conversation_id) FROM conversation_embeddings WHERE status = 'pending'"),
        10_000
    );
    let rows = live_rows(&mut c, "bulk-77");
    let want: Vec<String> = (1..10)
        .map(|m| {
            let who = if m % 2 == 1 { "Customer" } else { "Agent" };
            format!("{who}: line {m} of case 77")
        })
        .collect();
    assert_eq!(rows, [("pending".to_string(), want.join("\n"))]);
    assert_eq!(
        scalar_i64(
            &mut c,
            "SELECT count(*) FROM cxone_conversations WHERE pending_since IS NOT NULL"
        ),
        0
    );
}

/// The "done when": the whole case through the webhook into a fresh database, found by
/// search, and the erasure rebuilding its vector without the erased message.
#[test]
fn the_case_through_the_webhook_is_searchable_and_an_erasure_rebuilds_its_vector() {
    let db = TestDb::new();
    let (_sidecar, port) = cxone_e2e::start_local(&db, &[("CXONE_WEBHOOK_TOKEN", "studio-token")]);
    let mut c = db.connect();
    cxone_e2e::ingest_banking77(&mut c, 300, "gym");
    let post = |body: &str| {
        let (status, reply) = cxone_e2e::http(
            port,
            "POST",
            "/v1/webhooks/cxone",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", "Bearer studio-token"),
            ],
            body.as_bytes(),
        );
        assert_eq!(status, 200, "{reply}");
        reply
    };
    // As CXone Studio posts them: one event per request.
    for e in case_events() {
        let reply = post(&e.to_string());
        assert!(reply.contains("recorded"), "{reply}");
    }
    cxone_e2e::wait_embedded(&mut c, 300);
    let rows = live_rows(&mut c, "8810342");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "embedded");
    let labels: Vec<&str> = rows[0]
        .1
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["Bot", "Customer", "Bot", "Agent", "Customer", "Customer", "Agent"]
    );
    let mut c = db.connect(); // with cxone.embeddings_url
    let found: String = scalar(
        &mut c,
        "SELECT conversation_id FROM cxone_search('charged twice for my gym membership', 1)",
        &[],
    );
    assert_eq!(found, "8810342");
    let before: String = scalar(&mut c, "SELECT embedding::text FROM conversation_embeddings WHERE conversation_id = '8810342' AND status = 'embedded'", &[]);
    post(&fixture("real/dfo_message_updated_content_removed.json"));
    let started = Instant::now();
    loop {
        let rows = live_rows(&mut c, "8810342");
        if rows.len() == 1 && rows[0].0 == "embedded" {
            assert!(
                !rows[0].1.contains("refund the second one"),
                "{}",
                rows[0].1
            );
            assert_eq!(rows[0].1.lines().count(), 6);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "not rebuilt: {rows:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let after: String = scalar(&mut c, "SELECT embedding::text FROM conversation_embeddings WHERE conversation_id = '8810342' AND status = 'embedded'", &[]);
    assert_ne!(
        before, after,
        "the vector is rebuilt from the text without the erased message"
    );
    assert_eq!(
        scalar_i64(
            &mut c,
            "SELECT count(*) FROM conversation_embeddings WHERE conversation_id = '8810342'"
        ),
        1,
        "no superseded copy of the erased text is kept"
    );
}

#[test]
fn a_conversation_is_assembled_with_the_mapping_its_messages_were_recorded_under() {
    let db = TestDb::new();
    let mut admin = db.connect();
    admin
        .batch_execute(
            "INSERT INTO cxone_mappings (name, mapping)
             SELECT 'advisors', jsonb_set(jsonb_set(mapping, '{messages,labels,agent}', '\"Advisor\"'),
                                          '{messages,quiet_seconds}', '1')
               FROM cxone_mappings WHERE name = 'default'",
        )
        .unwrap();
    let mut ingest = db.connect();
    ingest
        .batch_execute("SET cxone.mapping = 'advisors'")
        .unwrap();
    insert_value(
        &mut ingest,
        &message_event("c-adv", "m1", "customer", "is my transfer stuck", 1, "open"),
    );
    insert_value(
        &mut ingest,
        &message_event("c-adv", "m2", "agent", "it cleared this morning", 2, "open"),
    );
    std::thread::sleep(Duration::from_millis(1300));
    // Another session, on the default mapping (quiet 300 s), runs the clock.
    let mut clock = db.connect();
    assert_eq!(scalar_i64(&mut clock, "SELECT cxone_assemble_due()"), 1);
    let rows = live_rows(&mut clock, "c-adv");
    assert_eq!(
        rows,
        [(
            "pending".to_string(),
            "Customer: is my transfer stuck\nAdvisor: it cleared this morning".to_string()
        )]
    );
}
