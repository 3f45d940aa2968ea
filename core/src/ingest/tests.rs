//! The ingest decisions for each payload outcome and the fixture edge cases.

use super::*;
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
