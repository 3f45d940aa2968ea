//! The ingest decisions for each payload outcome and the fixture edge cases.

use super::*;
use crate::limits::Limits;
use crate::mapping::tests::{DFO, SEED};
use serde_json::json;

fn cfg() -> IngestConfig {
    IngestConfig::seeded(false)
}

fn run(text: &str) -> (Envelope, Result<QueueRow, NotQueued>) {
    let cfg = cfg();
    let payload = match parse_payload(text) {
        Ok(p) => p,
        Err(e) => return (Envelope::extract(&json!({}), &cfg.mapping), Err(e)),
    };
    let env = Envelope::extract(&payload, &cfg.mapping);
    let row = prepare(&payload, &env, &cfg);
    (env, row)
}

#[test]
fn seed_fixture_is_queued_and_tagged() {
    let (env, row) = run(SEED);
    let row = row.unwrap();
    assert_eq!(row.conversation_id, "conv-8842-abc");
    assert_eq!(
        env.event_key.as_deref(),
        Some("conv:conv-8842-abc|conversation.completed|2024-01-15T10:30:00+00:00")
    );
    assert_eq!(row.metadata["intent_category"], "billing_dispute");
    assert_eq!(row.metadata["contains_pii"], false);
    assert_eq!(row.metadata["source"], "cxone");
    assert_eq!(
        row.metadata["content_length"],
        row.chunks[0].chars().count()
    );
}

#[test]
fn dfo_fixture_is_queued_with_an_email_found() {
    let (env, row) = run(DFO);
    let row = row.unwrap();
    assert_eq!(row.conversation_id, "131988342510");
    assert_eq!(
        env.event_key.as_deref(),
        Some("id:0f8e2a57-3c1d-4b8e-9a65-1d2f7c9b4e10")
    );
    assert_eq!(row.metadata["contains_pii"], true);
    assert_eq!(row.metadata["pii_types"], json!(["email"]));
    assert_eq!(row.metadata["queue"], "Billing_Chat");
    assert!(row.event_time.is_some());
}

#[test]
fn each_outcome_has_a_reason() {
    let cases: &[(&str, &str)] = &[
        ("[1, 2]", "payload is a JSON array, expected an object"),
        ("\"text\"", "payload is a JSON string"),
        ("{\"a\": \"\\ud800\"}", "payload is not JSON that can be read"),
        ("{\"data\": {\"transcript\": [{\"text\": \"hi\"}]}}", "no conversation id"),
        ("{\"conversationId\": \"c\", \"data\": {\"transcript\": [{\"participant\": \"system\", \"text\": \"\", \"payload\": {\"postback\": \"x\"}}]}}", "no text matched"),
        ("{\"conversationId\": \"c\", \"data\": {\"transcript\": {\"agent\": null, \"customer\": \"  \"}}}", "no text matched"),
    ];
    for (text, want) in cases {
        let (_, row) = run(text);
        let reason = match row.unwrap_err() {
            NotQueued::Skipped(r) | NotQueued::Invalid(r) => r,
        };
        assert!(reason.contains(want), "{text}: {reason}");
    }
}

#[test]
fn deep_nesting_is_invalid_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (_, row) = run(&format!("{{\"a\": {deep}}}"));
    assert!(matches!(row, Err(NotQueued::Invalid(r)) if r.contains("recursion limit")));
}

#[test]
fn nul_escapes_are_text() {
    let (_, row) = run("{\"conversationId\": \"c\", \"data\": {\"subject\": \"a\\u0000b\"}}");
    assert_eq!(row.unwrap().chunks, vec!["Subject: ab".to_string()]);
}

#[test]
fn replay_keys_ignore_the_spelling_of_utc() {
    let cfg = cfg();
    let a = json!({"conversationId": "c", "event": "e", "timestamp": "2024-01-15T10:30:00Z"});
    let b = json!({"conversationId": "c", "event": "e", "timestamp": "2024-01-15T10:30:00+00:00"});
    assert_eq!(
        Envelope::extract(&a, &cfg.mapping).event_key,
        Envelope::extract(&b, &cfg.mapping).event_key
    );
    let no_time = json!({"conversationId": "c", "event": "e"});
    assert_eq!(Envelope::extract(&no_time, &cfg.mapping).event_key, None);
}

