//! Ingest settled once per statement (extension/src/ingest/flush.rs): replays and newer or
//! older payloads within one statement, failed statements and savepoints, a table without the
//! statement trigger, a statement larger than the buffer.

use cxone_e2e::{insert, outcome, scalar, TestDb};

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
    let n: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings e WHERE NOT EXISTS (SELECT 1 FROM cxone_payloads p WHERE p.id = e.payload_id)",
        &[],
    );
    assert_eq!(n, 0, "queue rows without their payload");
    let n: i64 = scalar(&mut c, "SELECT count(*) FROM conversation_embeddings", &[]);
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
    let n: i64 = scalar(&mut c, "SELECT count(*) FROM conversation_embeddings", &[]);
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
    let n: i64 = scalar(&mut c, "SELECT count(*) FROM conversation_embeddings", &[]);
    assert_eq!(n, 10_000);
}
