//! Token counting with the embedding model's own tokenizer, so chunks are sized in the units the
//! model limits: WordPiece for the local all-MiniLM-L6-v2 (its tokenizer.json is compiled in),
//! cl100k (`tiktoken-rs`'s table) for OpenAI embedding models.

use std::sync::LazyLock;

/// Which tokenizer measures chunks (setting `cxone.chunk_tokenizer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokenizer {
    /// all-MiniLM-L6-v2 WordPiece; adds 2 special tokens ([CLS], [SEP]).
    MiniLm,
    /// OpenAI cl100k_base (text-embedding-3-*, ada-002); no special tokens.
    Cl100k,
}

impl Tokenizer {
    pub fn parse(name: &str) -> Option<Tokenizer> {
        match name {
            "minilm" | "all-MiniLM-L6-v2" | "wordpiece" => Some(Tokenizer::MiniLm),
            "cl100k" | "cl100k_base" => Some(Tokenizer::Cl100k),
            _ => None,
        }
    }

    /// Tokens the model adds to every input.
    pub fn special_tokens(self) -> usize {
        match self {
            Tokenizer::MiniLm => 2,
            Tokenizer::Cl100k => 0,
        }
    }

    /// Tokens of `text` without special tokens.
    pub fn count(self, text: &str) -> usize {
        match self {
            // Both through counters that read the text once (wordpiece.rs, cl100k.rs), tested
            // equal to the `tokenizers` crate and tiktoken-rs; a megabyte of any shape counts
            // in well under a second.
            Tokenizer::MiniLm => count_minilm(text),
            Tokenizer::Cl100k => CL100K_FAST
                .as_ref()
                .map_or_else(|| cl100k_reference(text), |c| c.count(text)),
        }
    }

    /// A cheap upper bound on `count` for ASCII text, to skip tokenizing what is surely short.
    /// Byte-level BPE (cl100k) emits at least one byte per token. WordPiece emits at least one
    /// character per token, never a token for whitespace, and maps ASCII one character to one.
    pub fn upper_bound(self, text: &str) -> Option<usize> {
        if self == Tokenizer::Cl100k {
            return Some(text.len());
        }
        text.is_ascii().then(|| {
            text.bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .count()
                .max(1)
        })
    }

    /// True when the count of whitespace-joined texts is the sum of their counts (WordPiece
    /// never merges across whitespace); cl100k may differ by a token per join.
    pub fn is_additive(self) -> bool {
        matches!(self, Tokenizer::MiniLm)
    }
}

/// MiniLM tokens without special tokens, through the WordPiece counter (wordpiece.rs).
fn count_minilm(text: &str) -> usize {
    WORDPIECE
        .as_ref()
        .map_or_else(|| minilm_reference(text), |w| w.count(text))
}

/// all-MiniLM-L6-v2 tokens of `text` through the `tokenizers` crate: the reference the
/// WordPiece counter is tested against, and the fallback should its vocabulary not load.
pub fn minilm_reference(text: &str) -> usize {
    MINILM
        .as_ref()
        .and_then(|t| t.encode_fast(text, false).ok())
        .map_or(text.len(), |e| e.len())
}

static WORDPIECE: LazyLock<Option<crate::wordpiece::WordPiece>> = LazyLock::new(|| {
    crate::wordpiece::WordPiece::from_tokenizer_json(include_bytes!(
        "../assets/all-MiniLM-L6-v2.tokenizer.json"
    ))
});

static MINILM: LazyLock<Option<tokenizers::Tokenizer>> = LazyLock::new(|| {
    let mut t = tokenizers::Tokenizer::from_bytes(include_bytes!(
        "../assets/all-MiniLM-L6-v2.tokenizer.json"
    ))
    .ok()?;
    // The file pads and truncates to 128; counting needs neither.
    t.with_padding(None);
    t.with_truncation(None).ok()?;
    Some(t)
});

/// cl100k tokens of `text` through `tiktoken-rs`: the reference the fast counter is tested
/// against, and the fallback should its table not load. Its regex gives up (and `tiktoken-rs`
/// panics) on a whitespace run of about a million characters.
pub fn cl100k_reference(text: &str) -> usize {
    CL100K
        .as_ref()
        .map_or(text.len(), |b| b.encode_ordinary(text).len())
}

static CL100K: LazyLock<Option<tiktoken_rs::CoreBPE>> =
    LazyLock::new(|| tiktoken_rs::cl100k_base().ok());

static CL100K_FAST: LazyLock<Option<crate::cl100k::Cl100k>> =
    LazyLock::new(|| CL100K.as_ref().map(crate::cl100k::Cl100k::from_bpe));

