use super::*;
use serde_json::json;

fn msg(speaker: Speaker, text: &str, at: &str) -> Recorded {
    Recorded {
        speaker,
        text: text.into(),
        created_at: Some(at.into()),
        removed: false,
        facts: Map::new(),
    }
}

#[test]
fn one_labelled_line_per_message_and_intent_from_the_customer() {
    let ms = [
        msg(
            Speaker::Bot,
            "Hi! How can I help?",
            "2024-05-02T09:14:01.118Z",
        ),
        msg(
            Speaker::Customer,
            "I was charged twice",
            "2024-05-02T09:14:03.412Z",
        ),
        msg(Speaker::Agent, "Refunded.", "2024-05-02T09:14:40.020Z"),
    ];
    let r = assemble(
        &ms,
        &Map::new(),
        &MessageRules::default(),
        &Limits::default(),
    );
    assert_eq!(
        r.text,
        "Bot: Hi! How can I help?\nCustomer: I was charged twice\nAgent: Refunded."
    );
    assert_eq!(r.intent_text, "I was charged twice");
    assert_eq!(r.units.len(), 3);
    assert_eq!(r.units[1].prefix_len, "Customer: ".len());
    assert_eq!(crate::chunk::join(&r.units), r.text);
    assert_eq!(r.metadata["message_count"], 3);
    assert_eq!(r.metadata["first_message_at"], "2024-05-02T09:14:01.118Z");
    assert_eq!(r.metadata["last_message_at"], "2024-05-02T09:14:40.020Z");
}

#[test]
fn erased_and_empty_messages_leave_no_line_and_are_counted() {
    let mut gone = msg(Speaker::Customer, "", "2024-05-02T09:15:00Z");
    gone.removed = true;
    let ms = [
        msg(Speaker::Customer, "hello", "2024-05-02T09:14:00Z"),
        gone,
    ];
    let r = assemble(
        &ms,
        &Map::new(),
        &MessageRules::default(),
        &Limits::default(),
    );
    assert_eq!(r.text, "Customer: hello");
    assert_eq!(r.metadata["erased_messages"], 1);
    assert_eq!(r.metadata["message_count"], 2);
}

#[test]
fn agents_and_sentiment_come_from_the_messages() {
    let mut a = msg(Speaker::Agent, "ok", "2024-05-02T09:14:00Z");
    a.facts.insert("agent_id".into(), "62719001".into());
    let mut c = msg(Speaker::Customer, "thanks", "2024-05-02T09:15:00Z");
    c.facts.insert("sentiment".into(), "positive".into());
    let case = json!({"channel": "Website chat"});
    let r = assemble(
        &[a, c],
        case.as_object().unwrap(),
        &MessageRules::default(),
        &Limits::default(),
    );
    assert_eq!(r.metadata["agent_ids"], json!(["62719001"]));
    assert_eq!(r.metadata["sentiment"], "positive");
    assert_eq!(r.metadata["channel"], "Website chat");
}

#[test]
fn text_over_the_cap_is_left_out_and_said() {
    let limits = Limits {
        max_text_bytes: 30,
        ..Limits::default()
    };
    let ms = [
        msg(Speaker::Customer, "first line here", "2024-05-02T09:14:00Z"),
        msg(
            Speaker::Customer,
            "second line is too long",
            "2024-05-02T09:15:00Z",
        ),
    ];
    let r = assemble(&ms, &Map::new(), &MessageRules::default(), &limits);
    assert_eq!(r.text, "Customer: first line here");
    assert_eq!(r.metadata["messages_left_out"], 1);
}

#[test]
fn rules_parse_with_defaults_and_refuse_mistakes() {
    let r = MessageRules::parse(&json!({})).unwrap();
    assert_eq!(r, MessageRules::default());
    assert_eq!(r.label(Speaker::Survey), "Survey");
    assert!(r.is_closing(Some("closed")) && !r.is_closing(Some("open")) && !r.is_closing(None));
    let r = MessageRules::parse(&json!({"labels": {"Agent": "Advisor"}, "closing_statuses": ["Resolved"], "quiet_seconds": 60})).unwrap();
    assert_eq!(r.label(Speaker::Agent), "Advisor");
    assert_eq!(r.closing_statuses, ["resolved"]);
    assert_eq!(r.quiet_seconds, 60);
    for (bad, says) in [
        (
            json!({"labels": {"manager": "M"}}),
            "unknown speaker 'manager'",
        ),
        (json!({"labels": {"agent": ""}}), "non-empty"),
        (
            json!({"closing_statuses": ["done"]}),
            "not a CXone case status",
        ),
        (json!({"quiet": 5}), "unknown field"),
    ] {
        let e = MessageRules::parse(&bad).unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

#[test]
fn the_default_mapping_assembles_messages() {
    let m = crate::mapping::Mapping::default_mapping();
    assert_eq!(m.messages, Some(MessageRules::default()));
}
