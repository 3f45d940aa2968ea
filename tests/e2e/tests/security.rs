//! Who can read what (README "Privileges"), and redaction that a session cannot turn off.

use cxone_e2e::attack::{key_value, Login};
use cxone_e2e::postgres::error::SqlState;
use cxone_e2e::postgres::{Client, NoTls};
use cxone_e2e::{fixture, insert, scalar, sidecar_with_double, TestDb};

#[test]
fn ingest_role_inserts_and_reads_outcomes_but_not_payloads() {
    let db = TestDb::new();
    let mut admin = db.connect();
    let role = format!("{}_ingest", db.name);
    let login = Login::new(&db, &role, "cxone_ingest");
    let mut app = login.connect();
    let id = insert(&mut app, &fixture("dfo_case_closed_with_transcript.json"));
    let outcome: String = scalar(
        &mut app,
        "SELECT outcome FROM cxone_payloads WHERE id = $1",
        &[&id],
    );
    assert_eq!(outcome, "queued");
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
    let login = Login::new(&db, &role, "cxone_reader");
    let mut reader = login.connect();
    let n: i64 = scalar(
        &mut reader,
        "SELECT count(*) FROM conversation_embeddings",
        &[],
    );
    assert_eq!(n, 1);
    let tag: serde_json::Value = scalar(&mut reader, "SELECT cxone_tag('refund please')", &[]);
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
    db.set("cxone.redact", "on");
    let role = format!("{}_app", db.name);
    let login = Login::new(&db, &role, "cxone_ingest");
    let mut app = login.connect();
    // Before the library is loaded in this session the setting is only a placeholder and the
    // SET is accepted, but PostgreSQL discards it when the library loads...
    let _ = app.batch_execute("SET cxone.redact = off");
    insert(&mut app, &fixture("dfo_case_closed_with_transcript.json"));
    // ...and once loaded, the setting refuses non-superusers outright.
    let err = app.batch_execute("SET cxone.redact = off").unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    drop(app);
    let text: String = scalar(
        &mut admin,
        "SELECT text_content FROM conversation_embeddings",
        &[],
    );
    assert!(!text.contains("dana.whitfield@example.org"));
    assert!(text.contains("[EMAIL]"));
    let raw: String = scalar(&mut admin, "SELECT payload::text FROM cxone_payloads", &[]);
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
    // The login the set-up creates (scripts/cluster.sh runs the same file).
    let role_sql = std::fs::read_to_string(format!(
        "{}/../../sql/roles/sidecar_login.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    admin.batch_execute(&role_sql).unwrap();
    admin.batch_execute(&role_sql).unwrap(); // running it again is harmless
    let attrs = admin
        .query_one(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication
               FROM pg_roles WHERE rolname = 'cxone_sidecar_login'",
            &[],
        )
        .unwrap();
    for i in 0..5 {
        assert!(!attrs.get::<_, bool>(i), "attribute {i} is set");
    }
    let url = format!("{} user=cxone_sidecar_login", key_value(db.url()));
    let mut as_role = Client::connect(&url, NoTls).unwrap();
    // Load the extension's library, so that its settings exist in this session.
    as_role
        .batch_execute("SELECT cxone_stored_id('nothing here')")
        .unwrap();
    // What it must not do: each is refused with insufficient_privilege.
    let refused = [
        "SELECT payload FROM cxone_payloads",
        "DELETE FROM conversation_embeddings",
        "TRUNCATE conversation_embeddings",
        "INSERT INTO cxone_models (model, dims) VALUES ('x', 3)",
        "UPDATE cxone_mappings SET mapping = '{}'",
        "DELETE FROM cxone_intent_rules",
        "CREATE TABLE public.mine (x int)",
        "SELECT cxone_forget('x', true)",
        "SELECT cxone_retry_failed(NULL)",
        "SET cxone.redact = off",
        "ALTER SYSTEM SET cxone.redact = off",
        "CREATE ROLE intruder",
    ];
    for sql in refused {
        let err = as_role.batch_execute(sql).unwrap_err();
        assert_eq!(
            err.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {err}"
        );
    }
    drop(as_role);
    let url = format!(
        "postgres://cxone_sidecar_login@{}",
        db.url()
            .trim_start_matches("postgres://")
            .split_once('@')
            .unwrap()
            .1
    );
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("DATABASE_URL", &url);
    cxone_e2e::backfill(&mut cmd);
    assert_eq!(
        cxone_e2e::status_counts(&mut admin).get("embedded"),
        Some(&40)
    );
    let (lost, duplicated) = cxone_e2e::lost_and_duplicated(&mut admin);
    cxone_e2e::record(cxone_e2e::Record {
        scenario: "7 · the sidecar as its least-privilege login",
        load: "40 rows embedded as cxone_sidecar_login (created by sql/roles/sidecar_login.sql)".into(),
        faults: format!("{} forbidden statements tried", refused.len()),
        lost,
        duplicated,
        notes: "no superuser/createrole/createdb; raw payloads, deletes, truncation, models, mappings, rules, DDL, admin functions, the API-key setting and cxone.redact all refused (42501)".into(),
    });
}

/// The personal data written into the fixtures, listed by hand in pii_strings.txt.
fn fixture_pii() -> Vec<String> {
    cxone_e2e::fixture("pii_strings.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// Ingests the fixtures through SQL and the webhook into a database whose redaction is `redact`,
/// embeds them with the sidecar logging at debug level, and returns (what reached the
/// embeddings double, the sidecar's log, the rows' text).
fn pii_run(redact: bool) -> (Vec<String>, String, Vec<String>) {
    use cxone_e2e::openai_double::{Faults, OpenAiDouble};
    let double = OpenAiDouble::start(Faults {
        fail_rate: 0.3,
        retry_after_ms: 20,
        ..Faults::default()
    });
    let db = cxone_e2e::openai_db();
    db.set("cxone.redact", if redact { "on" } else { "off" });
    let mut c = db.connect();
    for f in [
        "dfo_case_closed_with_transcript.json",
        "seed_conversation_completed.json",
    ] {
        insert(&mut c, &fixture(f));
    }
    let port = cxone_e2e::free_port();
    let log_path = std::env::temp_dir().join(format!("cxone-pii-{}-{redact}.log", db.name));
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_WEBHOOK_TOKEN", "pii-hook-token")
        .env("CXONE_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    let sidecar = cxone_e2e::Running(cmd.arg("run").spawn().unwrap());
    cxone_e2e::wait_ready(port);
    let (status, body) = cxone_e2e::http(
        port,
        "POST",
        "/v1/webhooks/cxone",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer pii-hook-token"),
        ],
        fixture("dfo_pii_call.json").as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    cxone_e2e::wait_embedded(&mut c, 60);
    drop(sidecar);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(!log.contains(&double.key), "the API key is in the log");
    assert!(
        !log.contains("pii-hook-token"),
        "the webhook token is in the log"
    );
    let texts = c
        .query(
            "SELECT text_content FROM conversation_embeddings WHERE status = 'embedded'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    (double.arrivals().concat(), log, texts)
}

#[test]
fn pii_never_reaches_the_logs_nor_with_redaction_the_provider() {
    let pii = fixture_pii();
    // Redaction on: no PII string reaches the provider, the stored text or the log.
    let (sent, log, texts) = pii_run(true);
    assert!(!sent.is_empty() && texts.len() >= 3);
    for p in &pii {
        assert!(
            !sent.iter().any(|t| t.contains(p.as_str())),
            "{p:?} was sent to the provider with redaction on"
        );
        assert!(
            !texts.iter().any(|t| t.contains(p.as_str())),
            "{p:?} stored"
        );
        assert!(!log.contains(p.as_str()), "{p:?} is in the log");
    }
    // Redaction off: the provider gets the text as written (so the check above can fail), and
    // still the log holds none of it.
    let (sent_off, log_off, _) = pii_run(false);
    assert!(
        pii.iter()
            .any(|p| sent_off.iter().any(|t| t.contains(p.as_str()))),
        "with redaction off the fixtures' PII should reach the provider"
    );
    for p in &pii {
        assert!(!log_off.contains(p.as_str()), "{p:?} is in the log");
    }
    let requests = sent.len() + sent_off.len();
    cxone_e2e::record(cxone_e2e::Record {
        scenario: "7 · secrets and PII kept out of logs and, with redaction on, from the provider",
        load: format!("the 3 fixtures via SQL and webhook, twice (redaction on, off); {requests} texts sent"),
        faults: "debug logging, 30% provider errors (error paths logged)".into(),
        lost: 0,
        duplicated: 0,
        notes: format!(
            "none of the {} hand-listed PII strings in the provider's input (redaction on), the stored text, or any log; API key and webhook token never logged",
            pii.len()
        ),
    });
}

#[test]
fn the_owner_rights_functions_run_only_where_the_extension_put_them() {
    let db = TestDb::new();
    let mut admin = db.connect();
    let role = format!("{}_ingest2", db.name);
    let login = Login::new(&db, &role, "cxone_ingest");
    let mut app = login.connect();
    admin
        .batch_execute(&format!("GRANT CREATE ON SCHEMA public TO {role}"))
        .unwrap();
    // Its own table shaped like cxone_payloads: the ingest triggers cannot be attached to it.
    app.batch_execute(
        "CREATE TABLE mine (id bigint, received_at timestamptz, source text, payload json, outcome text,
                            reason text, conversation_id text, event_key text, mapping text)",
    )
    .unwrap();
    for f in ["_cxone_ingest", "_cxone_ingest_flush"] {
        let err = app
            .batch_execute(&format!(
                "CREATE TRIGGER t BEFORE INSERT ON mine FOR EACH ROW EXECUTE FUNCTION {f}()"
            ))
            .unwrap_err();
        assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE), "{f}");
    }
    let err = app
        .query("SELECT _cxone_finish_building('all-MiniLM-L6-v2')", &[])
        .unwrap_err();
    assert_eq!(err.code(), Some(&SqlState::INSUFFICIENT_PRIVILEGE));
    // ... while its inserts into cxone_payloads still go through the extension's triggers.
    let id = insert(&mut app, &fixture("dfo_case_closed_with_transcript.json"));
    let outcome: String = scalar(
        &mut app,
        "SELECT outcome FROM cxone_payloads WHERE id = $1",
        &[&id],
    );
    assert_eq!(outcome, "queued");
    drop(app);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .unwrap();
}
