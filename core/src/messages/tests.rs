use super::*;
use serde_json::json;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../tests/fixtures/cxone/real/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

fn read_plain(payload: &Value) -> Event {
    read(payload, &|id| id, &|| false)
        .unwrap()
        .expect("a message or case event")
}

#[test]
fn the_three_speakers_of_the_real_shapes() {
    let cases = [
        ("dfo_message_added_customer.json", Speaker::Customer),
        ("dfo_message_added_agent.json", Speaker::Agent),
        ("dfo_message_added_bot.json", Speaker::Bot),
        ("dfo_message_added_quick_replies.json", Speaker::Bot),
    ];
    for (name, who) in cases {
        let e = read_plain(&fixture(name));
        assert_eq!(e.messages.len(), 1, "{name}");
        let m = &e.messages[0];
        assert_eq!(m.speaker, who, "{name}");
        assert_eq!(m.conversation_id, "8810342", "{name}");
        assert!(!m.text.is_empty(), "{name}");
        assert!(m.created_at.is_some(), "{name}");
        assert_eq!(e.case.as_ref().unwrap().status.as_deref(), Some("open"));
    }
}

#[test]
fn a_survey_user_is_a_survey() {
    let mut p = fixture("dfo_message_added_agent.json");
    p["data"]["message"]["authorUser"]["isSurveyUser"] = json!(true);
    assert_eq!(read_plain(&p).messages[0].speaker, Speaker::Survey);
}

#[test]
fn rich_content_is_its_words_never_the_unsupported_fallback() {
    let m = &read_plain(&fixture("dfo_message_added_quick_replies.json")).messages[0];
    assert_eq!(
        m.text,
        "Which card is this about? / Debit card / Credit card"
    );
    let p = json!({"data": {"case": {"id": "c1"}, "message": {"id": "m1",
        "messageContent": {"type": "PLUGIN", "payload": {"postback": "x"}, "fallbackText": "Unsupported message content"}}}});
    assert_eq!(read_plain(&p).messages[0].text, "");
    let p = json!({"data": {"case": {"id": "c1"}, "message": {"id": "m1",
        "messageContent": {"type": "LIST_PICKER", "payload": {"title": {"content": "Pick a plan"},
            "sections": [{"items": [{"title": "Basic", "postback": "b", "url": "https://x.example/t?k=secret"}, {"title": "Premium Plus"}]}]}}}}});
    assert_eq!(
        read_plain(&p).messages[0].text,
        "Pick a plan / Basic / Premium Plus"
    );
}

#[test]
fn attachments_are_named_and_their_links_are_not_kept() {
    let p = json!({"data": {"case": {"id": "c1"}, "message": {"id": "m1",
        "messageContent": {"type": "TEXT", "text": "here is the receipt"},
        "attachments": [{"friendlyName": "receipt.pdf", "url": "https://files.example/abc?token=s3cret"}]}}});
    let t = &read_plain(&p).messages[0].text;
    assert_eq!(t, "here is the receipt [attachment: receipt.pdf]");
}

#[test]
fn erased_content_leaves_no_text_and_keeps_the_reason() {
    let e = read_plain(&fixture("dfo_message_updated_content_removed.json"));
    let m = &e.messages[0];
    assert!(m.update);
    assert_eq!(m.removed.as_deref(), Some("GDPR"));
    assert_eq!(m.text, "");
    assert_eq!(e.case.unwrap().status.as_deref(), Some("closed"));
}

#[test]
fn a_case_event_has_facts_and_no_messages_and_no_personal_data() {
    let e = read_plain(&fixture("dfo_case_status_changed_closed.json"));
    assert!(e.messages.is_empty());
    let c = e.case.unwrap();
    assert_eq!(c.status.as_deref(), Some("closed"));
    assert_eq!(c.facts["channel"], "Website chat");
    assert_eq!(c.facts["platform"], "chat");
    assert_eq!(c.facts["tenant_id"], "11ee2f4a-0000-4000-8000-00000000a1b2");
    assert_eq!(c.facts["brand_id"], 6435);
    assert_eq!(c.facts["media_type"], 3);
    let all = serde_json::to_string(&c.facts).unwrap();
    for pii in ["Dana", "Whitfield", "198.51.100.23", "@"] {
        assert!(!all.contains(pii), "{pii} in {all}");
    }
}

#[test]
fn message_facts_hold_ids_not_names_or_addresses() {
    let e = read_plain(&fixture("dfo_message_added_agent.json"));
    let m = &e.messages[0];
    assert_eq!(m.facts["agent_id"], "62719001");
    let all = serde_json::to_string(&m.facts).unwrap();
    assert!(
        !all.contains("sam.ortiz") && !all.contains("Ortiz"),
        "{all}"
    );
}

