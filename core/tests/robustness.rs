//! Property tests: mapping, tagging, redaction and chunking never panic on arbitrary JSON and
//! text (deep nesting, long strings, any unicode), and chunking keeps its promises.

use cxone_core::chunk::{chunk, join, ChunkConfig, Unit};
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{parse_payload, prepare, IngestConfig};
use cxone_core::intent::IntentRules;
use cxone_core::mapping::Mapping;
use cxone_core::redact::redact;
use cxone_core::tag::tag;
use cxone_core::tokens::Tokenizer;
use proptest::prelude::*;
use serde_json::{json, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        prop_oneof![Just("customer"), Just("agent"), Just("bot"), Just("")].prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("data".to_string()),
                    Just("transcript".to_string()),
                    Just("text".to_string()),
                    Just("participant".to_string()),
                    Just("conversationId".to_string()),
                    Just("timestamp".to_string()),
                    "[a-z]{1,6}".prop_map(String::from),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn cfg() -> IngestConfig {
    IngestConfig::seeded(true)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mapping_and_ingest_never_panic(payload in arb_json()) {
        let cfg = cfg();
        let _ = cfg.mapping.render(&payload, &cfg.limits);
        let wrapped = json!({"conversationId": "c", "data": payload});
        let env = Envelope::extract(&wrapped, &cfg.mapping);
        let _ = prepare(&wrapped, &env, &cfg);
        let _ = parse_payload(&wrapped.to_string());
    }

    #[test]
    fn any_mapping_spec_is_parsed_or_refused(spec in arb_json(), path in ".{0,20}") {
        let _ = Mapping::parse(&spec);
        let _ = Mapping::parse(&json!({path.clone(): "L"}));
        let _ = Mapping::parse(&json!({"fields": [{"path": path, "turns": {}}]}));
    }

    #[test]
    fn tag_and_redact_never_panic(text in "(?s).{0,300}") {
        let rules = IntentRules::seed();
        let t = tag(&text, &rules);
        prop_assert_eq!(t["content_length"].as_u64(), Some(text.chars().count() as u64));
        let _ = redact(&text);
    }

    #[test]
    fn parse_payload_never_panics(text in "(?s).{0,200}") {
        let _ = parse_payload(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every chunk fits, and without overlap the chunks are the conversation in order.
    #[test]
    fn chunks_fit_and_cover(turns in prop::collection::vec("[a-zA-Z0-9 ,.?!'éü€🎉-]{0,200}", 1..40),
                            budget in 32usize..300, cl100k in any::<bool>()) {
        let tokenizer = if cl100k { Tokenizer::Cl100k } else { Tokenizer::MiniLm };
        let units: Vec<Unit> = turns.iter().enumerate().filter(|(_, t)| !t.trim().is_empty()).map(|(i, t)| Unit {
            sep: if i == 0 { String::new() } else { "\n".into() },
            line: format!("Customer: {}", t.trim()),
            prefix_len: 10,
        }).collect();
        prop_assume!(!units.is_empty());
        let cfg = ChunkConfig { tokenizer, max_tokens: budget, overlap_units: 0 };
        let chunks = chunk(&units, &cfg);
        for c in &chunks {
            prop_assert!(tokenizer.count(c) + tokenizer.special_tokens() <= budget);
        }
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        let body = |s: &str| s.lines().map(|l| l.strip_prefix("Customer: ").unwrap_or(l).to_string()).collect::<Vec<_>>().join(" ");
        prop_assert_eq!(squash(&body(&chunks.join("\n"))), squash(&body(&join(&units))));
    }
}

#[test]
fn deep_and_long_inputs() {
    let cfg = cfg();
    let deep = format!(
        "{{\"conversationId\": \"c\", \"data\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse_payload(&deep).is_err());
    let mut v = json!("leaf");
    // serde_json reads at most 128 levels, so no parsed payload is deeper than this.
    for _ in 0..120 {
        v = json!({"data": v});
    }
    let _ = cfg.mapping.render(&v, &cfg.limits);
    let long = "word ".repeat(200_000);
    let _ = tag(&long, &cfg.rules);
    let _ = redact(&long);
    let units = vec![Unit {
        sep: String::new(),
        line: format!("Customer: {long}"),
        prefix_len: 10,
    }];
    let chunks = chunk(&units, &ChunkConfig::default());
    assert!(chunks.len() > 100);
}

/// Every line of Banking77 (written by customers), of both PII corpora, and those lines with
/// bracketed timestamps before them as rendered transcripts have: PII detection never panics
/// and reports only spans on character boundaries. (A label after its number once sliced the
/// text backwards.)
#[test]
fn pii_detection_reads_every_real_line_without_panicking() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut lines: Vec<String> =
        std::fs::read_to_string(format!("{root}/data/banking77/train.csv"))
            .expect("Banking77")
            .lines()
            .skip(1)
            .filter_map(|l| {
                l.rsplit_once(',')
                    .map(|(t, _)| t.trim_matches('"').to_string())
            })
            .collect();
    for corpus in ["pii_cc", "pii_holdout"] {
        let path = format!("{root}/tests/fixtures/{corpus}/corpus.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for l in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            lines.push(v["text"].as_str().unwrap_or_default().to_string());
        }
    }
    let rendered: Vec<String> = lines
        .chunks(4)
        .map(|c| {
            c.iter()
                .map(|l| format!("[2024-03-06T08:01:12+00:00] Customer: {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    for text in lines.iter().chain(&rendered) {
        for m in cxone_core::pii::find_pii(text) {
            assert!(
                text.is_char_boundary(m.start) && text.is_char_boundary(m.end) && m.start < m.end,
                "{m:?} in {text:?}"
            );
        }
    }
    let turns: Vec<&str> = lines.iter().map(String::as_str).collect();
    for window in turns.chunks(3) {
        cxone_core::pii::find_pii_in_turns(window);
    }
}
