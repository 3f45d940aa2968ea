//! Mapping tests, on the fixtures in tests/fixtures/cxone and on edge cases.

use super::*;
use serde_json::json;

pub(crate) const SEED: &str =
    include_str!("../../../tests/fixtures/cxone/seed_conversation_completed.json");
pub(crate) const DFO: &str =
    include_str!("../../../tests/fixtures/cxone/dfo_case_closed_with_transcript.json");

fn render(mapping: &Mapping, payload: &str) -> String {
    mapping
        .render(&serde_json::from_str(payload).unwrap(), &Limits::default())
        .unwrap()
        .text
}

#[test]
fn default_mapping_gives_the_seed_text_exactly() {
    assert_eq!(
        render(&Mapping::default_mapping(), SEED),
        "Agent: Hello, how can I assist you with your order? Customer: I need a full refund because the item arrived damaged. Subject: Order refund request"
    );
}

#[test]
fn default_mapping_gives_one_line_per_non_empty_dfo_turn() {
    let text = render(&Mapping::default_mapping(), DFO);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        vec![
            "Bot: Hi! I'm the virtual assistant. What can I help with today?",
            "Customer: I was charged twice for the same card payment yesterday.",
            "Agent: Sorry about that. Can you confirm the amount and the merchant?",
            "Customer: 42.50 at Corner Books. My email is dana.whitfield@example.org if you need it.",
            "Agent: I can see the duplicate. The second charge will be reversed within 3 working days.",
            "Customer: Great, thank you.",
        ]
    );
}

#[test]
fn default_mapping_copies_metadata() {
    let m = Mapping::default_mapping()
        .render(&serde_json::from_str(DFO).unwrap(), &Limits::default())
        .unwrap()
        .metadata;
    assert_eq!(m["channel"], "Web chat");
    assert_eq!(m["queue"], "Billing_Chat");
    assert_eq!(m["direction"], "inbound");
    assert_eq!(m["agent_id"], 12328);
    assert_eq!(m["case_status"], "closed");
    assert_eq!(m["event_type"], "CaseStatusChanged");
}

#[test]
fn original_form_is_accepted() {
    let m = Mapping::parse(&json!({"data.transcript.agent": "Agent"})).unwrap();
    assert_eq!(
        render(&m, SEED),
        "Agent: Hello, how can I assist you with your order?"
    );
}

#[test]
fn turns_edge_cases() {
    let m = Mapping::default_mapping();
    let payload = json!({"conversationId": "c1", "data": {"transcript": [
        {"participant": "customer", "text": "second", "timestamp": "2024-03-06T08:00:02+00:00"},
        {"participant": "agent", "text": null, "timestamp": "2024-03-06T08:00:03Z"},
        {"participant": "system", "text": "", "payload": {"postback": "x"}, "timestamp": "2024-03-06T08:00:04Z"},
        {"participant": "Supervisor", "text": "first 🎉 ünïcode", "timestamp": "2024-03-06T08:00:01Z"},
        {"text": "no participant", "timestamp": "2024-03-06T08:00:05Z"},
        {"participant": "agent", "text": 42, "timestamp": "2024-03-06T08:00:06Z"},
        "not a turn"
    ]}});
    assert_eq!(
        m.render(&payload, &Limits::default()).unwrap().text,
        "Supervisor: first 🎉 ünïcode\nCustomer: second\nParticipant: no participant"
    );
}

#[test]
fn turns_keep_array_order_when_a_timestamp_is_missing() {
    let m = Mapping::default_mapping();
    let payload = json!({"data": {"transcript": [
        {"participant": "agent", "text": "b", "timestamp": "2024-03-06T08:00:02Z"},
        {"participant": "agent", "text": "a"}
    ]}});
    assert_eq!(
        m.render(&payload, &Limits::default()).unwrap().text,
        "Agent: b\nAgent: a"
    );
}

#[test]
fn timestamps_can_be_included() {
    let m = Mapping::parse(
        &json!({"fields": [{"path": "t[*]", "turns": {"include_timestamp": true}}]}),
    )
    .unwrap();
    let payload =
        json!({"t": [{"participant": "bot", "text": "hi", "timestamp": "2024-01-01T00:00:00Z"}]});
    assert_eq!(
        m.render(&payload, &Limits::default()).unwrap().text,
        "[2024-01-01T00:00:00Z] Bot: hi"
    );
}

#[test]
fn bad_mappings_are_refused_naming_the_problem() {
    let cases = [
        (json!([1]), "a mapping is a JSON object"),
        (json!({"data..x": "X"}), "'data..x'"),
        (json!({"data.x": 3}), "path 'data.x' must be a label"),
        (json!({"fields": []}), "\"fields\" is empty"),
        (
            json!({"fields": [{"path": "a[x]", "label": "A"}]}),
            "'a[x]'",
        ),
        (
            json!({"fields": [{"path": "a"}]}),
            "field 'a' needs a \"label\"",
        ),
        (
            json!({"fields": [{"path": "a", "label": "A"}], "metadata": {"contains_pii": "a"}}),
            "reserved",
        ),
        (
            json!({"fields": [{"path": "a", "label": "A"}], "colour": 1}),
            "unknown field `colour`",
        ),
        (
            json!({"fields": [{"path": "a", "turns": {"text": "x..y"}}]}),
            "'x..y'",
        ),
    ];
    for (spec, want) in cases {
        let err = Mapping::parse(&spec).unwrap_err().to_string();
        assert!(err.contains(want), "{spec}: {err}");
    }
}

#[test]
fn intent_text_is_the_customer_turns() {
    let r = Mapping::default_mapping()
        .render(&serde_json::from_str(DFO).unwrap(), &Limits::default())
        .unwrap();
    assert!(r.intent_text.starts_with("I was charged twice"));
    assert!(!r.intent_text.contains("What can I help with"));
    let seed = Mapping::default_mapping()
        .render(&serde_json::from_str(SEED).unwrap(), &Limits::default())
        .unwrap();
    assert_eq!(
        seed.intent_text,
        "I need a full refund because the item arrived damaged."
    );
}

#[test]
fn finds_text_agrees_with_render() {
    let m = Mapping::default_mapping();
    let dir = format!("{}/../tests/fixtures/cxone", env!("CARGO_MANIFEST_DIR"));
    let mut payloads: Vec<Value> = [
        "seed_conversation_completed.json",
        "dfo_case_closed_with_transcript.json",
        "real/dfo_case_status_changed_closed.json",
        "real/dfo_message_added_customer.json",
    ]
    .iter()
    .map(|f| serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{f}")).unwrap()).unwrap())
    .collect();
    payloads.extend([
        json!({"data": {"transcript": [{"participant": "agent", "text": "  "}]}}),
        json!({"data": {"transcript": {"text": "one turn, no array"}}}),
        json!({"data": {"subject": "only a subject"}}),
        json!({"data": {"transcript": {"agent": 42}}}),
        json!({}),
    ]);
    for p in payloads {
        let rendered = m.render(&p, &Limits::default()).unwrap();
        assert_eq!(m.finds_text(&p), !rendered.text.is_empty(), "{p}");
    }
}
