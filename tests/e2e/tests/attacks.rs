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

/// What the queue holds; [`STORED`]: the raw payloads and messages too.
const QUEUED: &str = "SELECT text_content FROM conversation_embeddings";
const STORED: &str = "SELECT text_content FROM conversation_embeddings
    UNION ALL SELECT payload::text FROM cxone_payloads UNION ALL SELECT body FROM cxone_messages";

fn texts(admin: &mut Client, look: &str) -> Vec<String> {
    admin
        .query(look, &[])
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

/// Every way a client can supply a setting's value before or during an INSERT: (door,
/// connection options, statements before the INSERT).
fn doors(setting: &str, value: &str) -> Vec<(String, String, String)> {
    vec![
        (format!("connection option -c {setting}={value}"), format!("-c {setting}={value}"), String::new()),
        ("SET before the library loads".into(), String::new(), format!("SET {setting} = '{value}'")),
        ("set_config(..., false) before the library loads".into(), String::new(), format!("SELECT set_config('{setting}', '{value}', false)")),
        ("SET LOCAL in the INSERT's transaction".into(), String::new(), format!("BEGIN; SET LOCAL {setting} = '{value}'")),
        ("a function's SET clause".into(), String::new(), format!("CREATE FUNCTION own.ins(p text) RETURNS void LANGUAGE sql SET {setting} = '{value}' AS $f$ INSERT INTO public.cxone_payloads (payload) VALUES (p::json) $f$")),
    ]
}

/// A client of `db` (an ingest login) tries to make redaction keep `secret` by setting
/// `setting` to `value` through every door, then through ALTER ROLE and a fresh session; the
/// owner set `owner_value` (ALTER DATABASE). After each INSERT no text `look` reads may hold
/// `secret`.
fn every_door_keeps_redacting(
    setting: &str,
    (owner_value, value): (&str, &str),
    payload: &str,
    secret: &str,
    look: &str,
) {
    let db = TestDb::new();
    let mut admin = db.connect();
    db.set("cxone.redact", "on");
    db.set(setting, owner_value);
    let me = format!("{}_app", db.name);
    let login = Login::new(&db, &me, "cxone_ingest");
    admin
        .batch_execute(&format!("CREATE SCHEMA own AUTHORIZATION {me}"))
        .unwrap();
    assert!(payload.contains(secret));
    let ins = "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json)";
    let goal = format!("make redaction keep {secret:?}: {setting} = '{value}'");
    let who = format!("cxone_ingest login (ALTER DATABASE ... SET {setting} = '{owner_value}')");
    for (i, (door, options, before)) in doors(setting, value).iter().enumerate() {
        let mut c = login.connect_with(options);
        let before_result = outcome_of(c.batch_execute(before));
        // Its own event id: a replay of one event would be a duplicate and test nothing.
        let p = payload.replace("\"eventId\": \"", &format!("\"eventId\": \"door-{i}-"));
        let inserted = if door.contains("function") && before_result == "ok" {
            outcome_of(c.execute("SELECT own.ins($1)", &[&p]).map(|_| ()))
        } else {
            outcome_of(c.execute(ins, &[&p]).map(|_| ()))
        };
        if before.starts_with("BEGIN") {
            let _ = c.batch_execute("COMMIT");
        }
        for t in texts(&mut admin, look) {
            assert!(
                !t.contains(secret),
                "{setting}, {door}: {secret:?} was stored unredacted"
            );
        }
        let shown = match c.query_one(&format!("SHOW {setting}"), &[]) {
            Ok(r) => r.get::<_, String>(0),
            Err(e) => e.to_string(),
        };
        record_attack(
            &format!("{goal}: {door}"),
            &who,
            "every stored and queued text redacted",
            &format!("set: {before_result}; insert: {inserted}; SHOW says {shown}; nothing kept"),
        );
    }
    // ALTER ROLE on its own role, then a fresh session.
    let altered = outcome_of(
        login
            .connect()
            .batch_execute(&format!("ALTER ROLE {me} SET {setting} = '{value}'")),
    );
    let mut c = login.connect();
    let p = payload.replace("\"eventId\": \"", "\"eventId\": \"door-role-");
    let inserted = outcome_of(c.execute(ins, &[&p]).map(|_| ()));
    for t in texts(&mut admin, look) {
        assert!(
            !t.contains(secret),
            "{setting}, ALTER ROLE: {secret:?} was stored unredacted"
        );
    }
    // After the library has loaded, the setting refuses a non-superuser outright.
    let after = outcome_of(c.batch_execute(&format!("SET {setting} = '{value}'")));
    assert_eq!(after, "42501", "SET {setting} after the library loaded");
    let queued: i64 = scalar(
        &mut admin,
        "SELECT count(*) FROM conversation_embeddings",
        &[],
    );
    assert!(queued >= 2, "the inserts were queued ({queued} rows)");
    record_attack(
        &format!("{goal}: ALTER ROLE on its own role, then a fresh session"),
        "cxone_ingest login",
        "refused, or without effect",
        &format!("ALTER ROLE: {altered}; insert: {inserted}; nothing kept; SET after load: 42501"),
    );
}

#[test]
fn redaction_cannot_be_switched_off_by_a_client_through_any_door() {
    let base = fixture("dfo_case_closed_with_transcript.json");
    every_door_keeps_redacting("cxone.redact", ("on", "off"), &base, EMAIL, QUEUED);
}

#[test]
fn a_client_cannot_narrow_the_redacted_types_through_any_door() {
    // The owner redacts e-mail addresses (and phones); the client asks for phones only.
    let base = fixture("dfo_case_closed_with_transcript.json");
    every_door_keeps_redacting(
        "cxone.redact_types",
        ("email,phone", "phone"),
        &base,
        EMAIL,
        QUEUED,
    );
}

#[test]
fn a_client_cannot_keep_agents_names_the_owner_redacts_through_any_door() {
    // The owner redacts agents' names; the client asks for them to be kept.
    let base = fixture("dfo_case_closed_with_transcript.json").replace(
        "Sorry about that. Can you",
        "Hi, this is Marisol from billing. Sorry about that. Can you",
    );
    every_door_keeps_redacting(
        "cxone.redact_agent_names",
        ("on", "off"),
        &base,
        "Marisol",
        QUEUED,
    );
}

#[test]
fn a_client_cannot_switch_pci_masking_off_through_any_door() {
    // The owner masks card data in raw payloads; the client asks for payloads as sent.
    let card = "4929 1208 3716 5527";
    let base = fixture("dfo_case_closed_with_transcript.json").replace(
        "42.50 at Corner Books.",
        &format!("42.50 at Corner Books, card {card}."),
    );
    every_door_keeps_redacting(
        "cxone.pci_mask_payloads",
        ("on", "off"),
        &base,
        card,
        STORED,
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
