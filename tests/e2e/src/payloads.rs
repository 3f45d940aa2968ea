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