/// What the fast counters (wordpiece.rs, cl100k.rs) are checked on against their reference:
/// every Banking77 utterance alone and as a two-turn conversation ending in `tail`, and the
/// CXone fixtures as they are.
#[cfg(test)]
pub(crate) fn reference_texts(tail: &str) -> Vec<String> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let csv = std::fs::read_to_string(format!("{dir}/../data/banking77/train.csv")).unwrap();
    let mut texts = Vec::new();
    for line in csv.lines() {
        texts.push(line.to_string());
        texts.push(format!(
            "Customer: {line}\nAgent: Thanks, let me check.{tail}"
        ));
    }
    assert!(texts.len() > 20_000);
    for sub in ["cxone", "cxone/real"] {
        for f in std::fs::read_dir(format!("{dir}/../tests/fixtures/{sub}")).unwrap() {
            let path = f.unwrap().path();
            if path.is_file() {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    texts
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn counts_match_the_models() {
        // all-MiniLM-L6-v2: "hello world" is [CLS] hello world [SEP]; "embeddings" is 'em', '##bed', '##ding', '##s'.
        assert_eq!(Tokenizer::MiniLm.count("hello world"), 2);
        assert_eq!(Tokenizer::MiniLm.count("embeddings"), 4);
        assert_eq!(Tokenizer::Cl100k.count("hello world"), 2);
        assert_eq!(Tokenizer::MiniLm.count(""), 0);
    }

    /// Long inputs of each shape, as (name, text): one piece of a megabyte (letters, a
    /// non-ASCII letter, punctuation), runs that make many pieces (digits, whitespace), and
    /// words too long for WordPiece.
    pub(crate) fn long_inputs(bytes: usize) -> Vec<(&'static str, String)> {
        // A fixed pseudo-random sequence: letters with no repeating pattern.
        let mut x: u32 = 0x9e37_79b9;
        let mut random_letters = String::with_capacity(bytes);
        while random_letters.len() < bytes {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            random_letters.push((b'a' + (x % 26) as u8) as char);
        }
        let rep = |s: &str| s.repeat(bytes / s.len());
        vec![
            ("letters", rep("x")),
            ("random letters", random_letters),
            ("two letters", rep("qz")),
            ("digits", rep("0123456789")),
            ("punctuation", rep("!")),
            ("mixed punctuation", rep("-=*#")),
            ("spaces then a word", format!("{}word", rep(" "))),
            ("newlines", rep("\n")),
            ("space newline", rep(" \n")),
            ("letter digit", rep("a1")),
            ("short words", rep("ab cd ")),
            ("apostrophes", rep("'s")),
            ("e acute", rep("é")),
            ("e acute and space", rep("é ")),
            ("cjk", rep("中")),
            ("accented words", rep("café ")),
            ("nbsp", rep("\u{a0}")),
            ("accent punctuation", rep("é!")),
            ("combining marks", format!("a{}", rep("\u{301}"))),
            ("added tokens", rep("[CLS] ")),
            ("added tokens glued", rep("é[SEP]")),
        ]
    }

    /// 1 MB of each shape, both tokenizers, timed; `cargo test -p cxone_core --release --
    /// --ignored --nocapture megabyte`. The counts are compared with the references in the
    /// debug-fast tests on smaller inputs (cl100k.rs, wordpiece.rs).
    #[test]
    #[ignore]
    fn a_megabyte_of_each_shape_counts_in_well_under_a_second() {
        for (name, text) in long_inputs(1 << 20) {
            for t in [Tokenizer::Cl100k, Tokenizer::MiniLm] {
                let at = std::time::Instant::now();
                let n = t.count(&text);
                let took = at.elapsed();
                println!("{t:?} {name}: {n} tokens in {took:?}");
                assert!(took.as_secs_f64() < 1.0, "{t:?} {name}: {took:?}");
            }
        }
    }

    /// The same through the references, for comparison (tiktoken-rs panics on the whitespace).
    #[test]
    #[ignore]
    fn a_megabyte_through_the_references() {
        for (name, text) in long_inputs(1 << 20) {
            let at = std::time::Instant::now();
            let n = std::panic::catch_unwind(|| cl100k_reference(&text));
            println!("tiktoken {name}: {n:?} tokens in {:?}", at.elapsed());
            let at = std::time::Instant::now();
            let n = minilm_reference(&text);
            println!("tokenizers {name}: {n} tokens in {:?}", at.elapsed());
        }
    }

    #[test]
    fn the_ascii_bound_holds() {
        for text in [
            "I was charged twice!!",
            "refund #A-1234-XYZ",
            "a b c",
            "supercalifragilistic",
            "a\n\nb",
        ] {
            for t in [Tokenizer::MiniLm, Tokenizer::Cl100k] {
                assert!(
                    t.count(text) <= t.upper_bound(text).unwrap(),
                    "{t:?} {text}"
                );
            }
        }
        assert_eq!(Tokenizer::MiniLm.upper_bound("café"), None);
        assert!(
            Tokenizer::Cl100k.count("a\n\n \nb")
                <= Tokenizer::Cl100k.upper_bound("a\n\n \nb").unwrap()
        );
    }
}
