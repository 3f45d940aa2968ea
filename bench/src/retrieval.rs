//! Retrieval quality on Banking77 with the local model (all-MiniLM-L6-v2 through the sidecar's
//! /v1/embeddings): every tenth utterance is a query, the rest the corpus; hit@1 and hit@5 (a
//! neighbour with the query's intent) and 10-NN majority-vote intent accuracy, for the bare
//! utterance and for the text as the default mapping labels it ("Customer: ..."). Also records
//! the local model's throughput at 32 sentences per request and the sidecar's peak RSS (the
//! plain-candle baseline of benchmark 5 is not written yet).

use crate::payloads::{banking77, local_sidecar};
use cxone_e2e::peak_rss_mib;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

const K_VOTE: usize = 10;

/// Embeds `texts` 32 per request; unit vectors, and sentences per second.
pub fn embed(port: u16, texts: &[String]) -> (Vec<Vec<f32>>, f64) {
    let client = reqwest::blocking::Client::new();
    let started = Instant::now();
    let mut out = Vec::with_capacity(texts.len());
    for batch in texts.chunks(32) {
        let resp: Value = client
            .post(format!("http://127.0.0.1:{port}/v1/embeddings"))
            .bearer_auth(crate::payloads::EMBEDDINGS_KEY)
            .json(&json!({"input": batch}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        for item in resp["data"].as_array().expect("embeddings") {
            let mut v: Vec<f32> = item["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            v.iter_mut().for_each(|x| *x /= n);
            out.push(v);
        }
    }
    let rate = texts.len() as f64 / started.elapsed().as_secs_f64();
    (out, rate)
}

/// (hit@1, hit@5, k-NN accuracy) of `queries` against `corpus`.
fn quality(queries: &[(Vec<f32>, &str)], corpus: &[(Vec<f32>, &str)]) -> (f64, f64, f64) {
    let (mut h1, mut h5, mut knn) = (0usize, 0usize, 0usize);
    for (q, label) in queries {
        let mut scored: Vec<(f32, &str)> = corpus
            .iter()
            .map(|(v, l)| (v.iter().zip(q).map(|(a, b)| a * b).sum::<f32>(), *l))
            .collect();
        scored.select_nth_unstable_by(K_VOTE, |a, b| b.0.total_cmp(&a.0));
        scored.truncate(K_VOTE);
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        h1 += usize::from(scored[0].1 == *label);
        h5 += usize::from(scored[..5].iter().any(|s| s.1 == *label));
        let mut votes: HashMap<&str, (usize, f32)> = HashMap::new();
        for (score, l) in &scored {
            let e = votes.entry(l).or_default();
            e.0 += 1;
            e.1 += score;
        }
        let best = votes
            .iter()
            .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(a.1 .1.total_cmp(&b.1 .1)))
            .map(|(l, _)| *l)
            .unwrap();
        knn += usize::from(best == *label);
    }
    let n = queries.len() as f64;
    (h1 as f64 / n, h5 as f64 / n, knn as f64 / n)
}

pub fn run() -> Value {
    let data = banking77();
    let (sidecar, port, _db) = local_sidecar();
    let mut results = serde_json::Map::new();
    let mut rates = Vec::new();
    for (variant, prefix) in [("utterance", ""), ("with_role_label", "Customer: ")] {
        let texts: Vec<String> = data.iter().map(|(t, _)| format!("{prefix}{t}")).collect();
        let (vectors, rate) = embed(port, &texts);
        rates.push(rate);
        let (mut queries, mut corpus) = (Vec::new(), Vec::new());
        for (i, (v, (_, label))) in vectors.into_iter().zip(&data).enumerate() {
            if i % 10 == 0 {
                queries.push((v, label.as_str()));
            } else {
                corpus.push((v, label.as_str()));
            }
        }
        let (h1, h5, knn) = quality(&queries, &corpus);
        results.insert(
            variant.into(),
            json!({"hit_at_1": h1, "hit_at_5": h5, "knn_accuracy": knn,
                   "queries": queries.len(), "corpus": corpus.len()}),
        );
    }
    json!({
        "model": "all-MiniLM-L6-v2",
        "k_vote": K_VOTE,
        "results": results,
        "local_model": {
            "sentences_per_s_batch_32": rates.iter().sum::<f64>() / rates.len() as f64,
            "sidecar_peak_rss_mib": peak_rss_mib(sidecar.0.id()),
            "sentences": data.len() * 2,
        }
    })
}
