// In-database tests (`cargo pgrx test`): the SQL functions, the trigger and every payload
// outcome, against a real PostgreSQL with pgvector.

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::json;

const SEED: &str = include_str!("../../tests/fixtures/cxone/seed_conversation_completed.json");
const DFO: &str = include_str!("../../tests/fixtures/cxone/dfo_case_closed_with_transcript.json");

/// Tests run in parallel transactions on one database: give each test its own event keys so
/// that uncommitted keys of one test never make another wait (or deadlock).
fn variant(fixture: &str, test: &str) -> String {
    fixture
        .replace("0f8e2a57-3c1d-4b8e-9a65-1d2f7c9b4e10", &format!("evt-{test}"))
        .replace("conv-8842-abc", &format!("conv-{test}"))
}

// Reads run as non-read-only SPI statements: those take a fresh snapshot, so they see what the
// ingest statement trigger wrote after the INSERT's own snapshot (a read-only SPI query in the
// same function would not; a top-level or PL/pgSQL statement always does).
fn one<T: pgrx::FromDatum + pgrx::IntoDatum>(sql: &str) -> Option<T> {
    Spi::connect_mut(|c| c.update(sql, Some(1), &[])?.first().get_one::<T>()).expect(sql)
}

fn insert(payload: &str) -> i64 {
    Spi::connect_mut(|c| {
        c.update(
            "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
            None,
            &[payload.into()],
        )?
        .first()
        .get_one::<i64>()
    })
    .expect("insert")
    .expect("id")
}

fn outcome(id: i64) -> (String, Option<String>) {
    Spi::connect_mut(|c| {
        let row = c
            .update("SELECT outcome, reason FROM cxone_payloads WHERE id = $1", None, &[id.into()])?
            .first();
        Ok::<_, pgrx::spi::SpiError>((row.get::<String>(1)?.unwrap_or_default(), row.get::<String>(2)?))
    })
    .expect("outcome")
}

#[pg_test]
fn map_seed_fixture_with_default_mapping() {
    let text = Spi::get_one_with_args::<String>(
        "SELECT cxone_map($1::text::jsonb, mapping) FROM cxone_mappings WHERE name = 'default'",
        &[SEED.into()],
    )
    .unwrap();
    assert_eq!(
        text.as_deref(),
        Some("Agent: Hello, how can I assist you with your order? Customer: I need a full refund because the item arrived damaged. Subject: Order refund request")
    );
}

