//! Who can read what (README "Privileges"), and redaction that a session cannot turn off.

use cxone_e2e::postgres::error::SqlState;
use cxone_e2e::postgres::{Client, NoTls};
use cxone_e2e::{fixture, insert, TestDb};

/// A login role in `group`, connected to the test database.
fn login_as(db: &TestDb, admin: &mut Client, name: &str, group: &str) -> Client {
    admin
        .batch_execute(&format!(
            "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN IN ROLE {group}; GRANT USAGE ON SCHEMA public TO {name}"
        ))
        .unwrap();
    let url = format!("{} user={name}", key_value(db.url()));
    Client::connect(&url, NoTls).unwrap()
}

/// postgres://user@host:port/db → key=value form, so another user can be set.
fn key_value(url: &str) -> String {
    let rest = url.trim_start_matches("postgres://");
    let (auth_host, db) = rest.split_once('/').unwrap();
    let host_port = auth_host.rsplit('@').next().unwrap();
    let (host, port) = host_port.split_once(':').unwrap();
    format!(
        "host={host} port={port} dbname={}",
        db.split('?').next().unwrap()
    )
}

#[test]
fn ingest_role_inserts_and_reads_outcomes_but_not_payloads() {
    let db = TestDb::new();
    let mut admin = db.connect();
    let role = format!("{}_ingest", db.name);
    let mut app = login_as(&db, &mut admin, &role, "cxone_ingest");
    let id = insert(&mut app, &fixture("dfo_case_closed_with_transcript.json"));
    let row = app
        .query_one("SELECT outcome FROM cxone_payloads WHERE id = $1", &[&id])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "queued");
    let err = app
        .query("SELECT payload FROM cxone_payloads", &[])
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    let err = app
        .query("SELECT text_content FROM conversation_embeddings", &[])
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    drop(app);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn reader_role_reads_conversations_never_raw_payloads() {
    let db = TestDb::new();
    let mut admin = db.connect();
    insert(&mut admin, &fixture("seed_conversation_completed.json"));
    let role = format!("{}_reader", db.name);
    let mut reader = login_as(&db, &mut admin, &role, "cxone_reader");
    let n: i64 = reader
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    let tag: serde_json::Value = reader
        .query_one("SELECT cxone_tag('refund please')", &[])
        .unwrap()
        .get(0);
    assert_eq!(tag["intent_category"], "billing_dispute");
    let err = reader
        .query("SELECT id FROM cxone_payloads", &[])
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    let err = reader
        .execute(
            "INSERT INTO cxone_intent_rules (category, pattern) VALUES ('x', 'y')",
            &[],
        )
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    drop(reader);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn redaction_set_for_the_database_cannot_be_turned_off_by_a_session() {
    let db = TestDb::new();
    let mut admin = db.connect();
    admin
        .batch_execute(&format!("ALTER DATABASE {} SET cxone.redact = on", db.name))
        .unwrap();
    let role = format!("{}_app", db.name);
    let mut app = login_as(&db, &mut admin, &role, "cxone_ingest");
    // Before the library is loaded in this session the setting is only a placeholder and the
    // SET is accepted, but PostgreSQL discards it when the library loads...
    let _ = app.batch_execute("SET cxone.redact = off");
    insert(&mut app, &fixture("dfo_case_closed_with_transcript.json"));
    // ...and once loaded, the setting refuses non-superusers outright.
    let err = app.batch_execute("SET cxone.redact = off").unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    drop(app);
    let text: String = admin
        .query_one("SELECT text_content FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert!(!text.contains("dana.whitfield@example.org"));
    assert!(text.contains("[EMAIL]"));
    let raw: String = admin
        .query_one("SELECT payload::text FROM cxone_payloads", &[])
        .unwrap()
        .get(0);
    assert!(
        raw.contains("dana.whitfield@example.org"),
        "the raw payload is kept as sent"
    );
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}

#[test]
fn the_sidecar_works_as_a_least_privilege_role() {
    use cxone_e2e::openai_double::{Faults, OpenAiDouble};
    let double = OpenAiDouble::start(Faults::default());
    let db = TestDb::new();
    let mut admin = db.connect();
    admin
        .batch_execute("UPDATE cxone_models SET model = 'text-embedding-3-small', dims = 1536")
        .unwrap();
    cxone_e2e::ingest_banking77(&mut admin, 40, "least");
    let role = format!("{}_sidecar", db.name);
    let mut as_role = login_as(&db, &mut admin, &role, "cxone_sidecar");
    let err = as_role
        .query("SELECT payload FROM cxone_payloads", &[])
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    let err = as_role
        .execute("DELETE FROM conversation_embeddings", &[])
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    drop(as_role);
    let url = format!(
        "postgres://{role}@{}",
        db.url()
            .trim_start_matches("postgres://")
            .split_once('@')
            .unwrap()
            .1
    );
    let mut cmd = cxone_e2e::sidecar();
    cxone_e2e::with_double(&mut cmd, &db, &double);
    cmd.env("DATABASE_URL", &url).arg("backfill");
    let out = cxone_e2e::run_to_end(&mut cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        cxone_e2e::status_counts(&mut admin).get("embedded"),
        Some(&40)
    );
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}
