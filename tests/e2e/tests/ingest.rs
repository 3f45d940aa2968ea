//! Ingest through a real client connection: the fixtures, the outcomes, NOTIFY, concurrent
//! replays, errors and their SQLSTATEs.

use cxone_e2e::postgres::error::SqlState;
use cxone_e2e::postgres::fallible_iterator::FallibleIterator;
use cxone_e2e::{fixture, insert, outcome, scalar, TestDb};
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
    let stored: String = scalar(
        &mut c,
        "SELECT payload::text FROM cxone_payloads WHERE id = $1",
        &[&id],
    );
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
    let first: i64 = scalar(
        &mut tx,
        "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
        &[&payload],
    );
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
    let n: i64 = scalar(&mut a, "SELECT count(*) FROM conversation_embeddings", &[]);
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
    let v: String = scalar(
        &mut c,
        "SELECT extversion FROM pg_extension WHERE extname = 'cxone_vector'",
        &[],
    );
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
        scalar(
            c,
            "SELECT semantic_metadata->>'intent_category' FROM conversation_embeddings WHERE conversation_id = $1",
            &[&conv],
        )
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
    let tagged: String = scalar(&mut a, "SELECT cxone_tag('zebra')->>'intent_category'", &[]);
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
