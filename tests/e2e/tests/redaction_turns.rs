//! Redaction across turns, as real CXone traffic brings them: a card number read out over two
//! customer messages (each its own MessageAddedIntoCase event) after the agent asks for it, and
//! the security code given alone in the next; the conversation assembled in the database has
//! each piece replaced.

use cxone_e2e::{fixture, insert, scalar, TestDb};

/// A real-shape message event of case 8810342: `id`, its time (seconds after 09:14:00), text.
fn message(agent: bool, id: &str, second: u32, text: &str) -> String {
    let (file, old_id, old_time, old_text) = if agent {
        (
            "real/dfo_message_added_agent.json",
            "m-5c0e-0004",
            "2024-05-02T09:14:40.020+00:00",
            "Hi Dana, I'm Sam. I can see two identical charges of 49.99 o",
        )
    } else {
        (
            "real/dfo_message_added_customer.json",
            "m-5c0e-0002",
            "2024-05-02T09:14:03.412+00:00",
            "I was charged twice for my gym membership this month",
        )
    };
    let mut p = fixture(file);
    let full_text = {
        let v: serde_json::Value = serde_json::from_str(&p).unwrap();
        v["data"]["message"]["messageContent"]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(full_text.starts_with(old_text));
    p = p
        .replace(&full_text, text)
        .replace(old_id, id)
        .replace(old_time, &format!("2024-05-02T09:15:{second:02}.000+00:00"));
    // Its own event id: the same one again would be a replay.
    let v: serde_json::Value = serde_json::from_str(&p).unwrap();
    let event = v["eventId"].as_str().unwrap().to_string();
    p.replace(&event, &format!("{event}-{id}"))
}

#[test]
fn a_card_read_over_two_messages_is_redacted_in_each() {
    let db = TestDb::new();
    db.set("cxone.redact", "on");
    let mut c = db.connect();
    for p in [
        message(
            true,
            "t-1",
            1,
            "Can I take the long number on the card please?",
        ),
        message(false, "t-2", 10, "four nine one seven six one zero zero"),
        message(false, "t-3", 20, "zero zero zero zero zero zero zero zero"),
        message(true, "t-4", 30, "Thanks. And the three digits on the back?"),
        message(false, "t-5", 40, "five eight one"),
        fixture("real/dfo_case_status_changed_closed.json"),
    ] {
        insert(&mut c, &p);
    }
    let text: String = scalar(
        &mut c,
        "SELECT string_agg(text_content, E'\\n' ORDER BY chunk_index) FROM conversation_embeddings
          WHERE conversation_id = '8810342' AND status = 'pending'",
        &[],
    );
    for said in [
        "four nine one seven",
        "zero zero zero zero",
        "five eight one",
    ] {
        assert!(!text.contains(said), "{said:?} survived: {text}");
    }
    assert_eq!(text.matches("[CARD]").count(), 2, "{text}");
    assert!(text.contains("[CVV]"), "{text}");
    assert!(text.contains("long number on the card"), "{text}");
}