#[test]
fn a_bot_greeting_does_not_decide_the_intent() {
    let (_, row) = run(r#"{"conversationId": "c", "data": {"transcript": [
        {"participant": "bot", "text": "What can I help with today?"},
        {"participant": "customer", "text": "I want to cancel my subscription"}]}}"#);
    assert_eq!(row.unwrap().metadata["intent_category"], "billing_dispute");
    let (_, row) = run(r#"{"conversationId": "c", "data": {"transcript": [
        {"participant": "bot", "text": "What can I help with today?"},
        {"participant": "customer", "text": "What are your opening hours?"}]}}"#);
    assert_eq!(row.unwrap().metadata["intent_category"], "general_inquiry");
}

#[test]
fn the_dfo_fixture_is_a_billing_dispute() {
    let (_, row) = run(DFO);
    assert_eq!(row.unwrap().metadata["intent_category"], "billing_dispute");
}

#[test]
fn with_redaction_no_pii_is_queued_but_it_is_still_tagged() {
    let mut cfg = cfg();
    cfg.redact = true;
    let payload = parse_payload(DFO).unwrap();
    let env = Envelope::extract(&payload, &cfg.mapping);
    let row = prepare(&payload, &env, &cfg).unwrap();
    let text = row.chunks.join("\n");
    assert!(!text.contains("dana.whitfield@example.org"));
    assert!(text.contains("My email is [EMAIL] if you need it."));
    assert_eq!(row.metadata["pii_types"], json!(["email"]));
    assert_eq!(row.metadata["redacted"], true);
}

#[test]
fn a_long_transcript_is_queued_as_chunks() {
    let turns: Vec<_> = (0..300)
        .map(|i| json!({"participant": if i % 2 == 0 { "customer" } else { "agent" }, "text": format!("turn {i}: I still have not received my new card after two weeks")}))
        .collect();
    let payload = json!({"conversationId": "long", "data": {"transcript": turns}}).to_string();
    let (_, row) = run(&payload);
    let row = row.unwrap();
    assert!(row.chunks.len() > 5);
    assert_eq!(row.metadata["chunk_count"], row.chunks.len());
    for i in 0..300 {
        assert!(
            row.chunks.iter().any(|c| c.contains(&format!("turn {i}:"))),
            "turn {i}"
        );
    }
}

#[test]
fn a_text_over_max_text_bytes_is_invalid_with_the_setting_named() {
    let mut cfg = cfg();
    cfg.limits.max_text_bytes = 100;
    let long = json!({"conversationId": "c", "data": {"subject": "x".repeat(200)}});
    let env = envelope(&long, &cfg);
    let Err(NotQueued::Invalid(reason)) = prepare(&long, &env, &cfg) else {
        panic!("not invalid");
    };
    assert_eq!(
        reason,
        "mapping 'default': the mapped text is 209 bytes, over cxone.max_text_bytes = 100; raise the setting (superuser) or map fewer fields, then reprocess"
    );
    // At the limit exactly it is queued.
    let fits = json!({"conversationId": "c", "data": {"subject": "x".repeat(91)}});
    let row = prepare(&fits, &envelope(&fits, &cfg), &cfg).unwrap();
    assert_eq!(row.chunks.concat().len(), 100);
    assert_eq!(IngestConfig::seeded(false).limits, Limits::default());
    assert_eq!(Limits::default().max_text_bytes, 4 << 20);
}

#[test]
fn an_oversized_payload_has_a_reason_naming_the_setting() {
    let (outcome, reason) = payload_too_large(20_000_000, 8 << 20).into_outcome();
    assert_eq!(outcome, crate::outcome::Outcome::Invalid);
    assert_eq!(
        reason,
        "payload is 20000000 bytes, over cxone.max_payload_bytes = 8388608; it is stored as sent; a superuser can raise the setting and insert it again"
    );
}

/// Turns labelled by their sender, with their timestamps, and two metadata fields copied.
const PII_MAPPING: &str = r#"{
  "fields": [{"path": "data.transcript[*]",
              "turns": {"label_from": "from", "include_timestamp": true, "labels": {"agent": "Agent"}}}],
  "metadata": {"customer": "data.customer", "card": "data.card", "channel": "data.channel"}
}"#;

fn pii_cfg(redact: bool) -> IngestConfig {
    let mut cfg = IngestConfig::seeded(redact);
    cfg.mapping = Mapping::parse(&serde_json::from_str(PII_MAPPING).unwrap()).unwrap();
    cfg.mapping_name = "pii".into();
    cfg
}

