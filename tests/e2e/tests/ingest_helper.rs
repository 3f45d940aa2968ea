//! The ingest helper thread (extension/src/ingest_helper.rs) changes where the work runs, not
//! what it makes: every payload's outcome and every queue row are the same with
//! `cxone.ingest_helper_thread` on (the default) and off, for one big statement holding every
//! kind of payload, with and without redaction; a statement cancelled while the helper works
//! leaves nothing behind and the next statement is processed normally; and a one-row INSERT
//! never uses the helper.

use cxone_e2e::postgres::Client;
use cxone_e2e::scalar;
use cxone_e2e::TestDb;
use serde_json::{json, Value};

/// Every kind of payload, in one list: PII, replays, newer and older events of the same
/// conversation, no text (skipped), no conversation id and not an object (invalid), metadata with a
/// fraction and integers at the edges (binary jsonb and its text fallback), a conversation
/// long enough to be chunked.
fn payloads(n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let mut text = format!("My card was declined at the shop, reference {i}.");
        if i % 7 == 0 {
            text.push_str(&format!(" Email me at someone.{i}@example.org"));
        }
        if i % 11 == 0 {
            text.push_str(&format!(" or call +44 20 7946 0{:03}", i % 1000));
        }
        let agent: Value = match i % 13 {
            0 => json!(12.5),
            1 => json!(u64::MAX),
            2 => json!(-10000),
            _ => json!(i),
        };
        // Every 17th is a replay of the one before it.
        let event = if i % 17 == 16 { i - 1 } else { i };
        let mut p = json!({
            "eventId": format!("ev-{event}"),
            "eventType": "CaseStatusChanged",
            "createdAt": format!("2024-03-06T08:{:02}:{:02}+00:00", (i * 7) % 60, i % 60),
            "data": {
                "case": {"id": format!("case-{}", i % (n / 3)), "status": "closed", "ownerAssigneeUser": {"id": agent}},
                "channel": {"id": "chat_1", "name": "Web chat"},
                "transcript": [
                    {"participant": "customer", "text": text},
                    {"participant": "agent", "text": "Let me check that for you."}
                ]
            }
        });
        if i % 29 == 3 {
            // No text, and not a case event either (which would be recorded into its case).
            p["data"]["transcript"] = json!([]);
            p["eventType"] = json!("TranscriptUpdated");
            p["data"]["case"].as_object_mut().unwrap().remove("status");
        }
        if i % 31 == 5 {
            p["data"]["case"] = json!({"status": "open"});
        }
        out.push(p.to_string());
    }
    let turns: Vec<Value> = (0..60)
        .map(|k| json!({"participant": if k % 2 == 0 { "customer" } else { "agent" }, "text": format!("Turn {k} of a long conversation about a lost card and a new PIN.")}))
        .collect();
    out.push(
        json!({"eventId": "long", "data": {"case": {"id": "case-long"}, "transcript": turns}})
            .to_string(),
    );
    out.push("[1, 2]".into());
    out
}

type Rows = Vec<Vec<Option<String>>>;

/// Inserts `payloads` in one statement with the given settings; returns the payload rows and
/// the queue rows as text.
fn ingest(settings: &str, payloads: &[String]) -> (Rows, Rows) {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute(settings).unwrap();
    c.execute(
        "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n",
        &[&payloads],
    )
    .unwrap();
    let text = |c: &mut Client, sql: &str| -> Rows {
        c.query(sql, &[])
            .unwrap()
            .iter()
            .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
            .collect()
    };
    let p = text(
        &mut c,
        "SELECT id::text, outcome, reason, conversation_id, event_key, mapping FROM cxone_payloads ORDER BY id",
    );
    let q = text(
        &mut c,
        "SELECT payload_id::text, chunk_index::text, conversation_id, status, source_system, target_model,
                text_content, semantic_metadata::text, event_at::text
           FROM conversation_embeddings ORDER BY payload_id, chunk_index, target_model",
    );
    (p, q)
}

fn count(rows: &Rows, col: usize, value: &str) -> usize {
    rows.iter()
        .filter(|r| r[col].as_deref() == Some(value))
        .count()
}

