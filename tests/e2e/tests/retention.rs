//! Retention of raw payloads (`cxone.payload_retention_days`, `cxone_retention_due`): payloads
//! past the period are deleted by the clock the sidecar drives, while what was derived from
//! them stays; the period is the owner's to choose, not a client's.

use cxone_e2e::attack::Login;
use cxone_e2e::{backfill, insert, scalar, sidecar, TestDb};

/// The real-shape events of one CXone case (messages, then the close), and one flat transcript.
fn ingest(db: &TestDb) -> Vec<i64> {
    let mut c = db.connect();
    let events = std::fs::read_to_string(format!(
        "{}/../fixtures/cxone/real/dfo_case_8810342_events.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the real-shape case");
    let mut ids: Vec<i64> = events
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| insert(&mut c, l))
        .collect();
    ids.push(insert(
        &mut c,
        r#"{"conversationId": "recent-1", "data": {"transcript": {"customer": "my card never arrived", "agent": "I will send a new one"}}}"#,
    ));
    ids
}

/// Makes the case's payloads (all but the last) `days` old.
fn age(db: &TestDb, ids: &[i64], days: i32) {
    let old = &ids[..ids.len() - 1];
    let n = db
        .connect()
        .execute(
            "UPDATE cxone_payloads SET received_at = now() - make_interval(days => $2) WHERE id = ANY ($1)",
            &[&old, &days],
        )
        .unwrap();
    assert_eq!(n as usize, old.len());
}

#[test]
fn payloads_past_the_period_go_and_what_was_derived_from_them_stays() {
    let db = TestDb::new();
    db.set("cxone.payload_retention_days", "30");
    let ids = ingest(&db);
    age(&db, &ids, 31);
    let mut c = db.connect();
    let derived = |c: &mut postgres::Client| -> (i64, i64, i64, i64) {
        (
            scalar(c, "SELECT count(*) FROM cxone_messages", &[]),
            scalar(c, "SELECT count(*) FROM cxone_conversations", &[]),
            scalar(c, "SELECT count(*) FROM conversation_embeddings", &[]),
            scalar(c, "SELECT count(*) FROM _cxone_event_keys", &[]),
        )
    };
    let before = derived(&mut c);
    assert!(before.0 > 0 && before.1 > 0 && before.2 >= 2, "{before:?}");

    // The sidecar's clock deletes them (here: a backfill, which ticks once as it starts).
    let out = backfill(sidecar().env("DATABASE_URL", db.url()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("raw payloads past cxone.payload_retention_days deleted"),
        "{stderr}"
    );
    let left: Vec<i64> = c
        .query("SELECT id FROM cxone_payloads ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        left,
        vec![*ids.last().unwrap()],
        "only the recent payload is left"
    );
    assert_eq!(
        derived(&mut c),
        before,
        "messages, conversations, rows and keys stay"
    );
    let embedded: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings WHERE status = 'embedded'",
        &[],
    );
    assert_eq!(
        embedded, before.2,
        "and the rows are embedded without their payloads"
    );

    // A late replay of a deleted payload is still a replay.
    let first = std::fs::read_to_string(format!(
        "{}/../fixtures/cxone/real/dfo_case_8810342_events.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .lines()
    .next()
    .unwrap()
    .to_string();
    let replay = insert(&mut c, &first);
    let outcome: String = scalar(
        &mut c,
        "SELECT outcome FROM cxone_payloads WHERE id = $1",
        &[&replay],
    );
    assert_eq!(outcome, "duplicate");
}

#[test]
fn retention_is_off_by_default_and_a_client_cannot_choose_the_period() {
    let db = TestDb::new();
    let ids = ingest(&db);
    age(&db, &ids, 400);
    let login = Login::new(&db, &format!("{}_sc", db.name), "cxone_sidecar");
    // Off by default: nothing is deleted, however old.
    let mut sc = login.connect();
    let deleted: i64 = scalar(&mut sc, "SELECT cxone_retention_due()", &[]);
    assert_eq!(deleted, 0);
    // A client's own value is not trusted, in any door: the period stays the owner's (none).
    for options in ["-c cxone.payload_retention_days=1", ""] {
        let mut c = login.connect_with(options);
        if options.is_empty() {
            c.batch_execute("SET cxone.payload_retention_days = 1")
                .unwrap();
        }
        let deleted: i64 = scalar(&mut c, "SELECT cxone_retention_due()", &[]);
        assert_eq!(
            deleted, 0,
            "client-set period ({options:?}) must be ignored"
        );
    }
    let mut admin = db.connect();
    let kept: i64 = scalar(&mut admin, "SELECT count(*) FROM cxone_payloads", &[]);
    assert_eq!(kept as usize, ids.len());
    // Ingesting and reading roles cannot run the clock at all.
    let reader = Login::new(&db, &format!("{}_rd", db.name), "cxone_reader");
    let err = reader
        .connect()
        .batch_execute("SELECT cxone_retention_due()")
        .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
}
