//! Token counting with the embedding model's own tokenizer, so chunks are sized in the units the
//! model limits: WordPiece for the local all-MiniLM-L6-v2 (its tokenizer.json is compiled in),
//! cl100k (`tiktoken-rs`) for OpenAI embedding models.

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
            // ASCII through the allocation-free counter (wordpiece.rs), the rest through
            // the `tokenizers` crate; both count the same.
            Tokenizer::MiniLm => count_minilm(text),
            // ASCII through the regex-free counter (cl100k.rs), the rest through tiktoken-rs.
            Tokenizer::Cl100k => CL100K_FAST
                .as_ref()
                .and_then(|c| c.count_ascii(text))
                .unwrap_or_else(|| cl100k_reference(text)),
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

/// all-MiniLM-L6-v2 tokens of `text` through the `tokenizers` crate: the reference the fast
/// ASCII counter is tested against, and the path for other text.
/// MiniLM tokens without special tokens. Text the fast counter cannot take (non-ASCII, or
/// holding an added token) is counted word by word: BERT splits at these four whitespace
/// characters before anything else, so counts add up across them, and only the words that need
/// it go through `tokenizers` (whose per-call cost made the 2% of payloads with a '£' cost as
/// much as all the others).
fn count_minilm(text: &str) -> usize {
    let Some(w) = WORDPIECE.as_ref() else {
        return minilm_reference(text);
    };
    if let Some(n) = w.count_ascii(text) {
        return n;
    }
    text.split([' ', '\t', '\n', '\r'])
        .filter(|word| !word.is_empty())
        .map(|word| {
            w.count_ascii(word)
                .unwrap_or_else(|| minilm_reference(word))
        })
        .sum()
}

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

/// cl100k tokens of `text` through `tiktoken-rs`: the reference the fast ASCII counter is
/// tested against, and the path for other text.
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
    for f in std::fs::read_dir(format!("{dir}/../tests/fixtures/cxone")).unwrap() {
        texts.push(std::fs::read_to_string(f.unwrap().path()).unwrap());
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_models() {
        // all-MiniLM-L6-v2: "hello world" is [CLS] hello world [SEP]; "embeddings" is 'em', '##bed', '##ding', '##s'.
        assert_eq!(Tokenizer::MiniLm.count("hello world"), 2);
        assert_eq!(Tokenizer::MiniLm.count("embeddings"), 4);
        assert_eq!(Tokenizer::Cl100k.count("hello world"), 2);
        assert_eq!(Tokenizer::MiniLm.count(""), 0);
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
