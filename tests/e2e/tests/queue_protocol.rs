//! The embedding queue's protocol (`sql/queue.sql`) as any worker speaks it: only through the
//! `cxone_queue_*` functions, as a login with nothing but `cxone_sidecar`; and the sidecar's
//! refusal of an extension that speaks another protocol.

use cxone_e2e::attack::Login;
use cxone_e2e::{insert, run_to_end, scalar, sidecar, TestDb};
use postgres::error::SqlState;
use postgres::Client;

/// Row ids as text (the test crate has no uuid type); the SQL casts them.
type Uuid = String;

const MODEL: &str = "all-MiniLM-L6-v2";

/// `n` conversations queued for MODEL, each with its own text.
fn queue_rows(db: &TestDb, n: usize) {
    let mut admin = db.connect();
    for i in 0..n {
        let p = serde_json::json!({
            "conversationId": format!("queue-{i}"),
            "data": {"transcript": {
                "customer": format!("my card number {i} was charged twice"),
                "agent": "I will look into it"
            }}
        });
        insert(&mut admin, &p.to_string());
    }
    let queued: i64 = scalar(&mut admin, "SELECT cxone_queue_depth($1)", &[&MODEL]);
    assert_eq!(queued, n as i64, "each payload queues one row");
}

fn claim(c: &mut Client, n: i32) -> Vec<(Uuid, String)> {
    c.query(
        "SELECT id::text, text_content FROM cxone_queue_claim($1, $2, 30)",
        &[&MODEL, &n],
    )
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// A 384-dimension vector as text, cast in SQL (the test crate has no pgvector type).
fn write(c: &mut Client, ids: &[Uuid]) -> i64 {
    scalar(
        c,
        "SELECT cxone_queue_write($1, $2::text[]::uuid[],
                array_fill(array_fill(0.25::real, ARRAY[384])::vector, ARRAY[cardinality($2::text[])]))",
        &[&MODEL, &ids],
    )
}

