//! Chunking tests: budgets hold under the real tokenizers, and nothing is dropped.

use super::*;

const BANKING77: &str = include_str!("../../../data/banking77/train.csv");

fn utterances() -> Vec<&'static str> {
    BANKING77
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit_once(',').map(|(text, _)| text.trim_matches('"')))
        .collect()
}

fn unit(label: &str, text: &str, first: bool) -> Unit {
    Unit {
        sep: if first { String::new() } else { "\n".into() },
        line: format!("{label}: {text}"),
        prefix_len: label.len() + 2,
    }
}

fn conversation(turns: usize) -> Vec<Unit> {
    utterances()
        .into_iter()
        .cycle()
        .take(turns)
        .enumerate()
        .map(|(i, t)| unit(if i % 2 == 0 { "Customer" } else { "Agent" }, t, i == 0))
        .collect()
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_within(chunks: &[String], cfg: &ChunkConfig) {
    for c in chunks {
        let n = cfg.tokenizer.count(c) + cfg.tokenizer.special_tokens();
        assert!(
            n <= cfg.max_tokens,
            "chunk of {n} tokens > {}: {c:.80}",
            cfg.max_tokens
        );
    }
}

#[test]
fn a_short_conversation_is_one_chunk() {
    let units = conversation(4);
    assert_eq!(chunk(&units, &ChunkConfig::default()), vec![join(&units)]);
}

#[test]
fn two_hundred_turns_fit_256_tokens_and_every_turn_is_in_a_chunk() {
    let cfg = ChunkConfig::default();
    let units = conversation(200);
    let chunks = chunk(&units, &cfg);
    assert!(chunks.len() > 1);
    assert_within(&chunks, &cfg);
    for u in &units {
        assert!(
            chunks.iter().any(|c| c.contains(&u.line)),
            "turn missing: {}",
            u.line
        );
    }
    // No overlap asked: the chunks are the conversation, in order.
    assert_eq!(chunks.join("\n"), join(&units));
}

#[test]
fn overlap_repeats_the_last_turns() {
    let cfg = ChunkConfig {
        overlap_units: 2,
        ..ChunkConfig::default()
    };
    let units = conversation(60);
    let chunks = chunk(&units, &cfg);
    assert_within(&chunks, &cfg);
    for pair in chunks.windows(2) {
        let last_two: Vec<&str> = pair[0].lines().rev().take(2).collect();
        for line in last_two {
            assert!(
                pair[1].starts_with(line) || pair[1].lines().take(2).any(|l| l == line),
                "{line}"
            );
        }
    }
}

#[test]
fn a_turn_longer_than_the_budget_is_split_never_dropped() {
    let long: String = utterances()
        .into_iter()
        .take(400)
        .collect::<Vec<_>>()
        .join(" ");
    let units = vec![unit("Customer", "hello", true), unit("Agent", &long, false)];
    for cfg in [
        ChunkConfig::default(),
        ChunkConfig {
            tokenizer: Tokenizer::Cl100k,
            max_tokens: 300,
            overlap_units: 0,
        },
    ] {
        let chunks = chunk(&units, &cfg);
        assert_within(&chunks, &cfg);
        let agent: Vec<&str> = chunks
            .iter()
            .flat_map(|c| c.lines())
            .filter_map(|l| l.strip_prefix("Agent: "))
            .collect();
        assert!(agent.len() > 1);
        assert!(
            squash(&agent.join(" ")) == squash(&long),
            "the pieces do not rebuild the turn"
        );
    }
}

#[test]
fn a_giant_word_is_cut_by_characters() {
    let word = "é".repeat(3000) + &"x".repeat(5000);
    let units = vec![unit("Customer", &word, true)];
    let cfg = ChunkConfig::default();
    let chunks = chunk(&units, &cfg);
    assert_within(&chunks, &cfg);
    let rebuilt: String = chunks
        .iter()
        .map(|c| c.strip_prefix("Customer: ").unwrap())
        .collect();
    assert_eq!(rebuilt, word);
}

#[test]
fn openai_budget_keeps_long_conversations_whole() {
    let cfg = ChunkConfig {
        tokenizer: Tokenizer::Cl100k,
        max_tokens: 8192,
        overlap_units: 0,
    };
    let units = conversation(200);
    let chunks = chunk(&units, &cfg);
    assert_eq!(chunks.len(), 1);
}

/// A one-turn megabyte of each shape chunked for both models, timed; `cargo test -p cxone_core
/// --release -- --ignored --nocapture megabyte`.
#[test]
#[ignore]
fn a_megabyte_turn_chunks_in_about_a_second() {
    for (name, text) in crate::tokens::tests::long_inputs(1 << 20) {
        for (tokenizer, max_tokens) in [(Tokenizer::Cl100k, 8192), (Tokenizer::MiniLm, 256)] {
            let cfg = ChunkConfig {
                tokenizer,
                max_tokens,
                overlap_units: 0,
            };
            let at = std::time::Instant::now();
            let chunks = chunk(&[unit("Customer", &text, true)], &cfg);
            let took = at.elapsed();
            println!("{tokenizer:?} {name}: {} chunks in {took:?}", chunks.len());
            assert!(took.as_secs_f64() < 2.0, "{tokenizer:?} {name}: {took:?}");
        }
    }
}
