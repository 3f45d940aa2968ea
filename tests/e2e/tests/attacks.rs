//! The security review's attacks, made the way an attacker makes them: as the least-privileged
//! login, in fresh sessions (the library not yet loaded), through every door (connection
//! options, SET, SET LOCAL, set_config, ALTER ROLE, a function's SET clause, search_path,
//! catalogs anyone can read). Each test records its rows in RELIABILITY.md's security table.

use cxone_e2e::attack::{outcome_of, record_attack, Login};
use cxone_e2e::postgres::Client;
use cxone_e2e::{fixture, insert, scalar, TestDb};

/// A payload whose transcript holds an e-mail address (the redaction tests look for it).
const EMAIL: &str = "dana.whitfield@example.org";

fn scalar_bool(c: &mut Client, sql: &str) -> bool {
    scalar(c, sql, &[])
}

fn texts(admin: &mut Client) -> Vec<String> {
    admin
        .query("SELECT text_content FROM conversation_embeddings", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The attacker's schema: operators on oid and text, and views named like the extension's
/// tables, each of which tries to make the attacker a superuser and records who ran it.
fn plant_trap(attacker: &mut Client, me: &str) {
    attacker
        .batch_execute(&format!(
            r#"
            CREATE TABLE trap.calls (who text, at timestamptz DEFAULT now());
            GRANT INSERT ON trap.calls TO PUBLIC;
            CREATE FUNCTION trap.pwn() RETURNS boolean LANGUAGE plpgsql AS $f$
            BEGIN
                INSERT INTO trap.calls (who) VALUES (current_user);
                BEGIN
                    EXECUTE 'ALTER ROLE {me} SUPERUSER';
                EXCEPTION WHEN OTHERS THEN NULL;
                END;
                RETURN true;
            END $f$;
            CREATE FUNCTION trap.oideq(oid, oid) RETURNS boolean LANGUAGE sql
                AS $f$ SELECT trap.pwn() AND $1 OPERATOR(pg_catalog.=) $2 $f$;
            CREATE OPERATOR trap.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = trap.oideq);
            CREATE FUNCTION trap.texteq(text, text) RETURNS boolean LANGUAGE sql
                AS $f$ SELECT trap.pwn() AND $1 OPERATOR(pg_catalog.=) $2 $f$;
            CREATE OPERATOR trap.= (LEFTARG = text, RIGHTARG = text, FUNCTION = trap.texteq);
            CREATE VIEW trap.cxone_mappings AS
                SELECT 'default'::text AS name, '{{"data.subject": "Subject"}}'::jsonb AS mapping
                 WHERE trap.pwn();
            CREATE VIEW trap.cxone_intent_rules AS
                SELECT 1 AS id, 'x'::text AS category, 'x'::text AS pattern, 0 AS priority, true AS enabled
                 WHERE trap.pwn();
            CREATE VIEW trap.cxone_models AS
                SELECT 'all-MiniLM-L6-v2'::text AS model, 'active'::text AS state WHERE trap.pwn();
            "#
        ))
        .unwrap();
}

#[test]
fn an_ingest_login_cannot_become_superuser_through_search_path() {
    let db = TestDb::new();
    let mut admin = db.connect();
    let me = format!("{}_evil", db.name);
    let login = Login::new(&db, &me, "cxone_ingest");
    admin
        .batch_execute(&format!("CREATE SCHEMA trap AUTHORIZATION {me}"))
        .unwrap();
    plant_trap(&mut login.connect(), &me);
    let payload = fixture("dfo_case_closed_with_transcript.json");
    // The reported attack: cxone_tag under the attacker's search_path first (the library
    // loads and caches), then an INSERT with search_path reset; then variants.
    let doors: [(&str, &str); 4] = [
        ("cxone_tag under the trap's search_path, then INSERT after RESET", "SET search_path = trap, pg_catalog; SELECT public.cxone_tag('refund'); RESET search_path;"),
        ("INSERT with the trap's search_path", "SET search_path = trap, pg_catalog, public;"),
        ("search_path as a connection option", ""),
        ("cxone_redact/cxone_map under the trap, then INSERT", "SET search_path = trap, pg_catalog; SELECT public.cxone_redact('x'), public.cxone_map('{}', '{\"a\": \"A\"}'); RESET search_path;"),
    ];
    for (i, (door, sql)) in doors.iter().enumerate() {
        let mut c = if door.contains("connection option") {
            login.connect_with("-c search_path=trap,pg_catalog,public")
        } else {
            login.connect()
        };
        c.batch_execute(sql).unwrap();
        let p = payload.replace("\"eventId\"", &format!("\"door\": {i}, \"eventId\""));
        let id: i64 = scalar(
            &mut c,
            "INSERT INTO public.cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
            &[&p],
        );
        assert!(id > 0);
        let superuser = scalar_bool(
            &mut admin,
            &format!("SELECT rolsuper FROM pg_roles WHERE rolname = '{me}'"),
        );
        assert!(!superuser, "{door}: the login became superuser");
        let as_owner: i64 = scalar(
            &mut admin,
            "SELECT count(*) FROM trap.calls c JOIN pg_roles r ON r.rolname = c.who WHERE r.rolsuper",
            &[],
        );
        assert_eq!(as_owner, 0, "{door}: the trap ran as a superuser");
        record_attack(
            &format!("search_path trap (operators on oid/text, views named like the extension's tables): {door}"),
            "cxone_ingest login owning a schema",
            "the trap never runs with the owner's rights; no SUPERUSER",
            "not superuser; trap never called as a superuser",
        );
    }
    // The payloads went through the extension's own tables all the same.
    let queued: i64 = scalar(
        &mut admin,
        "SELECT count(*) FROM cxone_payloads WHERE outcome = 'queued'",
        &[],
    );
    assert!(queued >= 1);
}

#[test]
fn redaction_cannot_be_switched_off_by_a_client_through_any_door() {
    let db = TestDb::new();
    let mut admin = db.connect();
    db.set("cxone.redact", "on");
    let me = format!("{}_app", db.name);
    let login = Login::new(&db, &me, "cxone_ingest");
    admin
        .batch_execute(&format!("CREATE SCHEMA own AUTHORIZATION {me}"))
        .unwrap();
    let base = fixture("dfo_case_closed_with_transcript.json");
    assert!(base.contains(EMAIL));
    // (door, connection options, statements before the INSERT, the INSERT itself)
    let ins = "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json)";
    let doors: Vec<(&str, &str, String)> = vec![
        ("connection option -c cxone.redact=off", "-c cxone.redact=off", String::new()),
        ("SET before the library loads", "", "SET cxone.redact = off".into()),
        ("set_config(..., false) before the library loads", "", "SELECT set_config('cxone.redact', 'off', false)".into()),
        ("SET LOCAL in the INSERT's transaction", "", "BEGIN; SET LOCAL cxone.redact = off".into()),
        ("a function's SET clause", "", "CREATE FUNCTION own.ins(p text) RETURNS void LANGUAGE sql SET cxone.redact = off AS $f$ INSERT INTO public.cxone_payloads (payload) VALUES (p::json) $f$".into()),
    ];
    for (i, (door, options, before)) in doors.iter().enumerate() {
        let mut c = login.connect_with(options);
        let before_result = outcome_of(c.batch_execute(before));
        // Its own event id: a replay of one event would be a duplicate and test nothing.
        let p = base.replace("\"eventId\": \"", &format!("\"eventId\": \"door-{i}-"));
        let inserted = if door.contains("function") && before_result == "ok" {
            outcome_of(c.execute("SELECT own.ins($1)", &[&p]).map(|_| ()))
        } else {
            outcome_of(c.execute(ins, &[&p]).map(|_| ()))
        };
        if before.starts_with("BEGIN") {
            let _ = c.batch_execute("COMMIT");
        }
        for t in texts(&mut admin) {
            assert!(
                !t.contains(EMAIL),
                "{door}: the e-mail address was stored unredacted"
            );
        }
        let shown = match c.query_one("SHOW cxone.redact", &[]) {
            Ok(r) => r.get::<_, String>(0),
            Err(e) => e.to_string(),
        };
        record_attack(
            &format!("turn redaction off: {door}"),
            "cxone_ingest login (ALTER DATABASE ... SET cxone.redact = on)",
            "every stored and queued text redacted",
            &format!(
                "set: {before_result}; insert: {inserted}; SHOW says {shown}; no e-mail stored"
            ),
        );
    }
    // ALTER ROLE on its own role, then a fresh session.
    let altered = outcome_of(
        login
            .connect()
            .batch_execute(&format!("ALTER ROLE {me} SET cxone.redact = off")),
    );
    let mut c = login.connect();
    let p = base.replace("\"eventId\": \"", "\"eventId\": \"door-role-");
    let inserted = outcome_of(c.execute(ins, &[&p]).map(|_| ()));
    for t in texts(&mut admin) {
        assert!(
            !t.contains(EMAIL),
            "ALTER ROLE: the e-mail address was stored unredacted"
        );
    }
    // After the library has loaded, the setting refuses a non-superuser outright.
    let after = outcome_of(c.batch_execute("SET cxone.redact = off"));
    assert_eq!(after, "42501");
    let queued: i64 = scalar(
        &mut admin,
        "SELECT count(*) FROM conversation_embeddings",
        &[],
    );
    assert!(queued >= 2, "the inserts were queued ({queued} rows)");
    record_attack(
        "turn redaction off: ALTER ROLE on its own role, then a fresh session",
        "cxone_ingest login",
        "refused, or without effect",
        &format!(
            "ALTER ROLE: {altered}; insert: {inserted}; no e-mail stored; SET after load: 42501"
        ),
    );
}

#[test]
fn least_privilege_columns_functions_and_indexes() {
    let db = TestDb::new();
    let mut admin = db.connect();
    insert(&mut admin, &fixture("seed_conversation_completed.json"));
    let ingest = Login::new(&db, &format!("{}_in", db.name), "cxone_ingest");
    let sidecar = Login::new(&db, &format!("{}_sc", db.name), "cxone_sidecar");
    let nobody = Login::new(&db, &format!("{}_no", db.name), "");
    let mut c = ingest.connect();
    for col in [
        "id",
        "outcome",
        "conversation_id",
        "event_key",
        "reason",
        "mapping",
    ] {
        let r = outcome_of(c.batch_execute(&format!(
            "INSERT INTO cxone_payloads ({col}, payload) VALUES (NULL, '{{}}')"
        )));
        assert_eq!(r, "42501", "a client chose {col}");
    }
    record_attack(
        "insert a payload with a chosen id, outcome, conversation_id, event_key, reason or mapping",
        "cxone_ingest login",
        "42501",
        "42501 for each column",
    );
    let mut s = sidecar.connect();
    // The queue is reached through its protocol's functions only (sql/queue.sql): not even the
    // queue's own columns can be written, nor any text read, directly.
    for col in [
        "text_content",
        "semantic_metadata",
        "conversation_id",
        "target_model",
        "payload_id",
        "attempts",
        "embedding",
    ] {
        let r = outcome_of(
            s.batch_execute(&format!("UPDATE conversation_embeddings SET {col} = {col}")),
        );
        assert_eq!(r, "42501", "the sidecar role updated {col}");
    }
    assert_eq!(
        outcome_of(s.batch_execute("SELECT text_content FROM conversation_embeddings")),
        "42501"
    );
    assert_eq!(
        outcome_of(s.batch_execute("SELECT * FROM cxone_queue_claim('all-MiniLM-L6-v2', 1, 30)")),
        "ok"
    );
    let r = outcome_of(s.batch_execute("SELECT cxone_index_defer('all-MiniLM-L6-v2')"));
    assert_eq!(r, "42501");
    admin
        .batch_execute("INSERT INTO cxone_models (model, state, dims) VALUES ('m-building', 'building', 8); SELECT cxone_create_index('m-building', 8)")
        .unwrap();
    let deferred: i32 = scalar(&mut s, "SELECT cxone_index_defer('m-building')", &[]);
    assert_eq!(deferred, 1);
    record_attack(
        "read conversation text, update any column of the queue directly; set aside the active model's index",
        "cxone_sidecar login",
        "42501; the queue through cxone_queue_* and a building model's index allowed",
        "42501 for SELECT and for updating text_content, semantic_metadata, conversation_id, target_model, payload_id, attempts, embedding, and for the active index; cxone_queue_claim works; building model's index set aside",
    );
    let mut n = nobody.connect();
    for sql in [
        "SELECT cxone_embed('x')",
        "SELECT _cxone_embed_array('x', 'all-MiniLM-L6-v2')",
        "SELECT * FROM cxone_search('x', 1)",
        "SELECT * FROM cxone_similar('x', 1)",
        "SELECT cxone_map('{}', '{\"a\": \"A\"}')",
        "SELECT cxone_tag('x')",
        "SELECT cxone_redact('x')",
    ] {
        assert_eq!(
            outcome_of(n.batch_execute(sql)),
            "42501",
            "PUBLIC may run {sql}"
        );
    }
    record_attack(
        "call functions that spend provider money or CPU",
        "a login in none of the extension's roles (PUBLIC)",
        "42501",
        "42501 for cxone_embed, _cxone_embed_array, cxone_search, cxone_similar, cxone_map, cxone_tag, cxone_redact",
    );
}

#[test]
fn a_cxone_admin_who_is_not_superuser_can_create_indexes_and_reembed() {
    let db = TestDb::new();
    let mut admin = db.connect();
    insert(&mut admin, &fixture("seed_conversation_completed.json"));
    let ops = Login::new(&db, &format!("{}_ops", db.name), "cxone_admin");
    let mut c = ops.connect();
    let name: String = scalar(&mut c, "SELECT cxone_create_index('some-model', 16)", &[]);
    assert!(name.starts_with("conversation_embeddings_hnsw_"));
    let queued: i64 = scalar(
        &mut c,
        "SELECT cxone_reembed('text-embedding-3-small', 1536)",
        &[],
    );
    assert_eq!(queued, 1);
    // Its own index name cannot smuggle SQL: the model is a literal.
    let r = outcome_of(
        c.batch_execute("SELECT cxone_create_index($$x'; DROP TABLE cxone_payloads; --$$, 8)"),
    );
    assert_eq!(r, "ok");
    assert!(scalar_bool(
        &mut admin,
        "SELECT to_regclass('cxone_payloads') IS NOT NULL"
    ));
    record_attack(
        "cxone_create_index and cxone_reembed as cxone_admin (not superuser); SQL in a model name",
        "cxone_admin login",
        "both work; the model name stays a literal",
        "index created, 1 row queued for the new model; cxone_payloads intact",
    );
}