/// A conversation with PII only where `place` says (nowhere for "").
fn payload_with_pii_in(place: &str) -> Value {
    let mut p = json!({
        "conversationId": "conv-1", "eventType": "closed", "timestamp": "2024-01-15T10:30:00Z",
        "data": {"channel": "Email", "customer": "a returning customer", "card": 42,
          "transcript": [
            {"from": "customer", "timestamp": "2024-01-15T10:30:00Z", "text": "I was charged twice"},
            {"from": "agent", "timestamp": "2024-01-15T10:31:00Z", "text": "I will refund it"}]}
    });
    match place {
        "conversation id" => p["conversationId"] = json!("jo.bloggs@example.com"),
        "label" => p["data"]["transcript"][0]["from"] = json!("jo.bloggs@example.com"),
        "timestamp" => p["data"]["transcript"][0]["timestamp"] = json!("+1 415 555 0100"),
        "metadata" => {
            p["data"]["customer"] = json!("Jo Bloggs, jo.bloggs@example.com");
            p["data"]["card"] = json!(4111111111111111u64);
        }
        _ => {}
    }
    p
}

/// The event key and queue row of [`payload_with_pii_in`].
fn with_pii_in(place: &str, redact: bool) -> (Option<String>, QueueRow) {
    let (p, cfg) = (payload_with_pii_in(place), pii_cfg(redact));
    let env = envelope(&p, &cfg);
    let row = prepare(&p, &env, &cfg).unwrap();
    (env.event_key, row)
}

/// Everything a queue row stores, and the event key, as one lower-case text to search.
fn stored(event_key: &Option<String>, row: &QueueRow) -> String {
    let all = format!(
        "{}\n{}\n{}\n{}\n{:?}",
        row.chunks.join("\n"),
        serde_json::to_string(&row.metadata).unwrap(),
        row.conversation_id,
        row.source_system,
        event_key
    );
    all.to_lowercase()
}

const PII: [&str; 4] = [
    "jo.bloggs@example.com",
    "+1 415 555 0100",
    "4111111111111111",
    "4111",
];

#[test]
fn with_redaction_an_email_conversation_id_is_a_stable_pseudonym() {
    let (key, row) = with_pii_in("conversation id", true);
    let all = stored(&key, &row);
    for pii in PII {
        assert!(!all.contains(pii), "{pii} in {all}");
    }
    assert_eq!(row.conversation_id, "pii-4af7f53a216e60742accbfce");
    assert_eq!(row.metadata["conversation_id"], row.conversation_id);
    assert_eq!(
        key.as_deref(),
        Some("conv:pii-4af7f53a216e60742accbfce|closed|2024-01-15T10:30:00+00:00")
    );
    // The same conversation again: the same id, so it supersedes the first.
    assert_eq!(
        with_pii_in("conversation id", true).1.conversation_id,
        row.conversation_id
    );
    // An id without PII is kept.
    assert_eq!(with_pii_in("label", true).1.conversation_id, "conv-1");

    let (key, row) = with_pii_in("conversation id", false);
    assert_eq!(row.conversation_id, "jo.bloggs@example.com");
    assert_eq!(row.metadata["conversation_id"], "jo.bloggs@example.com");
    assert_eq!(
        key.as_deref(),
        Some("conv:jo.bloggs@example.com|closed|2024-01-15T10:30:00+00:00")
    );
}

#[test]
fn with_redaction_a_label_from_the_payload_is_redacted() {
    let (key, row) = with_pii_in("label", true);
    let all = stored(&key, &row);
    for pii in PII {
        assert!(!all.contains(pii), "{pii} in {all}");
    }
    assert_eq!(
        row.chunks,
        ["[2024-01-15T10:30:00Z] [EMAIL]: I was charged twice\n[2024-01-15T10:31:00Z] Agent: I will refund it"]
    );
    assert_eq!(row.metadata["pii_types"], json!(["email"]));

    let (_, row) = with_pii_in("label", false);
    assert!(row.chunks[0].starts_with("[2024-01-15T10:30:00Z] Jo.bloggs@example.com: I was"));
}