#[pg_test]
fn map_returns_null_when_nothing_matches() {
    assert_eq!(one::<String>(r#"SELECT cxone_map('{"a": 1}', '{"b": "B"}')"#), None);
}

#[pg_test]
#[should_panic(expected = "bad path 'data..x'")]
fn map_refuses_a_bad_mapping() {
    one::<String>(r#"SELECT cxone_map('{}', '{"data..x": "X"}')"#);
}

#[pg_test]
fn bad_mapping_is_refused_when_saved_with_22023() {
    Spi::run("CREATE TEMP TABLE caught (msg text)").unwrap();
    Spi::run(
        r#"DO $$ BEGIN
             INSERT INTO cxone_mappings (name, mapping) VALUES ('bad', '{"fields": [{"path": "a[", "label": "A"}]}');
           EXCEPTION WHEN invalid_parameter_value THEN
             INSERT INTO caught VALUES (SQLERRM);
           END $$"#,
    )
    .unwrap();
    let msg = one::<String>("SELECT msg FROM caught").expect("a 22023 error was raised");
    assert!(msg.contains("bad path 'a['"), "{msg}");
    assert_eq!(one::<i64>("SELECT count(*) FROM cxone_mappings WHERE name = 'bad'"), Some(0));
}

#[pg_test]
fn tag_reports_the_original_keys_and_pii() {
    let tag = one::<JsonB>(
        "SELECT cxone_tag('I need a refund, mail me at someone@anywhere.example')",
    )
    .unwrap()
    .0;
    assert_eq!(tag["source"], "cxone");
    assert_eq!(tag["contains_pii"], true);
    assert_eq!(tag["pii_types"], json!(["email"]));
    assert_eq!(tag["intent_category"], "billing_dispute");
    assert_eq!(tag["content_length"], 52);
}

#[pg_test]
fn intent_rules_are_data() {
    Spi::run("INSERT INTO cxone_intent_rules (category, pattern, priority) VALUES ('fraud', 'stolen', 99)")
        .unwrap();
    let tag = one::<JsonB>("SELECT cxone_tag('my card was stolen, I need a refund')").unwrap().0;
    assert_eq!(tag["intent_category"], "fraud");
    assert_eq!(tag["intent_matches"], json!(["fraud", "billing_dispute"]));
}

#[pg_test]
fn fixtures_and_an_empty_payload_give_two_pending_rows_and_one_skip() {
    let seed = insert(&variant(SEED, "fixtures"));
    let dfo = insert(&variant(DFO, "fixtures"));
    let empty = insert(r#"{"conversationId": "c-empty", "data": {"transcript": []}}"#);
    assert_eq!(outcome(seed).0, "queued");
    assert_eq!(outcome(dfo).0, "queued");
    let (o, reason) = outcome(empty);
    assert_eq!(o, "skipped");
    assert!(reason.unwrap().contains("no text matched"));
    let pending = one::<i64>("SELECT count(*) FROM conversation_embeddings WHERE status = 'pending' AND embedding IS NULL");
    assert_eq!(pending, Some(2));
    let meta = Spi::get_one_with_args::<JsonB>(
        "SELECT semantic_metadata FROM conversation_embeddings WHERE payload_id = $1",
        &[dfo.into()],
    )
    .unwrap()
    .unwrap()
    .0;
    assert_eq!(meta["pii_types"], json!(["email"]));
    assert_eq!(meta["conversation_id"], "131988342510");
    assert_eq!(meta["channel"], "Web chat");
    let text = Spi::get_one_with_args::<String>(
        "SELECT text_content FROM conversation_embeddings WHERE payload_id = $1",
        &[dfo.into()],
    )
    .unwrap()
    .unwrap();
    assert!(text.starts_with("Bot: Hi!"), "{text}");
    assert_eq!(text.lines().count(), 6);
}

#[pg_test]
fn every_outcome_is_recorded_and_the_insert_never_fails() {
    let cases: &[(&str, &str, &str)] = &[
        ("[1, 2]", "invalid", "JSON array"),
        ("42", "invalid", "JSON number"),
        (r#"{"a": "\ud800"}"#, "invalid", "not JSON that can be read"),
        (r#"{"data": {"subject": "hello"}}"#, "invalid", "no conversation id"),
        (r#"{"conversationId": "c1", "data": {"transcript": {"agent": null, "customer": ""}}}"#, "skipped", "no text matched"),
        (r#"{"conversationId": "c2", "data": {"subject": "nul \u0000 inside 🎉"}}"#, "queued", ""),
    ];
    for (payload, want, why) in cases {
        let (got, reason) = outcome(insert(payload));
        assert_eq!(&got, want, "{payload}");
        assert!(reason.unwrap_or_default().contains(why), "{payload}");
    }
    let stored = one::<i64>("SELECT count(*) FROM cxone_payloads");
    assert_eq!(stored, Some(cases.len() as i64));
}

#[pg_test]
fn replays_are_duplicates_and_queue_nothing() {
    let dfo = variant(DFO, "replays");
    let first = insert(&dfo);
    let again = insert(&dfo);
    let (o, reason) = outcome(again);
    assert_eq!(o, "duplicate");
    assert!(reason.unwrap().contains(&format!("replay of payload {first}")));
    // Without eventId: conversation id + event + timestamp, whatever the UTC spelling.
    let seed = variant(SEED, "replays");
    insert(&seed);
    let respelled = seed.replace("2024-01-15T10:30:00Z", "2024-01-15T10:30:00+00:00");
    assert_eq!(outcome(insert(&respelled)).0, "duplicate");
    assert_eq!(one::<i64>("SELECT count(*) FROM conversation_embeddings"), Some(2));
}

#[pg_test]
fn a_newer_payload_supersedes_pending_rows_and_an_older_one_is_skipped() {
    let mk = |at: &str, text: &str| {
        json!({"conversationId": "c9", "event": "e", "timestamp": at, "data": {"subject": text}}).to_string()
    };
    insert(&mk("2024-01-01T00:00:01Z", "first"));
    insert(&mk("2024-01-01T00:00:03Z", "third"));
    let late = insert(&mk("2024-01-01T00:00:02Z", "second, arrived late"));
    let (o, reason) = outcome(late);
    assert_eq!(o, "skipped");
    assert!(reason.unwrap().contains("superseded on arrival"));
    let live = one::<String>("SELECT string_agg(text_content, ',') FROM conversation_embeddings WHERE status = 'pending'");
    assert_eq!(live.as_deref(), Some("Subject: third"));
    assert_eq!(one::<i64>("SELECT count(*) FROM conversation_embeddings WHERE status = 'superseded'"), Some(1));
}

#[pg_test]
fn bulk_insert_of_ten_thousand_in_one_statement() {
    Spi::run(
        r#"INSERT INTO cxone_payloads (payload)
           SELECT json_build_object('eventId', 'e' || g, 'data', json_build_object('case', json_build_object('id', 'case-' || g),
                  'transcript', json_build_array(json_build_object('participant', 'customer', 'text', 'I was charged twice ' || g))))
             FROM generate_series(1, 10000) g"#,
    )
    .unwrap();
    assert_eq!(one::<i64>("SELECT count(*) FROM conversation_embeddings WHERE status = 'pending'"), Some(10000));
    assert_eq!(one::<i64>("SELECT count(*) FROM cxone_payloads WHERE outcome = 'queued'"), Some(10000));
}

#[pg_test]
fn a_missing_mapping_records_every_payload_invalid() {
    Spi::run("SET LOCAL cxone.mapping = 'nope'").unwrap();
    let (o, reason) = outcome(insert(&variant(SEED, "missing")));
    assert_eq!(o, "invalid");
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("mapping 'nope'"), "{reason}");
}

#[pg_test]
fn the_configured_mapping_is_used() {
    Spi::run(r#"INSERT INTO cxone_mappings (name, mapping) VALUES ('subject_only', '{"data.subject": "Topic"}')"#).unwrap();
    Spi::run("SET LOCAL cxone.mapping = 'subject_only'").unwrap();
    let id = insert(&variant(SEED, "configured"));
    let text = Spi::get_one_with_args::<String>(
        "SELECT text_content FROM conversation_embeddings WHERE payload_id = $1",
        &[id.into()],
    )
    .unwrap();
    assert_eq!(text.as_deref(), Some("Topic: Order refund request"));
}

#[pg_test]
#[should_panic(expected = "cannot drop extension vector because other objects depend on it")]
fn vector_cannot_be_dropped_while_installed() {
    Spi::run("DROP EXTENSION vector").unwrap();
}

#[pg_test]
fn redact_replaces_pii_with_placeholders() {
    let r = one::<String>("SELECT cxone_redact('mail a.b@example.com or call +1 415 555 2671')");
    assert_eq!(r.as_deref(), Some("mail [EMAIL] or call [PHONE]"));
}

/// With redaction on, an agent's own name in the greeting is kept and the customer's redacted;
/// `cxone.redact_agent_names` redacts both, `cxone.redact_types` narrows what is replaced.
#[pg_test]
fn redaction_keeps_agents_names_unless_told_and_follows_its_types() {
    Spi::run("SET LOCAL cxone.redact = on").unwrap();
    let payload = |tag: &str| {
        format!(
            r#"{{"conversationId": "names-{tag}", "data": {{"transcript": [
                {{"participant": "agent", "text": "Thanks for calling, my name is Priya, how can I help?"}},
                {{"participant": "customer", "text": "Hi, my name is Dana Whitfield, email dana@example.org"}}]}}}}"#
        )
    };
    let text_of = |id: i64| {
        Spi::get_one_with_args::<String>(
            "SELECT text_content FROM conversation_embeddings WHERE payload_id = $1",
            &[id.into()],
        )
        .unwrap()
        .unwrap()
    };
    let kept = text_of(insert(&payload("default")));
    assert!(kept.contains("Priya") && !kept.contains("Dana Whitfield"), "{kept}");
    assert!(kept.contains("[NAME]") && kept.contains("[EMAIL]"), "{kept}");
    Spi::run("SET LOCAL cxone.redact_agent_names = on").unwrap();
    let all = text_of(insert(&payload("agents")));
    assert!(!all.contains("Priya") && !all.contains("Dana Whitfield"), "{all}");
    Spi::run("SET LOCAL cxone.redact_types = 'email'").unwrap();
    let only_email = text_of(insert(&payload("email")));
    assert!(only_email.contains("Dana Whitfield") && only_email.contains("[EMAIL]"), "{only_email}");
    let redacted = Spi::get_one::<String>("SELECT cxone_redact('my name is Dana Whitfield, dana@example.org')")
        .unwrap()
        .unwrap();
    assert_eq!(redacted, "my name is Dana Whitfield, [EMAIL]");
}

#[pg_test]
fn with_redaction_on_only_redacted_text_is_queued() {
    Spi::run("SET LOCAL cxone.redact = on").unwrap();
    let id = insert(&variant(DFO, "redact"));
    let (text, meta) = Spi::connect_mut(|c| {
        let row = c
            .update(
                "SELECT text_content, semantic_metadata FROM conversation_embeddings WHERE payload_id = $1",
                None,
                &[id.into()],
            )?
            .first();
        Ok::<_, pgrx::spi::SpiError>((row.get::<String>(1)?.unwrap(), row.get::<JsonB>(2)?.unwrap().0))
    })
    .unwrap();
    assert!(!text.contains("dana.whitfield@example.org"), "{text}");
    assert!(text.contains("[EMAIL]"));
    assert_eq!(meta["redacted"], true);
    assert_eq!(meta["pii_types"], json!(["email"]));
    // The raw payload is kept as sent.
    let raw = Spi::get_one_with_args::<String>("SELECT payload::text FROM cxone_payloads WHERE id = $1", &[id.into()])
        .unwrap()
        .unwrap();
    assert!(raw.contains("dana.whitfield@example.org"));
}

#[pg_test]
fn long_conversations_are_queued_as_chunks_under_the_budget() {
    Spi::run(
        r#"INSERT INTO cxone_payloads (payload)
           SELECT json_build_object('conversationId', 'long-1', 'data', json_build_object('transcript',
                  json_agg(json_build_object('participant', CASE WHEN g % 2 = 0 THEN 'customer' ELSE 'agent' END,
                                             'text', 'turn ' || g || ': my card has still not arrived and I need it for travel'))))
             FROM generate_series(1, 200) g"#,
    )
    .unwrap();
    let chunks = Spi::connect(|c| {
        let mut v = Vec::new();
        for row in c.select(
            "SELECT chunk_index, text_content FROM conversation_embeddings WHERE conversation_id = 'long-1' ORDER BY chunk_index",
            None,
            &[],
        )? {
            v.push((row.get::<i32>(1)?.unwrap(), row.get::<String>(2)?.unwrap()));
        }
        Ok::<_, pgrx::spi::SpiError>(v)
    })
    .unwrap();
    assert!(chunks.len() > 5, "{}", chunks.len());
    for (i, (idx, text)) in chunks.iter().enumerate() {
        assert_eq!(*idx as usize, i);
        let tokens = cxone_core::tokens::Tokenizer::MiniLm.count(text) + 2;
        assert!(tokens <= 256, "chunk {idx} has {tokens} tokens");
    }
    for g in 1..=200 {
        assert!(chunks.iter().any(|(_, t)| t.contains(&format!("turn {g}: "))), "turn {g}");
    }
}

/// A typo is refused at SET (an enum setting), not found later on every payload.
#[pg_test(error = "invalid value for parameter \"cxone.chunk_tokenizer\": \"gpt2\"")]
fn a_bad_tokenizer_setting_is_refused_at_set() {
    Spi::run("SET LOCAL cxone.chunk_tokenizer = 'gpt2'").unwrap();
}

#[pg_test]
fn the_tokenizer_setting_takes_its_names_in_any_case() {
    Spi::run("SET LOCAL cxone.chunk_tokenizer = 'CL100K_base'").unwrap();
    let shown = Spi::get_one::<String>("SHOW cxone.chunk_tokenizer").unwrap();
    assert_eq!(shown.as_deref(), Some("cl100k_base"));
    let (o, _) = outcome(insert(&variant(SEED, "tokenizer")));
    assert_eq!(o, "queued");
}

/// The arrays of the statement-level write are built by hand (`pg_array`): byte for byte what
/// PostgreSQL's construct_md_array makes (through pgrx), with and without NULLs, and empty.
#[pg_test]
fn hand_built_arrays_are_byte_for_byte_postgres_arrays() {
    use crate::encode::pg_array;
    let bytes = |d: pg_sys::Datum| unsafe {
        pgrx::varlena_to_byte_slice(d.cast_mut_ptr::<pg_sys::varlena>()).to_vec()
    };
    let long = "x".repeat(300);
    let cases: Vec<Vec<Option<&str>>> = vec![
        vec![],
        vec![Some("a")],
        vec![Some(""), Some("héllo, wörld"), Some("abc")],
        vec![None],
        vec![Some("a"), None, Some(long.as_str()), None, Some("bc"), Some("def"), None, Some("")],
        (0..19).map(|i| if i % 3 == 0 { None } else { Some(&long[..i * 7]) }).collect(),
    ];
    for items in cases {
        let ours = unsafe { pg_array::text(&items, |s| *s) };
        let theirs = items.clone().into_datum().expect("array");
        assert_eq!(bytes(ours), bytes(theirs), "text[] {items:?}");
        // And PostgreSQL reads it back as the same values.
        let back: Vec<Option<String>> = unsafe {
            Vec::<Option<String>>::from_datum(ours, false).expect("read back")
        };
        let want: Vec<Option<String>> = items.iter().map(|s| s.map(str::to_string)).collect();
        assert_eq!(back, want);
    }
    for items in [vec![], vec![1i64], vec![-5, 0, i64::MAX, i64::MIN, 42]] {
        let ours = unsafe { pg_array::int8(&items) };
        assert_eq!(bytes(ours), bytes(items.clone().into_datum().unwrap()), "int8[] {items:?}");
    }
    for items in [vec![], vec![7i32], vec![0, -1, i32::MAX, 3, 4]] {
        let ours = unsafe { pg_array::int4(&items) };
        assert_eq!(bytes(ours), bytes(items.clone().into_datum().unwrap()), "int4[] {items:?}");
    }
}

/// Metadata goes to the database as binary jsonb written by `jsonb::encode`: byte for byte
/// what jsonb_in makes of the same JSON text, for the metadata of real payloads, for the edges
/// of the format (every 32nd entry an offset, alignment of numbers and containers, numbers at
/// base-10000 boundaries, the longest keys last) and for random values.
#[pg_test]
fn jsonb_encoder_writes_what_jsonb_in_makes() {
    use crate::encode::jsonb;
    use serde_json::{Map, Value};
    let jsonb_in = |text: &str| -> Vec<u8> {
        let c = std::ffi::CString::new(text).unwrap();
        unsafe {
            let mut func = pg_sys::InvalidOid;
            let mut ioparam = pg_sys::InvalidOid;
            pg_sys::getTypeInputInfo(pg_sys::JSONBOID, &mut func, &mut ioparam);
            let d = pg_sys::OidInputFunctionCall(func, c.as_ptr().cast_mut(), ioparam, -1);
            pgrx::varlena_to_byte_slice(d.cast_mut_ptr::<pg_sys::varlena>()).to_vec()
        }
    };
    let check = |o: &Map<String, Value>| {
        let text = serde_json::to_string(o).unwrap();
        let ours = jsonb::encode(o).unwrap_or_else(|| panic!("not encoded: {text}"));
        let theirs = jsonb_in(&text);
        assert_eq!(ours.len(), theirs.len() + 4, "size of {text}");
        assert_eq!(&ours[4..], &theirs[..], "bytes of {text}");
    };
    // Real metadata: the fixtures through the seeded configuration, with and without PII.
    let cfg = cxone_core::ingest::IngestConfig::seeded(false);
    for raw in [DFO, SEED] {
        let v = cxone_core::ingest::parse_payload(raw).unwrap();
        let env = cxone_core::envelope::Envelope::extract(&v, &cfg.mapping);
        let row = cxone_core::ingest::prepare(&v, &env, &cfg).unwrap();
        check(&row.metadata);
    }
    let obj = |v: Value| v.as_object().unwrap().clone();
    let numbers = [
        0i64, 1, -1, 9, 10, 9999, 10000, 10001, -10000, 99_990_000, 100_000_000, 123_456_789_012_345,
        i64::MAX, i64::MIN,
    ];
    let many: Map<String, Value> = (0..70)
        .map(|i| (format!("k{}", "x".repeat(i % 9) + &i.to_string()), json!(i as i64 * 1001 - 7)))
        .collect();
    let cases = [
        json!({}),
        json!({"": "", "a": null, "b": true, "c": false}),
        json!({"n": numbers, "u": u64::MAX, "s": "héllo 日本 🙂", "e": [], "o": {}}),
        json!({"mixed": ["a", 1, "bc", [2, "d", {"x": 3}], {"y": [true, null]}, -40000, "", {}]}),
        json!({"deep": {"a": {"b": {"c": [1, [2, [3, {"d": "e"}]]]}}}}),
        Value::Object(many.clone()),
        json!({"arr": (0..70).map(|i| if i % 3 == 0 { json!(i) } else { json!("s".repeat(i % 5)) }).collect::<Vec<_>>()}),
        json!({"nested": Value::Object(many), "z": 1}),
    ];
    for c in cases {
        check(&obj(c));
    }
    // Random values (xorshift, fixed seed): strings of odd lengths put numbers and containers
    // at every alignment.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    fn random(next: &mut dyn FnMut() -> u64, depth: u32) -> Value {
        match next() % if depth == 0 { 4 } else { 6 } {
            0 => Value::Null,
            1 => Value::Bool(next().is_multiple_of(2)),
            2 => json!((next() as i64) >> (next() % 63)),
            3 => Value::String("é#a".chars().cycle().take((next() % 11) as usize).collect()),
            4 => Value::Array((0..next() % 40).map(|_| random(next, depth - 1)).collect()),
            _ => Value::Object(
                (0..next() % 40)
                    .map(|i| (format!("{}{}", "k".repeat((next() % 7) as usize), i), random(next, depth - 1)))
                    .collect(),
            ),
        }
    }
    for _ in 0..300 {
        let v = random(&mut next, 3);
        check(&obj(json!({ "v": v })));
    }
    // Left to jsonb_in: fractions, and NUL (which jsonb_in refuses).
    assert!(jsonb::encode(&obj(json!({"f": 1.5}))).is_none());
    assert!(jsonb::encode(&obj(json!({"s": "a\u{0}b"}))).is_none());
}
