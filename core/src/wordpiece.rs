//! An allocation-free token counter for all-MiniLM-L6-v2 on ASCII text: the same BERT
//! normalisation (control characters dropped, whitespace, lowercase), pre-tokenisation
//! (whitespace and punctuation) and greedy longest-match WordPiece as the `tokenizers` crate,
//! without building normalised strings, offsets or ids. The ingest trigger counts tokens for
//! every conversation to size chunks; through `tokenizers` that was half of its time
//! (BENCHMARKS.md, ingest). The unit tests check it against `tokenizers` on Banking77, the
//! fixtures and random ASCII; non-ASCII text, and text holding an added token such as `[CLS]`,
//! still goes through `tokenizers`.

use rustc_hash::FxHashSet;

pub struct WordPiece {
    /// Pieces that may start a word.
    start: FxHashSet<String>,
    /// Pieces that may continue one (stored without the `##` prefix).
    cont: FxHashSet<String>,
    max_chars: usize,
    /// Added tokens (`[CLS]`, `[UNK]`, ...): `tokenizers` splits them out of the raw text
    /// before anything else; text containing one is left to it.
    added: Vec<String>,
    /// First bytes of the added tokens: a text without any of them holds none.
    added_first: Vec<u8>,
}

impl WordPiece {
    /// From a tokenizer.json whose model is WordPiece with the BERT normaliser; None otherwise.
    pub fn from_tokenizer_json(json: &[u8]) -> Option<WordPiece> {
        let v: serde_json::Value = serde_json::from_slice(json).ok()?;
        let model = &v["model"];
        let norm = &v["normalizer"];
        let bert_lowercase = model["type"] == "WordPiece"
            && norm["type"] == "BertNormalizer"
            && norm["lowercase"] == true
            && norm["clean_text"] == true
            && v["pre_tokenizer"]["type"] == "BertPreTokenizer";
        if !bert_lowercase {
            return None;
        }
        let prefix = model["continuing_subword_prefix"].as_str()?;
        let (mut start, mut cont) = (FxHashSet::default(), FxHashSet::default());
        for piece in model["vocab"].as_object()?.keys() {
            match piece.strip_prefix(prefix) {
                Some(rest) => cont.insert(rest.to_string()),
                None => start.insert(piece.clone()),
            };
        }
        let mut added = Vec::new();
        for a in v["added_tokens"].as_array()? {
            if a["normalized"] != false {
                return None; // matched after normalisation: not handled here
            }
            added.push(a["content"].as_str()?.to_string());
        }
        let mut added_first: Vec<u8> = added.iter().filter_map(|a| a.bytes().next()).collect();
        added_first.sort_unstable();
        added_first.dedup();
        Some(WordPiece {
            start,
            cont,
            max_chars: model["max_input_chars_per_word"].as_u64()? as usize,
            added,
            added_first,
        })
    }

    /// Tokens of ASCII `text` (no special tokens); None when `text` is not ASCII.
    pub fn count_ascii(&self, text: &str) -> Option<usize> {
        let may_hold_added = self.added_first.iter().any(|b| text.as_bytes().contains(b))
            && self.added.iter().any(|a| text.contains(a.as_str()));
        if !text.is_ascii() || may_hold_added {
            return None;
        }
        let mut word = [0u8; 128];
        let (mut len, mut too_long, mut total) = (0usize, false, 0usize);
        let finish = |word: &[u8], too_long: bool| -> usize {
            if word.is_empty() {
                0
            } else if too_long {
                1 // [UNK]
            } else {
                self.pieces(word)
            }
        };
        for &b in text.as_bytes() {
            match b {
                // Dropped by clean_text (control characters other than \t \n \r, and NUL):
                // the characters around them join.
                0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F => {}
                b'\t' | b'\n' | b'\r' | b' ' => {
                    total += finish(&word[..len], too_long);
                    (len, too_long) = (0, false);
                }
                b if b.is_ascii_punctuation() => {
                    total += finish(&word[..len], too_long);
                    (len, too_long) = (0, false);
                    total += 1; // a punctuation mark is a word of its own: one piece or [UNK]
                }
                b => {
                    if len < word.len() {
                        word[len] = b.to_ascii_lowercase();
                        len += 1;
                    }
                    too_long |= len >= word.len() || len > self.max_chars;
                }
            }
        }
        total += finish(&word[..len], too_long);
        Some(total)
    }

    /// Greedy longest-match-first pieces of one lowercased ASCII word; 1 ([UNK]) when some
    /// part matches no piece.
    fn pieces(&self, word: &[u8]) -> usize {
        let word = std::str::from_utf8(word).unwrap_or("");
        let (mut start, mut n) = (0, 0);
        while start < word.len() {
            let set = if start == 0 { &self.start } else { &self.cont };
            let Some(end) = (start + 1..=word.len())
                .rev()
                .find(|&end| set.contains(&word[start..end]))
            else {
                return 1;
            };
            n += 1;
            start = end;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use crate::tokens::{minilm_reference, Tokenizer};
    use proptest::prelude::*;

    fn same(text: &str) {
        assert_eq!(
            Tokenizer::MiniLm.count(text),
            minilm_reference(text),
            "{text:?}"
        );
    }

    #[test]
    fn counts_banking77_and_the_fixtures_as_tokenizers_does() {
        for text in crate::tokens::reference_texts("") {
            same(&text);
        }
        for text in [
            "",
            " ",
            "a\u{0}b",
            "tab\there\r\nand\x0bvt\x0cff\x7fdel",
            "UPPER lower MiXeD",
            "e-mail: dana.whitfield@example.org, card 4111-1111-1111-1111!!!",
            "[CLS] [SEP] [UNK] [PAD] ##ing ##",
            &"x".repeat(100),
            &"x".repeat(101),
            &format!("{} tail", "ab".repeat(80)),
            "qzxqzxqzx jjjjjjjjjjjj",
            "~`!@#$%^&*()_+-={}|[]\\:\";'<>?,./",
        ] {
            same(text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn counts_random_ascii_as_tokenizers_does(text in "[\\x00-\\x7f]{0,200}") {
            prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
        }

        #[test]
        fn counts_mixed_unicode_text_as_tokenizers_does(
            text in "([a-zA-Z]{1,10}|[£€éüßñ’“”—ÀÉ中文日本\u{00a0}\u{2003}\u{200b}\u{0301}]{1,3}|\\[(CLS|SEP|UNK)\\]|[ \t\n\r\x0b\x0c.,]{1,2}){0,30}"
        ) {
            prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
        }

        #[test]
        fn counts_random_words_as_tokenizers_does(
            text in "([a-zA-Z]{1,14}|[0-9]{1,6}|[ .,!?'\\-]{1,2}|\\n){0,40}"
        ) {
            prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
        }
    }
}
