//! Ingest through a real client connection: the fixtures, the outcomes, NOTIFY, concurrent
//! replays, errors and their SQLSTATEs.

use cxone_e2e::postgres::error::SqlState;
use cxone_e2e::postgres::fallible_iterator::FallibleIterator;
use cxone_e2e::{fixture, insert, outcome, TestDb};
use serde_json::Value;
use std::time::Duration;

#[test]
fn two_fixtures_and_a_payload_without_text() {
    let db = TestDb::new();
    let mut c = db.connect();
    let seed = insert(&mut c, &fixture("seed_conversation_completed.json"));
    let dfo = insert(&mut c, &fixture("dfo_case_closed_with_transcript.json"));
    let empty = insert(
        &mut c,
        r#"{"conversationId": "c-3", "data": {"transcript": [{"participant": "system", "text": "", "payload": {"postback": "x"}}]}}"#,
    );
    assert_eq!(outcome(&mut c, seed).0, "queued");
    assert_eq!(outcome(&mut c, dfo).0, "queued");
    let (o, reason) = outcome(&mut c, empty);
    assert_eq!(o, "skipped");
    assert!(reason.unwrap().starts_with("no text matched"));

    let rows = c
        .query(
            "SELECT payload_id, text_content, semantic_metadata, status, embedding IS NULL
               FROM conversation_embeddings ORDER BY payload_id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 2);
    let text: String = rows[0].get(1);
    assert_eq!(text, "Agent: Hello, how can I assist you with your order? Customer: I need a full refund because the item arrived damaged. Subject: Order refund request");
    let meta: Value = rows[0].get(2);
    assert_eq!(meta["intent_category"], "billing_dispute");
    assert_eq!(meta["contains_pii"], false);
    let dfo_meta: Value = rows[1].get(2);
    assert_eq!(dfo_meta["contains_pii"], true);
    assert_eq!(dfo_meta["pii_types"], serde_json::json!(["email"]));
    for r in &rows {
        assert_eq!(r.get::<_, String>(3), "pending");
        assert!(r.get::<_, bool>(4));
    }
}

#[test]
fn raw_payload_is_kept_byte_for_byte() {
    let db = TestDb::new();
    let mut c = db.connect();
    let raw = "{ \"b\":1,\"a\" : \"x\\u0000y\", \"a\": 2 }";
    let id = insert(&mut c, raw);
    let stored: String = c
        .query_one(
            "SELECT payload::text FROM cxone_payloads WHERE id = $1",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert_eq!(stored, raw);
}

#[test]
fn a_committed_queue_notifies_once_per_statement() {
    let db = TestDb::new();
    let mut listener = db.connect();
    listener
        .batch_execute("LISTEN cxone_vector_pending")
        .unwrap();
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO cxone_payloads (payload)
         SELECT json_build_object('conversationId', 'n' || g, 'data', json_build_object('subject', 'hello ' || g))
           FROM generate_series(1, 500) g",
    )
    .unwrap();
    let mut notes = listener.notifications();
    let got: Vec<String> = notes
        .timeout_iter(Duration::from_secs(2))
        .map(|n| Ok(n.channel().to_string()))
        .collect()
        .unwrap();
    assert_eq!(got, vec!["cxone_vector_pending".to_string()]);
}

#[test]
fn nothing_is_notified_when_nothing_is_queued() {
    let db = TestDb::new();
    let mut listener = db.connect();
    listener
        .batch_execute("LISTEN cxone_vector_pending")
        .unwrap();
    let mut c = db.connect();
    insert(&mut c, "[]");
    let mut notes = listener.notifications();
    assert_eq!(
        notes
            .timeout_iter(Duration::from_millis(500))
            .count()
            .unwrap(),
        0
    );
}

#[test]
fn concurrent_replays_queue_exactly_once() {
    let db = TestDb::new();
    let payload = fixture("dfo_case_closed_with_transcript.json");
    let mut a = db.connect();
    let mut tx = a.transaction().unwrap();
    let first: i64 = tx
        .query_one(
            "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
            &[&payload],
        )
        .unwrap()
        .get(0);
    // The second session's insert waits on the first one's event key until it commits.
    let url = db.url().to_string();
    let p2 = payload.clone();
    let second = std::thread::spawn(move || {
        let mut b = cxone_e2e::postgres::Client::connect(&url, cxone_e2e::postgres::NoTls).unwrap();
        let id = insert(&mut b, &p2);
        outcome(&mut b, id)
    });
    std::thread::sleep(Duration::from_millis(300));
    tx.commit().unwrap();
    let (o, reason) = second.join().unwrap();
    assert_eq!(o, "duplicate");
    assert!(reason
        .unwrap()
        .contains(&format!("replay of payload {first}")));
    let n: i64 = a
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn a_bad_mapping_is_refused_with_22023_naming_the_path() {
    let db = TestDb::new();
    let mut c = db.connect();
    let err = c
        .execute(
            r#"INSERT INTO cxone_mappings (name, mapping) VALUES ('bad', '{"fields": [{"path": "data..text", "label": "T"}]}')"#,
            &[],
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INVALID_PARAMETER_VALUE));
    let msg = err.as_db_error().unwrap().message().to_string();
    assert!(msg.contains("'data..text'"), "{msg}");
}

