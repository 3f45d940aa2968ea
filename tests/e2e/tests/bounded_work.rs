//! Bounded work inside a backend: size caps that a client cannot raise, waits and bulk
//! statements that query cancel and statement_timeout end, and threads that leave
//! PostgreSQL's signals to the backend.

use cxone_e2e::attack::{outcome_of, record_attack, Login};
use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::postgres::Client;
use cxone_e2e::{embed_queries_with, insert, outcome, scalar, TestDb};
use std::net::TcpListener;
use std::time::{Duration, Instant};

fn payload_of(bytes: usize, id: &str) -> String {
    format!(
        r#"{{"conversationId": "{id}", "data": {{"subject": "{}"}}}}"#,
        "refund ".repeat(bytes / 7)
    )
}

#[test]
fn payloads_over_the_cap_are_stored_and_recorded_invalid_and_clients_cannot_raise_it() {
    let db = TestDb::new();
    let mut admin = db.connect();
    admin
        .batch_execute("SET cxone.max_payload_bytes = 4096")
        .unwrap();
    let id = insert(&mut admin, &payload_of(8000, "big"));
    let (got, reason) = outcome(&mut admin, id);
    assert_eq!(got, "invalid");
    let reason = reason.unwrap();
    assert!(
        reason.contains("cxone.max_payload_bytes = 4096"),
        "{reason}"
    );
    let kept: i32 = scalar(
        &mut admin,
        "SELECT length(payload::text) FROM cxone_payloads WHERE id = $1",
        &[&id],
    );
    assert!(kept > 8000, "the payload is stored as sent");
    // A client's own value before the library loads does not count: the default (8 MiB) holds.
    let login = Login::new(&db, &format!("{}_big", db.name), "cxone_ingest");
    let mut c = login.connect_with("-c cxone.max_payload_bytes=1000000000");
    let id: i64 = scalar(
        &mut c,
        "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
        &[&payload_of(9 << 20, "huge")],
    );
    let (got, reason) = outcome(&mut admin, id);
    assert_eq!(got, "invalid", "{reason:?}");
    assert_eq!(
        outcome_of(c.batch_execute("SET cxone.max_payload_bytes = 1000000000")),
        "42501"
    );
    record_attack(
        "raise cxone.max_payload_bytes (connection option, SET) and send a 9 MB payload",
        "cxone_ingest login",
        "the default cap holds: stored, recorded invalid with the reason",
        "invalid (over 8 MiB); SET refused 42501",
    );
}

#[test]
fn statement_timeout_ends_a_bulk_insert_and_nothing_is_queued() {
    let db = TestDb::new();
    let mut c = db.connect();
    c.batch_execute("SET statement_timeout = '300ms'").unwrap();
    let err = c
        .batch_execute(
            "INSERT INTO cxone_payloads (payload)
             SELECT json_build_object('conversationId', 'c' || i, 'data', json_build_object('subject', 'refund please ' || i))
               FROM generate_series(1, 300000) AS i",
        )
        .unwrap_err();
    assert_eq!(err.code().map(|c| c.code()), Some("57014"), "{err}");
    c.batch_execute("RESET statement_timeout").unwrap();
    let n: i64 = scalar(&mut c, "SELECT (SELECT count(*) FROM cxone_payloads) + (SELECT count(*) FROM conversation_embeddings)", &[]);
    assert_eq!(n, 0);
}

/// A server that accepts connections and never answers.
fn silent_server() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    port
}

#[test]
fn the_query_embedding_wait_ends_on_statement_timeout_and_is_bounded_for_non_superusers() {
    let db = TestDb::new();
    let port = silent_server();
    db.set(
        "cxone.embeddings_url",
        &format!("http://127.0.0.1:{port}/v1/embeddings"),
    );
    let mut c = db.connect();
    c.batch_execute("SET cxone.embed_timeout_ms = 600000; SET statement_timeout = '1s'")
        .unwrap();
    let t = Instant::now();
    let err = c
        .query_one("SELECT cxone_embed('x')::text", &[])
        .unwrap_err();
    assert_eq!(err.code().map(|c| c.code()), Some("57014"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    // A reader's own 600 s timeout is cut to 30 s.
    let reader = Login::new(&db, &format!("{}_slow", db.name), "cxone_reader");
    let mut r = reader.connect();
    r.batch_execute("SET cxone.embed_timeout_ms = 600000")
        .unwrap();
    let t = Instant::now();
    let err = r
        .query_one("SELECT cxone_embed('x')::text", &[])
        .unwrap_err();
    let msg = err
        .as_db_error()
        .map(|e| e.message().to_string())
        .unwrap_or_default();
    assert!(msg.contains("30000 ms"), "{msg}");
    assert!(t.elapsed() < Duration::from_secs(60));
    record_attack(
        "hold a backend on a query embedding that never answers (SET cxone.embed_timeout_ms = 600000)",
        "cxone_reader login",
        "the wait is cut at 30 s; statement_timeout and cancel end it sooner",
        &format!("ended after {:.0} s: {msg}", t.elapsed().as_secs_f64()),
    );
}

/// The signals blocked in each thread of a process but its main one (SigBlk of
/// /proc/<pid>/task/<tid>/status).
fn blocked_masks_of_other_threads(pid: i32) -> Vec<u64> {
    let mut masks = Vec::new();
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        if t.file_name().to_string_lossy() == pid.to_string() {
            continue;
        }
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        if let Some(hex) = status.lines().find_map(|l| l.strip_prefix("SigBlk:")) {
            masks.push(u64::from_str_radix(hex.trim(), 16).unwrap());
        }
    }
    masks
}

#[test]
fn every_thread_the_extension_starts_blocks_postgres_signals() {
    let double = OpenAiDouble::start(Faults::default());
    let db = TestDb::new();
    let mut admin = db.connect();
    admin
        .batch_execute("UPDATE cxone_models SET model = 'text-embedding-3-small', dims = 1536")
        .unwrap();
    embed_queries_with(&db, &double);
    let mut c: Client = db.connect();
    let pid: i32 = scalar(&mut c, "SELECT pg_backend_pid()", &[]);
    // The ingest helper starts from a statement's 17th row; the HTTP client with cxone_embed.
    cxone_e2e::ingest_banking77(&mut c, 200, "threads");
    c.query_one("SELECT cxone_embed('x')::text", &[]).unwrap();
    let masks = blocked_masks_of_other_threads(pid);
    assert!(
        masks.len() >= 2,
        "helper and HTTP threads expected, found {}",
        masks.len()
    );
    // SIGINT (cancel), SIGUSR1 (latch, sinval), SIGALRM (timeouts), SIGTERM (terminate).
    let needed: u64 = (1 << (2 - 1)) | (1 << (10 - 1)) | (1 << (14 - 1)) | (1 << (15 - 1));
    for m in &masks {
        assert_eq!(
            m & needed,
            needed,
            "a thread leaves signals unblocked: {m:x}"
        );
    }
    record_attack(
        "a signal (cancel, timeout, terminate) delivered to a thread of the extension instead of the backend",
        "any session that ingests or searches",
        "every thread but the backend's own blocks them",
        &format!("{} threads, all blocking SIGINT, SIGUSR1, SIGALRM, SIGTERM", masks.len()),
    );
}