#[test]
fn a_worker_with_only_cxone_sidecar_drains_the_queue_through_the_functions() {
    let db = TestDb::new();
    queue_rows(&db, 6);
    let login = Login::new(&db, &format!("{}_worker", db.name), "cxone_sidecar");
    let mut worker = login.connect();
    let mut other = login.connect();

    let protocol: i32 = scalar(&mut worker, "SELECT cxone_queue_protocol()", &[]);
    assert_eq!(protocol, 1);

    // Two workers claim at once: each row goes to one of them.
    let mine = claim(&mut worker, 4);
    let theirs = claim(&mut other, 4);
    assert_eq!((mine.len(), theirs.len()), (4, 2));
    let my_ids: Vec<Uuid> = mine.iter().map(|r| r.0.clone()).collect();
    let their_ids: Vec<Uuid> = theirs.iter().map(|r| r.0.clone()).collect();
    assert!(my_ids.iter().all(|id| !their_ids.contains(id)));
    assert!(mine.iter().all(|r| r.1.contains("charged twice")));

    // Only the lease holder writes: the other worker's write of my rows changes nothing.
    assert_eq!(write(&mut other, &my_ids), 0);
    assert_eq!(write(&mut worker, &my_ids[..2]), 2);

    // A permanent failure fails at once, with its reason; a retryable one comes back later.
    let failed: i64 = scalar(
        &mut worker,
        "SELECT cxone_queue_fail($1::text[]::uuid[], 'too long for the model', true, 5, 0)",
        &[&&my_ids[2..3]],
    );
    assert_eq!(failed, 1);
    let failed: i64 = scalar(
        &mut worker,
        "SELECT cxone_queue_fail($1::text[]::uuid[], 'provider answered 503', false, 5, 3600)",
        &[&&my_ids[3..4]],
    );
    assert_eq!(
        failed, 0,
        "a retryable failure with attempts left stays pending"
    );
    // Shutting down: the other worker gives its rows back; the attempt is not counted.
    let released: i64 = scalar(
        &mut other,
        "SELECT cxone_queue_release($1::text[]::uuid[])",
        &[&their_ids],
    );
    assert_eq!(released, 2);

    let mut admin = db.connect();
    let rows = admin
        .query(
            "SELECT status, attempts, coalesce(last_error, ''), next_attempt_at > now() + interval '1 hour' - interval '1 minute'
               FROM conversation_embeddings WHERE id = ANY ($1::text[]::uuid[])
              ORDER BY array_position($1::text[]::uuid[], id)",
            &[&[&my_ids[..], &their_ids[..]].concat()],
        )
        .unwrap();
    let seen: Vec<(String, i32, String, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(seen[0].0, "embedded");
    assert_eq!(seen[1].0, "embedded");
    assert_eq!(
        (seen[2].0.as_str(), seen[2].2.as_str()),
        ("failed", "too long for the model")
    );
    assert_eq!(
        (seen[3].0.as_str(), seen[3].2.as_str(), seen[3].3),
        ("pending", "provider answered 503", true)
    );
    assert_eq!((seen[4].0.as_str(), seen[4].1), ("pending", 0));
    assert_eq!((seen[5].0.as_str(), seen[5].1), ("pending", 0));
    let depth: i64 = scalar(&mut worker, "SELECT cxone_queue_depth($1)", &[&MODEL]);
    assert_eq!(depth, 3);

    // The rows written are found again by text: identical text is embedded once.
    let text = &mine[0].1;
    let reusable = worker
        .query(
            "SELECT text_content FROM cxone_queue_reusable($1, ARRAY[$2, 'never embedded'])",
            &[&MODEL, text],
        )
        .unwrap();
    assert_eq!(reusable.len(), 1);
    assert_eq!(&reusable[0].get::<_, String>(0), text);
}

#[test]
fn the_queue_is_reached_only_through_the_protocol() {
    let db = TestDb::new();
    queue_rows(&db, 1);
    let sidecar_login = Login::new(&db, &format!("{}_sc", db.name), "cxone_sidecar");
    let mut worker = sidecar_login.connect();
    // The sidecar's role has no rights on the table itself: no reading every conversation's
    // text, no writing vectors into rows it does not lease.
    for sql in [
        "SELECT text_content FROM conversation_embeddings",
        "UPDATE conversation_embeddings SET status = 'failed', last_error = 'x'",
    ] {
        let err = worker.batch_execute(sql).unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{sql}");
    }
    // Nor do the ingesting and reading roles get the queue's functions.
    for group in ["cxone_ingest", "cxone_reader"] {
        let login = Login::new(&db, &format!("{}_{group}", db.name), group);
        let mut c = login.connect();
        for sql in [
            "SELECT * FROM cxone_queue_claim('all-MiniLM-L6-v2', 10, 30)",
            "SELECT cxone_queue_release('{}')",
            "SELECT cxone_queue_depth('all-MiniLM-L6-v2')",
        ] {
            let err = c.batch_execute(sql).unwrap_err();
            assert_eq!(
                err.code(),
                Some(&SqlState::INSUFFICIENT_PRIVILEGE),
                "{group}: {sql}"
            );
        }
    }
    // Mismatched arguments are refused with what to do.
    let err = worker
        .batch_execute(
            "SELECT cxone_queue_write('all-MiniLM-L6-v2', ARRAY[gen_random_uuid()], '{}')",
        )
        .unwrap_err();
    let db_err = err.as_db_error().expect("a database error");
    assert_eq!(db_err.code(), &SqlState::INVALID_PARAMETER_VALUE);
    assert!(db_err.message().contains("1 ids but 0 vectors"), "{db_err}");
}

/// The sidecar at start: an extension that speaks another protocol is refused with what to
/// upgrade, before any row is claimed; `check` says the same.
#[test]
fn the_sidecar_refuses_an_extension_that_speaks_another_protocol() {
    let db = TestDb::new();
    queue_rows(&db, 2);
    let mut admin = db.connect();
    let cases = [
        // An extension from before the protocol (0.2.0 had no cxone_queue_protocol).
        (
            "ALTER FUNCTION cxone_queue_protocol() RENAME TO was_cxone_queue_protocol",
            "predates the queue protocol this sidecar speaks (version 1, from cxone_vector 0.3.0): run ALTER EXTENSION cxone_vector UPDATE",
        ),
        // A newer extension.
        (
            "ALTER FUNCTION was_cxone_queue_protocol() RENAME TO cxone_queue_protocol;
             CREATE OR REPLACE FUNCTION cxone_queue_protocol() RETURNS integer LANGUAGE sql AS 'SELECT 2'",
            "speaks queue protocol 2, this sidecar speaks 1: use a cxone-sidecar release that speaks it",
        ),
    ];
    for (change, said) in cases {
        admin.batch_execute(change).unwrap();
        for command in ["backfill", "check"] {
            let out = run_to_end(sidecar().env("DATABASE_URL", db.url()).arg(command));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{command} must refuse: {stderr}");
            assert!(stderr.contains(said), "{command}: {stderr}");
        }
        let untouched: i64 = scalar(
            &mut admin,
            "SELECT count(*) FROM conversation_embeddings WHERE status = 'pending' AND attempts = 0",
            &[],
        );
        assert_eq!(untouched, 2, "no row was claimed");
    }
}
