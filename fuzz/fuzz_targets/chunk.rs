//! Fuzz the chunker: every chunk fits the budget (special tokens included).
#![no_main]
use cxone_core::chunk::{chunk, ChunkConfig, Unit};
use cxone_core::tokens::Tokenizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, bool, Vec<String>)| {
    let (budget, cl100k, turns) = input;
    let tokenizer = if cl100k { Tokenizer::Cl100k } else { Tokenizer::MiniLm };
    let max_tokens = 32 + usize::from(budget);
    let units: Vec<Unit> = turns
        .iter()
        .enumerate()
        .map(|(i, t)| Unit {
            sep: if i == 0 { String::new() } else { "\n".into() },
            line: format!("Customer: {t}"),
            prefix_len: 10,
        })
        .collect();
    let cfg = ChunkConfig { tokenizer, max_tokens, overlap_units: usize::from(budget % 3) };
    for c in chunk(&units, &cfg) {
        assert!(tokenizer.count(&c) + tokenizer.special_tokens() <= max_tokens);
    }
});
