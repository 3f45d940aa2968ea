//! How long PII detection takes on what the ingest trigger gives it: conversations of six turns
//! (`PII_SPEED_TURNS` to change it)
//! (Banking77's customer lines, then both PII corpora's lines) rendered with a timestamp and a
//! speaker label before each turn, each read three ways as the trigger reads it: the whole
//! rendered text (tagging), each line's prefix, and the turns together (redaction).
//!
//! `cargo run --release -p cxone_core --example pii_speed` prints milliseconds per part, the
//! best of several rounds; compare runs of two builds on the same machine, one after the other.

use cxone_core::pii::{find_pii, find_pii_in_turns};
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut lines: Vec<String> = read(&format!("{root}/data/banking77/train.csv"))
        .lines()
        .skip(1)
        .filter_map(|l| {
            l.rsplit_once(',')
                .map(|(t, _)| t.trim_matches('"').to_string())
        })
        .collect();
    let banking = lines.len();
    for corpus in ["pii_cc", "pii_holdout"] {
        let text = read(&format!("{root}/tests/fixtures/{corpus}/corpus.jsonl"));
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            lines.push(v["text"].as_str().unwrap_or_default().to_string());
        }
    }
    // PII_SPEED_TURNS=40: longer conversations, as long calls give.
    let size = std::env::var("PII_SPEED_TURNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6usize)
        .max(1);
    let conversations: Vec<Vec<(String, &str)>> = lines
        .chunks(size)
        .enumerate()
        .map(|(c, turns)| {
            turns
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let who = if i % 2 == 0 { "Customer" } else { "Agent" };
                    let prefix =
                        format!("[2024-03-06T08:{:02}:{:02}+00:00] {who}: ", c % 60, i % 60);
                    (prefix, t.as_str())
                })
                .collect()
        })
        .collect();
    println!(
        "{} texts ({banking} Banking77, {} corpus lines) in {} conversations",
        lines.len(),
        lines.len() - banking,
        conversations.len()
    );
    let whole: Vec<String> = conversations
        .iter()
        .map(|c| {
            c.iter()
                .map(|(p, t)| format!("{p}{t}"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let mut found = 0usize;
    let tag = best(|| {
        for text in &whole {
            found += find_pii(text).len();
        }
    });
    let prefixes = best(|| {
        for c in &conversations {
            for (p, _) in c {
                found += find_pii(p).len();
            }
        }
    });
    let turns = best(|| {
        for c in &conversations {
            let texts: Vec<&str> = c.iter().map(|(_, t)| *t).collect();
            found += find_pii_in_turns(&texts)
                .iter()
                .map(Vec::len)
                .sum::<usize>();
        }
    });
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("whole rendered texts (tagging): {:8.1} ms", ms(tag));
    println!("line prefixes:                  {:8.1} ms", ms(prefixes));
    println!("turns together (redaction):     {:8.1} ms", ms(turns));
    println!(
        "total:                          {:8.1} ms",
        ms(tag + prefixes + turns)
    );
    // Printed so the work is not optimised away; it also shows two builds found alike.
    println!("({} detections over {ROUNDS} rounds)", found);
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The fastest of `ROUNDS` runs of `f`.
fn best(mut f: impl FnMut()) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}
