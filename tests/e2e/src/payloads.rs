//! Payloads a test ingests: fixtures, single inserts and Banking77 conversations in bulk.

use crate::db::scalar;
use postgres::Client;

/// A fixture from tests/fixtures/cxone.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/../fixtures/cxone/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Inserts a payload as plain SQL does and returns its id.
pub fn insert(client: &mut Client, payload: &str) -> i64 {
    scalar(
        client,
        "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
        &[&payload],
    )
}

/// (outcome, reason) of a payload.
pub fn outcome(client: &mut Client, id: i64) -> (String, Option<String>) {
    let row = client
        .query_one(
            "SELECT outcome, reason FROM cxone_payloads WHERE id = $1",
            &[&id],
        )
        .expect("payload row");
    (row.get(0), row.get(1))
}

/// Inserts `n` CXone-shaped (DFO) conversations built from Banking77 utterances in one statement;
/// returns their count. `tag` keeps event ids apart between calls.
pub fn ingest_banking77(client: &mut Client, n: usize, tag: &str) -> usize {
    let csv = std::fs::read_to_string(format!(
        "{}/../../data/banking77/train.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rows: Vec<(&str, &str)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit_once(','))
        .collect();
    // Past the end of the data set the utterances come round again, each time with a different
    // agent line, so every conversation's text stays distinct.
    let payloads: Vec<String> = (0..n)
        .map(|i| {
            let (text, category) = rows[i % rows.len()];
            let round = i / rows.len();
            let again = if round == 0 {
                String::new()
            } else {
                format!(" (follow-up {round})")
            };
            serde_json::json!({
                "eventId": format!("{tag}-{i}"),
                "createdAt": "2024-03-06T08:06:04+00:00",
                "data": {
                    "case": {"id": format!("{tag}-case-{i}"), "status": "closed"},
                    "transcript": [
                        {"participant": "bot", "text": "Hi! What can I help with today?"},
                        {"participant": "customer", "text": text.trim_matches('"')},
                        {"participant": "agent", "text": format!("Thanks, let me look into {}.{again}", category.replace('_', " "))}
                    ]
                }
            })
            .to_string()
        })
        .collect();
    client
        .execute(
            "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
            &[&payloads],
        )
        .unwrap();
    payloads.len()
}

/// The identifier set (`bench/data/identifiers/`): conversations that each mention one order,
/// case or tracking number, as (conversation id, CXone-shaped payload), the first `n`.
pub fn identifier_conversations(n: usize) -> Vec<(String, String)> {
    let path = format!(
        "{}/../../bench/data/identifiers/conversations.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let id = v["id"].as_str().expect("id").to_string();
            let turns: Vec<(&str, &str)> = v["turns"]
                .as_array()
                .expect("turns")
                .iter()
                .map(|t| {
                    (
                        t["speaker"].as_str().unwrap_or(""),
                        t["text"].as_str().unwrap_or(""),
                    )
                })
                .collect();
            let payload = closed_case(&id, &turns);
            (id, payload)
        })
        .collect()
}

/// The identifier set's queries: (conversation id, kind: bare, sentence or paraphrase, query).
pub fn identifier_queries() -> Vec<(String, String, String)> {
    let path = format!(
        "{}/../../bench/data/identifiers/queries.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v["conversation"].as_str()?.to_string(),
                v["kind"].as_str()?.to_string(),
                v["query"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A closed case whose transcript is `turns` (participant, text), as one CXone-shaped payload;
/// its event id is derived from `case_id`, so each case is one event.
pub fn closed_case(case_id: &str, turns: &[(&str, &str)]) -> String {
    let transcript: Vec<serde_json::Value> = turns
        .iter()
        .map(|(who, text)| serde_json::json!({"participant": who, "text": text}))
        .collect();
    serde_json::json!({
        "eventId": format!("event-{case_id}"),
        "createdAt": "2024-05-02T09:14:01+00:00",
        "data": {"case": {"id": case_id, "status": "closed"}, "transcript": transcript}
    })
    .to_string()
}
