//! CXone Digital (DFO) shaped payloads built from Banking77 utterances: eight turns, customer
//! and agent in turn, about 80 words, some with an e-mail address or a phone number.

use serde_json::json;

/// Banking77's training set: (utterance, intent label such as `card_arrival`).
pub fn banking77() -> Vec<(String, String)> {
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/banking77/train.csv"
    ))
    .expect("data/banking77/train.csv");
    csv.lines()
        .skip(1)
        .filter_map(|l| l.rsplit_once(','))
        .map(|(t, c)| (t.trim_matches('"').to_string(), c.to_string()))
        .collect()
}

fn utterances() -> Vec<(String, String)> {
    banking77()
        .into_iter()
        .map(|(t, c)| (t, c.replace('_', " ")))
        .collect()
}

/// `cxone-sidecar run` with the local model on a free port (and the database it needs);
/// the guard stops it.
pub fn local_sidecar() -> (cxone_e2e::Running, u16, cxone_e2e::TestDb) {
    let db = cxone_e2e::TestDb::new();
    let port = cxone_e2e::free_port();
    let mut cmd = cxone_e2e::sidecar();
    cmd.env("DATABASE_URL", db.url())
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_EMBEDDINGS_API_KEY", EMBEDDINGS_KEY)
        .env("CXONE_LOG", "warn");
    let running = cxone_e2e::Running(cxone_e2e::spawn(cmd.arg("run")));
    cxone_e2e::wait_ready(port);
    (running, port, db)
}

/// `n` payloads; `tag` keeps event and case ids apart between sets.
pub fn dfo(n: usize, tag: &str) -> Vec<String> {
    let u = utterances();
    (0..n)
        .map(|i| {
            let mut turns = Vec::new();
            for k in 0..4 {
                let (text, category) = &u[(i * 4 + k) % u.len()];
                let mut customer = text.clone();
                if k == 1 && i % 7 == 0 {
                    customer.push_str(&format!(" You can reach me at client{i}@example.com."));
                }
                if k == 2 && i % 11 == 0 {
                    customer.push_str(" My number is +1 415 555 0100.");
                }
                turns.push(json!({"participant": "customer", "text": customer,
                                  "timestamp": format!("2024-03-06T08:{:02}:{:02}+00:00", k * 2, i % 60)}));
                turns.push(json!({"participant": "agent",
                                  "text": format!("Thanks for explaining. I can help with {category}; let me check your account."),
                                  "timestamp": format!("2024-03-06T08:{:02}:{:02}+00:00", k * 2 + 1, i % 60)}));
            }
            json!({
                "eventId": format!("{tag}-{i}"),
                "eventObject": "Case",
                "eventType": "CaseStatusChanged",
                "createdAt": format!("2024-03-06T{:02}:{:02}:{:02}+00:00", (i / 3600) % 24, (i / 60) % 60, i % 60),
                "data": {
                    "case": {"id": format!("{tag}-case-{i}"), "status": "closed"},
                    "channel": {"id": "chat_1", "name": if i % 3 == 0 { "SMS" } else { "Web chat" }},
                    "routingQueue": {"id": "q-1", "name": if i % 2 == 0 { "Cards" } else { "Payments" }},
                    "transcript": turns
                }
            })
            .to_string()
        })
        .collect()
}

/// Words in a payload's turns (for the record).
pub fn words(payload: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap();
    v["data"]["transcript"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|x| x["text"].as_str().unwrap_or("").split_whitespace().count())
                .sum()
        })
        .unwrap_or(0)
}

/// The key the benchmarks' sidecars accept on /v1/embeddings.
pub const EMBEDDINGS_KEY: &str = "cxone-bench-embeddings-key";
