//! Benchmark 5: the local model's sentences per second at 32 per batch, and peak RSS, through
//! the sidecar (`/v1/embeddings`, 32 sentences per request) against the plain candle baseline
//! (candle_plain.rs, its own process), on the same Banking77 sentences in the same run; and
//! the cosine between the two implementations' vectors of the first sentence.

use crate::payloads::{banking77, local_sidecar};
use cxone_e2e::peak_rss_mib;
use serde_json::{json, Value};

const SENTENCES: usize = 2048;

pub fn sentences() -> Vec<String> {
    banking77()
        .into_iter()
        .map(|(t, _)| t)
        .take(SENTENCES)
        .collect()
}

pub fn run() -> Value {
    let texts = sentences();
    // The baseline in its own process.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("candle-plain")
        .output()
        .expect("run the candle baseline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plain: Value = serde_json::from_slice(&out.stdout).expect("baseline JSON");
    // The sidecar.
    let (sc, port, _db) = local_sidecar();
    let (vectors, rate) = crate::retrieval::embed(port, &texts);
    let first: Vec<f64> = vectors[0].iter().map(|&x| f64::from(x)).collect();
    let rss = peak_rss_mib(sc.0.id());
    let base: Vec<f64> = plain["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let dot: f64 = first.iter().zip(&base).map(|(a, b)| a * b).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let cosine = dot / (norm(&first) * norm(&base));
    json!({
        "sentences": texts.len(),
        "batch": 32,
        "sidecar_sentences_per_s": rate,
        "sidecar_peak_rss_mib": rss,
        "plain_candle_sentences_per_s": plain["sentences_per_s"],
        "plain_candle_peak_rss_mib": plain["peak_rss_mib"],
        "ratio_vs_plain": rate / plain["sentences_per_s"].as_f64().unwrap(),
        "cosine_sidecar_vs_plain_first_sentence": cosine,
        "targets": {"sentences_per_s_min": 150, "rss_mb_max": 300}
    })
}