#[test]
fn the_helper_thread_gives_exactly_what_inline_processing_gives() {
    let payloads = payloads(3000);
    for redact in ["off", "on"] {
        let on = ingest(
            &format!("SET cxone.redact = {redact}; SET cxone.ingest_helper_thread = on"),
            &payloads,
        );
        let off = ingest(
            &format!("SET cxone.redact = {redact}; SET cxone.ingest_helper_thread = off"),
            &payloads,
        );
        assert_eq!(on.0.len(), payloads.len());
        for (a, b) in on.0.iter().zip(&off.0) {
            assert_eq!(a, b, "payload row (redact {redact})");
        }
        assert_eq!(on.1.len(), off.1.len(), "queue rows (redact {redact})");
        for (a, b) in on.1.iter().zip(&off.1) {
            assert_eq!(a, b, "queue row (redact {redact})");
        }
        // The list holds what it claims to, so the comparison covers every path.
        let (p, q) = on;
        for outcome in ["queued", "skipped", "invalid", "duplicate"] {
            assert!(
                count(&p, 1, outcome) > 10 || outcome == "invalid",
                "{outcome}"
            );
        }
        assert!(count(&p, 1, "invalid") >= 50);
        assert!(count(&q, 3, "superseded") > 100);
        assert!(p.iter().any(|r| r[2]
            .as_deref()
            .is_some_and(|s| s.starts_with("no text matched"))));
        assert!(p.iter().any(|r| r[2]
            .as_deref()
            .is_some_and(|s| s.starts_with("superseded on arrival"))));
        assert!(q.iter().any(|r| r[1].as_deref() == Some("1")), "chunked");
        let meta = |needle: &str| q.iter().any(|r| r[7].as_deref().unwrap().contains(needle));
        assert!(meta("\"agent_id\": 12.5"), "text fallback");
        assert!(meta("\"agent_id\": 18446744073709551615"));
        assert!(meta("\"agent_id\": -10000"));
        assert!(meta("\"contains_pii\": true"));
        if redact == "on" {
            assert!(!q
                .iter()
                .any(|r| r[6].as_deref().unwrap().contains("@example.org")));
        }
    }
}

#[test]
fn a_cancelled_statement_leaves_nothing_and_the_next_one_is_processed() {
    let db = TestDb::new();
    let mut c = db.connect();
    let many = payloads(20_000);
    // Cancelled at whatever point the timer finds it: inserting rows, waiting for the helper,
    // or writing the queue.
    for timeout_ms in [50, 150, 300] {
        c.batch_execute(&format!("SET statement_timeout = {timeout_ms}"))
            .unwrap();
        let err = c
            .execute(
                "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
                &[&many],
            )
            .expect_err("the statement outlives its timeout");
        assert_eq!(
            err.code(),
            Some(&cxone_e2e::postgres::error::SqlState::QUERY_CANCELED),
            "{err}"
        );
    }
    c.batch_execute("RESET statement_timeout").unwrap();
    let few = &payloads(30)[..30];
    c.execute(
        "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
        &[&few],
    )
    .unwrap();
    let n = |c: &mut Client, sql: &str| -> i64 { scalar(c, sql, &[]) };
    assert_eq!(n(&mut c, "SELECT count(*) FROM cxone_payloads"), 30);
    assert_eq!(
        n(
            &mut c,
            "SELECT count(*) FROM cxone_payloads WHERE outcome = 'queued'"
        ),
        n(
            &mut c,
            "SELECT count(DISTINCT payload_id) FROM conversation_embeddings"
        )
    );
    assert!(
        n(
            &mut c,
            "SELECT count(*) FROM conversation_embeddings WHERE status = 'pending'"
        ) >= 5
    );
    assert_eq!(
        n(
            &mut c,
            "SELECT count(*) FROM conversation_embeddings e WHERE NOT EXISTS (SELECT 1 FROM cxone_payloads p WHERE p.id = e.payload_id)"
        ),
        0
    );
}

#[test]
fn small_statements_stay_on_the_backend_thread_and_big_ones_settle_at_the_end() {
    let db = TestDb::new();
    let mut c = db.connect();
    let no_text = |i: usize| {
        json!({"eventId": format!("nt-{i}"), "data": {"case": {"id": format!("nt-{i}")}, "transcript": []}})
            .to_string()
    };
    let returning = |c: &mut Client, rows: &[String]| -> Vec<String> {
        c.query(
            "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n RETURNING outcome",
            &[&rows],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    // One row, as the webhook sends: mapped on the backend's thread, so even RETURNING has
    // the final outcome.
    assert_eq!(returning(&mut c, &[no_text(0)]), ["skipped"]);
    // 100 rows: from the 17th on the helper maps them, and a payload without text is found
    // skipped when the statement ends (RETURNING still says queued, as for replays).
    let mut rows = payloads(100)[..99].to_vec();
    rows.insert(50, no_text(1));
    let out = returning(&mut c, &rows);
    assert_eq!(out[50], "queued");
    let after: String = scalar(
        &mut c,
        "SELECT outcome FROM cxone_payloads WHERE conversation_id = 'nt-1'",
        &[],
    );
    assert_eq!(after, "skipped");
}