#[test]
fn vector_cannot_be_dropped_while_cxone_vector_is_installed() {
    let db = TestDb::new();
    let err = db
        .connect()
        .batch_execute("DROP EXTENSION vector")
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::DEPENDENT_OBJECTS_STILL_EXIST));
}

#[test]
fn version_and_update_path() {
    let db = TestDb::new();
    let mut c = db.connect();
    let v: String = c
        .query_one(
            "SELECT extversion FROM pg_extension WHERE extname = 'cxone_vector'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
    // Already at the newest version: UPDATE is a no-op, not an error.
    c.batch_execute("ALTER EXTENSION cxone_vector UPDATE")
        .unwrap();
}

#[test]
fn config_edited_in_another_session_applies_to_the_next_statement() {
    // The compiled mapping and rules are kept across statements; an edit committed elsewhere
    // must still be seen by the next statement of a session that has them cached.
    let db = TestDb::new();
    let mut a = db.connect();
    let mut b = db.connect();
    let intent = |c: &mut postgres::Client, conv: &str, text: &str| -> String {
        let payload = format!(r#"{{"conversationId": "{conv}", "data": {{"subject": "{text}"}}}}"#);
        insert(c, &payload);
        c.query_one(
            "SELECT semantic_metadata->>'intent_category' FROM conversation_embeddings WHERE conversation_id = $1",
            &[&conv],
        )
        .unwrap()
        .get(0)
    };
    let before = intent(&mut a, "cfg-1", "a zebra crossed the road");
    assert_ne!(before, "zebra_question");
    b.batch_execute(
        "INSERT INTO cxone_intent_rules (category, pattern, priority) VALUES ('zebra_question', '(?i)\\bzebra\\b', 1000)",
    )
    .unwrap();
    assert_eq!(
        intent(&mut a, "cfg-2", "a zebra crossed the road"),
        "zebra_question"
    );
    let tagged: String = a
        .query_one("SELECT cxone_tag('zebra')->>'intent_category'", &[])
        .unwrap()
        .get(0);
    assert_eq!(tagged, "zebra_question");
    // Disabled elsewhere: gone for the next statement here.
    b.batch_execute(
        "UPDATE cxone_intent_rules SET enabled = false WHERE category = 'zebra_question'",
    )
    .unwrap();
    assert_ne!(
        intent(&mut a, "cfg-3", "a zebra crossed the road"),
        "zebra_question"
    );
    // An edit rolled back elsewhere changes nothing.
    b.batch_execute(
        "BEGIN; UPDATE cxone_intent_rules SET enabled = true WHERE category = 'zebra_question'; ROLLBACK",
    )
    .unwrap();
    assert_ne!(
        intent(&mut a, "cfg-4", "a zebra crossed the road"),
        "zebra_question"
    );
}

/// A DFO-shaped payload of conversation `case` for event `event` at minute `minute`.
fn event(case: &str, event: &str, minute: u32, text: &str) -> String {
    serde_json::json!({
        "eventId": event,
        "createdAt": format!("2024-03-06T08:{minute:02}:00+00:00"),
        "data": {"case": {"id": case}, "transcript": [{"participant": "customer", "text": text}]}
    })
    .to_string()
}

/// (payload outcome, reason) and the statuses of its queue rows, by insertion order.
fn outcomes(c: &mut cxone_e2e::postgres::Client) -> Vec<(String, Option<String>, Vec<String>)> {
    c.query(
        "SELECT p.outcome, p.reason,
                coalesce((SELECT array_agg(e.status ORDER BY e.chunk_index) FROM conversation_embeddings e WHERE e.payload_id = p.id), '{}')
           FROM cxone_payloads p ORDER BY p.id",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

#[test]
fn one_statement_settles_replays_and_newer_payloads_as_row_by_row_would() {
    let db = TestDb::new();
    let mut c = db.connect();
    let rows = [
        event("c1", "e1", 10, "first version"),
        event("c1", "e1", 10, "first version"), // replay in the same statement
        event("c1", "e2", 20, "second version"), // newer: replaces e1's row
        event("c1", "e3", 15, "late arrival"),  // older than e2: superseded on arrival
        event("c2", "e4", 5, "another case"),
    ];
    let ids: Vec<i64> = c
        .query(
            "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n RETURNING id",
            &[&rows.to_vec()],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let got = outcomes(&mut c);
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(got[0].0, "queued");
    assert_eq!(got[0].2, s(&["superseded"]));
    assert_eq!(got[1].0, "duplicate");
    assert_eq!(
        got[1].1.as_deref(),
        Some(format!("replay of payload {} (event key id:e1)", ids[0]).as_str())
    );
    assert!(got[1].2.is_empty());
    assert_eq!(
        (got[2].0.as_str(), got[2].2.clone()),
        ("queued", s(&["pending"]))
    );
    assert_eq!(got[3].0, "skipped");
    assert_eq!(
        got[3].1.as_deref(),
        Some(
            format!(
                "superseded on arrival: payload {} of conversation c1 is newer",
                ids[2]
            )
            .as_str()
        )
    );
    assert_eq!(
        (got[4].0.as_str(), got[4].2.clone()),
        ("queued", s(&["pending"]))
    );
    // A later statement: a replay of e2, and a newer event that supersedes the pending row.
    insert(&mut c, &event("c1", "e2", 20, "second version"));
    insert(&mut c, &event("c1", "e5", 30, "third version"));
    let got = outcomes(&mut c);
    assert_eq!(got[2].2, s(&["superseded"]));
    assert_eq!(got[5].0, "duplicate");
    assert_eq!(
        (got[6].0.as_str(), got[6].2.clone()),
        ("queued", s(&["pending"]))
    );
}

#[test]
fn rows_of_a_failed_statement_are_never_queued() {
    let db = TestDb::new();
    let mut c = db.connect();
    // The third row fails (division by zero) after two were inserted and buffered; the
    // savepoint rolls them back, and the next statement must not queue them.
    c.batch_execute(&format!(
        "BEGIN;
         SAVEPOINT s;
         INSERT INTO cxone_payloads (payload) VALUES ('{}'::json);
         ROLLBACK TO SAVEPOINT s;",
        event("k0", "k0", 1, "kept out by the rollback")
    ))
    .unwrap();
    let failing = format!(
        "INSERT INTO cxone_payloads (payload)
         SELECT (CASE WHEN 1 / (3 - g) >= 0 THEN format('{}', g, g) END)::json FROM generate_series(1, 3) g",
        event("f%s", "f%s", 1, "failing statement").replace('\'', "''")
    );
    c.batch_execute("SAVEPOINT t").unwrap();
    assert!(c.batch_execute(&failing).is_err());
    c.batch_execute("ROLLBACK TO SAVEPOINT t").unwrap();
    insert(&mut c, &event("k1", "k1", 1, "kept"));
    c.batch_execute("COMMIT").unwrap();
    let got = outcomes(&mut c);
    assert_eq!(got.len(), 1, "{got:?}");
    let queued: Vec<String> = c
        .query("SELECT conversation_id FROM conversation_embeddings", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(queued, vec!["k1".to_string()]);
    // The same in a PL/pgSQL exception block inside one statement.
    c.batch_execute(&format!(
        "DO $$ BEGIN
           BEGIN {failing}; EXCEPTION WHEN division_by_zero THEN NULL; END;
           INSERT INTO cxone_payloads (payload) VALUES ('{}'::json);
         END $$",
        event("k2", "k2", 1, "kept too")
    ))
    .unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM conversation_embeddings e WHERE NOT EXISTS (SELECT 1 FROM cxone_payloads p WHERE p.id = e.payload_id)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "queue rows without their payload");
    let n: i64 = c
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 2);
}

#[test]
fn a_table_without_the_statement_trigger_is_queued_row_by_row() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute("DROP TRIGGER cxone_payloads_ingest_flush ON cxone_payloads")
        .unwrap();
    let id = insert(&mut c, &event("r1", "r1", 1, "no statement trigger"));
    insert(&mut c, &event("r1", "r1", 1, "no statement trigger"));
    assert_eq!(outcome(&mut c, id).0, "queued");
    let got = outcomes(&mut c);
    assert_eq!(got[1].0, "duplicate");
    let n: i64 = c
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[test]
fn a_statement_larger_than_the_buffer_settles_across_the_early_write() {
    // The row trigger writes its buffer every 10,000 payloads; replays and older payloads after
    // that point must still find what the early write registered.
    let db = TestDb::new();
    let mut c = db.connect();
    let mut rows: Vec<String> = (0..10_000)
        .map(|i| {
            event(
                &format!("big{i}"),
                &format!("big-e{i}"),
                30,
                "a conversation",
            )
        })
        .collect();
    rows.push(event("big0", "big-e0", 30, "a conversation")); // replay of the first
    rows.push(event("big1", "big-late", 10, "an older version")); // older than big1's
    c.execute(
        "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
        &[&rows],
    )
    .unwrap();
    let got = outcomes(&mut c);
    assert_eq!(got.len(), 10_002);
    assert!(got[..10_000]
        .iter()
        .all(|o| o.0 == "queued" && o.2 == ["pending"]));
    assert_eq!(got[10_000].0, "duplicate");
    assert_eq!(got[10_001].0, "skipped");
    assert!(got[10_001]
        .1
        .as_deref()
        .unwrap()
        .starts_with("superseded on arrival"));
    let n: i64 = c
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 10_000);
}
