//! Search quality through `cxone_search` in each mode, with the local model and the real
//! sidecar:
//! - Banking77 (every tenth training utterance a query, the rest conversations): hit@1 and
//!   hit@5 (a result with the query's intent) for the customer's line alone, and for the same
//!   line between a fixed bot greeting and a fixed agent reply, as real traffic has it, with
//!   boilerplate left in (cxone.boilerplate_min_conversations = 0) and left out (the default);
//! - the identifier set (bench/data/identifiers: 400 conversations that each mention an order,
//!   case or tracking number, among the wrapped Banking77 conversations): how often the right
//!   conversation comes first, queried by the number, by the number in a sentence, by a
//!   paraphrase, and by a plan's name.

use crate::payloads::EMBEDDINGS_KEY;
use cxone_e2e::postgres::Client;
use cxone_e2e::{closed_case, identifier_conversations, identifier_queries, TestDb};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

const GREETING: &str = "Hi! I'm the virtual assistant for Example Bank. How can I help you today?";
const REPLY: &str =
    "Thank you for contacting Example Bank. I have passed this to the right team and they will get back to you shortly.";
const MODES: [&str; 3] = ["semantic", "hybrid", "keyword"];

/// A database with the release sidecar running against it (embedding its queue, and answering
/// cxone_search's query embeddings); `settings` are set on the database first.
fn database(settings: &[(&str, &str)]) -> (TestDb, cxone_e2e::Running) {
    let db = TestDb::new();
    for (k, v) in settings {
        db.set(k, v);
    }
    let port = cxone_e2e::free_port();
    let mut cmd = cxone_e2e::sidecar();
    cmd.env("DATABASE_URL", db.url())
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_EMBEDDINGS_API_KEY", EMBEDDINGS_KEY)
        .env("CXONE_POLL_SECS", "1")
        .env("CXONE_LOG", "warn");
    let running = cxone_e2e::Running(cxone_e2e::spawn(cmd.arg("run")));
    db.set(
        "cxone.embeddings_url",
        &format!("http://127.0.0.1:{port}/v1/embeddings"),
    );
    cxone_e2e::wait_ready(port);
    (db, running)
}

fn ingest(c: &mut Client, payloads: &[String]) {
    for chunk in payloads.chunks(1000) {
        c.execute(
            "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
            &[&chunk],
        )
        .unwrap();
    }
    cxone_e2e::wait_embedded(c, 3600);
}