#[test]
fn with_redaction_a_timestamp_prefix_is_redacted() {
    let (key, row) = with_pii_in("timestamp", true);
    let all = stored(&key, &row);
    for pii in PII {
        assert!(!all.contains(pii), "{pii} in {all}");
    }
    assert!(row.chunks[0].starts_with("[[PHONE]] Customer: I was charged twice\n"));

    let (_, row) = with_pii_in("timestamp", false);
    assert!(row.chunks[0].starts_with("[+1 415 555 0100] Customer: I was charged twice\n"));
}

#[test]
fn with_redaction_metadata_copied_from_the_payload_is_redacted() {
    let (key, row) = with_pii_in("metadata", true);
    let all = stored(&key, &row);
    for pii in PII {
        assert!(!all.contains(pii), "{pii} in {all}");
    }
    assert_eq!(row.metadata["customer"], "Jo Bloggs, [EMAIL]");
    assert_eq!(row.metadata["card"], "[CARD]");
    assert_eq!(row.metadata["channel"], "Email");

    let (_, row) = with_pii_in("metadata", false);
    assert_eq!(row.metadata["customer"], "Jo Bloggs, jo.bloggs@example.com");
    assert_eq!(row.metadata["card"], 4111111111111111u64);
}

#[test]
fn without_pii_redaction_changes_only_the_redacted_flag() {
    let (key_off, off) = with_pii_in("", false);
    let (key_on, mut on) = with_pii_in("", true);
    assert_eq!(on.metadata.remove("redacted"), Some(json!(true)));
    assert_eq!(on, off);
    assert_eq!(key_on, key_off);
    assert_eq!(off.metadata["customer"], "a returning customer");
    assert_eq!(off.metadata["card"], 42);
}

#[test]
fn a_nul_in_a_label_keeps_the_label_part_whole() {
    let mut cfg = pii_cfg(true);
    cfg.chunking.max_tokens = 8;
    let p = json!({"conversationId": "c", "data": {"transcript": [
        {"from": "x\u{0}y", "text": "é é é é é é é é é é é é é é é é é é é é"}]}});
    let row = prepare(&p, &envelope(&p, &cfg), &cfg).unwrap();
    assert!(row.chunks.len() > 1);
    for c in &row.chunks {
        assert!(c.starts_with("Xy: é"), "{c}");
    }
}

#[test]
fn labels_from_the_payload_are_cut_to_max_label_chars() {
    let cfg = pii_cfg(false);
    let p = json!({"conversationId": "c", "data": {"transcript": [
        {"from": "n".repeat(1000), "timestamp": "t".repeat(1000), "text": "hello"}]}});
    let row = prepare(&p, &envelope(&p, &cfg), &cfg).unwrap();
    let want = format!("[{}] N{}: hello", "t".repeat(64), "n".repeat(63));
    assert_eq!(row.chunks, [want]);
}

/// Agents' own names in their greetings are kept by default, customers' names redacted;
/// `RedactTypes::ALL` (cxone.redact_agent_names = on) redacts both; a list redacts only its types.
#[test]
fn redaction_keeps_agents_names_by_default_and_follows_the_types() {
    let payload = json!({
        "conversationId": "conv-names",
        "data": {"transcript": [
            {"participant": "agent", "text": "Thanks for calling, my name is Priya, how can I help?"},
            {"participant": "customer", "text": "Hi, my name is Dana Whitfield, my email is dana@example.org"}
        ]}
    });
    let text = |types: RedactTypes| {
        let mut cfg = IngestConfig::seeded(true);
        cfg.redact_types = types;
        let env = crate::ingest::envelope(&payload, &cfg);
        prepare(&payload, &env, &cfg).unwrap().chunks.join("\n")
    };
    let kept = text(RedactTypes::default());
    assert!(kept.contains("Priya"), "{kept}");
    assert!(
        !kept.contains("Dana Whitfield") && kept.contains("[NAME]"),
        "{kept}"
    );
    assert!(!kept.contains("dana@example.org"), "{kept}");
    let all = text(RedactTypes::ALL);
    assert!(
        !all.contains("Priya") && !all.contains("Dana Whitfield"),
        "{all}"
    );
    let only_email = text(RedactTypes::parse("email").unwrap());
    assert!(
        only_email.contains("Dana Whitfield") && only_email.contains("[EMAIL]"),
        "{only_email}"
    );
    assert!(RedactTypes::parse("email, card_cvv").is_ok());
    let err = RedactTypes::parse("emial").unwrap_err();
    assert!(
        err.contains("'emial' is not a PII type") && err.contains("card_cvv"),
        "{err}"
    );
}