#[test]
fn a_rest_page_of_messages_is_read_with_each_messages_contact_number() {
    let e = read_plain(&fixture("rest_dfo_contact_8810342_messages.json"));
    assert!(e.case.is_none());
    assert_eq!(e.messages.len(), 7);
    assert!(e.messages.iter().all(|m| m.conversation_id == "8810342"));
    assert!(e.messages.iter().all(|m| !m.update));
}

#[test]
fn other_shapes_are_not_message_events() {
    for p in [
        json!({"conversationId": "c", "data": {"transcript": {"agent": "hi"}}}),
        json!({"data": [1, 2]}),
        json!({"messages": []}),
        json!({"eventId": "x", "data": {"case": {"id": "c"}, "transcript": []}}),
    ] {
        assert_eq!(read(&p, &|id| id, &|| false), Ok(None), "{p}");
    }
}

#[test]
fn messages_without_an_id_or_a_conversation_are_refused_with_the_reason() {
    let p = json!({"data": {"case": {"id": "c1"}, "message": {"messageContent": {"text": "hi"}}}});
    assert!(read(&p, &|id| id, &|| false)
        .unwrap_err()
        .contains("has no id"));
    let p = json!({"messages": [{"id": "m1", "messageContent": {"text": "hi"}}]});
    assert!(read(&p, &|id| id, &|| false)
        .unwrap_err()
        .contains("no conversation"));
}

#[test]
fn stored_ids_are_applied_to_the_conversation() {
    let e = read(
        &fixture("dfo_message_added_customer.json"),
        &|id| format!("x-{id}"),
        &|| false,
    )
    .unwrap()
    .unwrap();
    assert_eq!(e.messages[0].conversation_id, "x-8810342");
    assert_eq!(e.case.unwrap().conversation_id, "x-8810342");
}

#[test]
fn only_a_real_erasure_removes_content() {
    let mut p = fixture("dfo_message_added_customer.json");
    for not_one in [json!(false), json!(""), json!({}), json!(null)] {
        p["data"]["message"]["contentRemoved"] = not_one.clone();
        let m = &read_plain(&p).messages[0];
        assert_eq!(m.removed, None, "{not_one}");
        assert!(!m.text.is_empty());
    }
    p["data"]["message"]["contentRemoved"] = json!({"reason": "TTL"});
    assert_eq!(read_plain(&p).messages[0].removed.as_deref(), Some("TTL"));
}

#[test]
fn nul_is_dropped_and_huge_ids_are_refused() {
    let mut p = fixture("dfo_message_added_customer.json");
    p["data"]["message"]["sentiment"] = json!("neg\u{0}ative");
    p["data"]["channel"]["name"] = json!("Web\u{0}chat");
    p["data"]["message"]["messageContent"]["text"] = json!("hi\u{0} there");
    let e = read_plain(&p);
    assert_eq!(e.messages[0].facts["sentiment"], "negative");
    assert_eq!(e.case.unwrap().facts["channel"], "Webchat");
    assert_eq!(e.messages[0].text, "hi there");
    p["data"]["message"]["id"] = json!("m".repeat(600));
    assert!(read(&p, &|id| id, &|| false)
        .unwrap_err()
        .contains("over 512"));
}

#[test]
fn events_without_an_event_id_are_told_apart_by_their_message_id() {
    let mapping = crate::mapping::Mapping::default_mapping();
    let mut a = fixture("dfo_message_added_customer.json");
    a.as_object_mut().unwrap().remove("eventId");
    let mut b = a.clone();
    b["data"]["message"]["id"] = json!("m-other");
    let key = |p: &Value| {
        crate::envelope::Envelope::extract(p, &mapping)
            .event_key
            .unwrap()
    };
    assert_ne!(key(&a), key(&b));
    assert_eq!(key(&a), key(&a.clone()));
}

#[test]
fn a_case_event_mapped_whole_is_not_read_and_other_shapes_never_ask() {
    let closed = fixture("dfo_case_status_changed_closed.json");
    assert_eq!(read(&closed, &|id| id, &|| true), Ok(None));
    let seed = json!({"conversationId": "c", "data": {"transcript": {"agent": "hi"}}});
    let asked = std::cell::Cell::new(false);
    let ask = || {
        asked.set(true);
        false
    };
    assert_eq!(read(&seed, &|id| id, &ask), Ok(None));
    assert!(!asked.get(), "only case events are asked");
}