/// The first `k` conversation ids cxone_search returns.
fn top(c: &mut Client, query: &str, k: i32, mode: &str) -> Vec<String> {
    c.query(
        "SELECT conversation_id FROM cxone_search($1, $2, '{}', $3)",
        &[&query, &k, &mode],
    )
    .unwrap_or_else(|e| panic!("{mode} {query:?}: {e}"))
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// Banking77 in one shape: (hit@1, hit@5) per mode, and the conversations' labels by id.
fn banking77_variant(
    c: &mut Client,
    wrapped: bool,
    modes: &[&str],
) -> (serde_json::Map<String, Value>, HashMap<String, String>) {
    let data = crate::payloads::banking77();
    let mut labels = HashMap::new();
    let mut payloads = Vec::new();
    let mut queries = Vec::new();
    for (i, (text, label)) in data.iter().enumerate() {
        if i % 10 == 0 {
            queries.push((text.as_str(), label.as_str()));
            continue;
        }
        let id = format!("b77-{i}");
        labels.insert(id.clone(), label.clone());
        let turns: Vec<(&str, &str)> = if wrapped {
            vec![("bot", GREETING), ("customer", text), ("agent", REPLY)]
        } else {
            vec![("customer", text)]
        };
        payloads.push(closed_case(&id, &turns));
    }
    let started = Instant::now();
    ingest(c, &payloads);
    let embed_s = started.elapsed().as_secs_f64();
    let mut out = serde_json::Map::new();
    // Per mode, whether each query's first result has its intent: to name the queries on which
    // hybrid and semantic disagree.
    let mut firsts: Vec<Vec<bool>> = Vec::new();
    for mode in modes {
        let (mut h1, mut h5) = (0usize, 0usize);
        let mut first = Vec::with_capacity(queries.len());
        let started = Instant::now();
        for (q, label) in &queries {
            let hits = top(c, q, 5, mode);
            let is = |id: &String| labels.get(id).map(String::as_str) == Some(*label);
            first.push(hits.first().is_some_and(is));
            h1 += usize::from(hits.first().is_some_and(is));
            h5 += usize::from(hits.iter().any(is));
        }
        firsts.push(first);
        let n = queries.len() as f64;
        out.insert(
            mode.to_string(),
            json!({"hit_at_1": h1 as f64 / n, "hit_at_5": h5 as f64 / n, "queries": queries.len(),
                   "ms_per_query": started.elapsed().as_secs_f64() * 1000.0 / n}),
        );
    }
    if let (Some(sem), Some(hyb)) = (firsts.first(), firsts.get(1)) {
        // modes[0] is semantic and modes[1] hybrid: the queries only one of them gets right.
        let only = |a: &[bool], b: &[bool]| -> Vec<&str> {
            (0..queries.len())
                .filter(|&i| a[i] && !b[i])
                .map(|i| queries[i].0)
                .collect()
        };
        out.insert("hit_at_1_only_semantic".into(), json!(only(sem, hyb)));
        out.insert("hit_at_1_only_hybrid".into(), json!(only(hyb, sem)));
    }
    out.insert("conversations".into(), json!(payloads.len()));
    out.insert("ingest_and_embed_s".into(), json!(embed_s));
    (out, labels)
}

/// The identifier set in `c` (which already holds the wrapped Banking77 conversations): the
/// share of queries whose conversation comes first, per query kind and mode.
fn identifiers(c: &mut Client) -> Value {
    let conversations = identifier_conversations(usize::MAX);
    let payloads: Vec<String> = conversations.iter().map(|(_, p)| p.clone()).collect();
    ingest(c, &payloads);
    let plans: Vec<(String, Vec<String>)> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/identifiers/queries.jsonl"
    ))
    .unwrap()
    .lines()
    .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    .filter(|v| v["kind"] == "plan")
    .map(|v| {
        let ids = v["conversations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        (v["query"].as_str().unwrap_or_default().to_string(), ids)
    })
    .collect();
    let mut out = serde_json::Map::new();
    for mode in MODES {
        let mut per_kind: HashMap<String, (usize, usize)> = HashMap::new();
        for (conv, kind, query) in identifier_queries() {
            let hits = top(c, &query, 1, mode);
            let e = per_kind.entry(kind).or_default();
            e.0 += usize::from(hits.first() == Some(&conv));
            e.1 += 1;
        }
        let e = per_kind.entry("plan".into()).or_default();
        for (query, ids) in &plans {
            let hits = top(c, query, 1, mode);
            e.0 += usize::from(hits.first().is_some_and(|h| ids.contains(h)));
            e.1 += 1;
        }
        let kinds: serde_json::Map<String, Value> = per_kind
            .into_iter()
            .map(|(k, (right, n))| (k, json!({"first": right as f64 / n as f64, "queries": n})))
            .collect();
        out.insert(mode.to_string(), Value::Object(kinds));
    }
    json!({"conversations": conversations.len(), "results": out})
}

pub fn run() -> Value {
    let mut results = serde_json::Map::new();
    {
        let (db, _sidecar) = database(&[]);
        let (r, _) = banking77_variant(&mut db.connect(), false, &MODES[..2]);
        results.insert("bare_utterance".into(), Value::Object(r));
    }
    {
        let (db, _sidecar) = database(&[("cxone.boilerplate_min_conversations", "0")]);
        let (r, _) = banking77_variant(&mut db.connect(), true, &MODES[..2]);
        results.insert("wrapped_boilerplate_embedded".into(), Value::Object(r));
    }
    let (db, _sidecar) = database(&[]);
    let mut c = db.connect();
    let (r, _) = banking77_variant(&mut c, true, &MODES);
    results.insert("wrapped_boilerplate_left_out".into(), Value::Object(r));
    let ids = identifiers(&mut c);
    json!({
        "model": "all-MiniLM-L6-v2",
        "greeting": GREETING,
        "reply": REPLY,
        "banking77": results,
        "identifiers": ids,
    })
}
