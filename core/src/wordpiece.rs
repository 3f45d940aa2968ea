//! An allocation-light token counter for all-MiniLM-L6-v2: the same added-token split, BERT
//! normalisation (control characters dropped, whitespace, CJK characters spaced, accents
//! stripped, lowercase), pre-tokenisation (whitespace and punctuation) and greedy longest-match
//! WordPiece as the `tokenizers` crate, without building normalised strings with alignments,
//! offsets or ids. The ingest trigger counts tokens for every conversation to size chunks;
//! through `tokenizers` that was half of its time (BENCHMARKS.md, ingest), and `tokenizers`
//! costs about 1.5 µs per word, a second and more on a megabyte of short words. Unicode
//! properties come from the crates `tokenizers` itself uses (`unicode_categories`,
//! `unicode-normalization-alignments`, and the standard library's whitespace and lowercase),
//! so both read a character the same way. The tests check it against `tokenizers` on
//! Banking77, the fixtures, random ASCII and Unicode, and long inputs.
//!
//! Time is linear in the text: a word's pieces are looked up at most `max_piece` bytes long
//! (no longer piece exists), and a word past `max_input_chars_per_word` is one `[UNK]` at once.

use rustc_hash::FxHashSet;
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::UnicodeNormalization;

pub struct WordPiece {
    /// Pieces that may start a word.
    start: FxHashSet<String>,
    /// Pieces that may continue one (stored without the `##` prefix).
    cont: FxHashSet<String>,
    max_chars: usize,
    /// The longest piece, in bytes.
    max_piece: usize,
    /// Added tokens (`[CLS]`, `[UNK]`, ...): `tokenizers` splits them out of the raw text
    /// before anything else, leftmost and longest first; each is one token.
    added: Vec<String>,
    /// First bytes of the added tokens, to find them fast.
    added_first: Vec<u8>,
}

impl WordPiece {
    /// From a tokenizer.json whose model is WordPiece with the BERT normaliser (lowercasing,
    /// so stripping accents) and pre-tokeniser; None otherwise.
    pub fn from_tokenizer_json(json: &[u8]) -> Option<WordPiece> {
        let v: serde_json::Value = serde_json::from_slice(json).ok()?;
        let model = &v["model"];
        let norm = &v["normalizer"];
        let bert_lowercase = model["type"] == "WordPiece"
            && norm["type"] == "BertNormalizer"
            && norm["lowercase"] == true
            && norm["clean_text"] == true
            && norm["handle_chinese_chars"] == true
            && (norm["strip_accents"].is_null() || norm["strip_accents"] == true)
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
            // Matched after normalisation, or only as a whole word: not handled here.
            if a["normalized"] != false || a["single_word"] != false {
                return None;
            }
            added.push(a["content"].as_str().filter(|s| !s.is_empty())?.to_string());
        }
        let mut added_first: Vec<u8> = added.iter().filter_map(|a| a.bytes().next()).collect();
        added_first.sort_unstable();
        added_first.dedup();
        let max_piece = start.iter().chain(&cont).map(String::len).max()?;
        Some(WordPiece {
            start,
            cont,
            max_chars: model["max_input_chars_per_word"].as_u64()? as usize,
            max_piece,
            added,
            added_first,
        })
    }

    /// Tokens of `text`, without special tokens.
    pub fn count(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        // Most texts hold no first byte of an added token (a memchr each): no search then.
        if !self.added_first.iter().any(|b| bytes.contains(b)) {
            return self.count_between_added(text);
        }
        let (mut total, mut from, mut i) = (0, 0, 0);
        while i < bytes.len() {
            // A first byte of a token is never inside a character: `i` is a boundary here.
            if self.added_first.contains(&bytes[i]) {
                let longest = self
                    .added
                    .iter()
                    .filter(|a| bytes[i..].starts_with(a.as_bytes()))
                    .map(String::len)
                    .max();
                if let Some(len) = longest {
                    total += self.count_between_added(&text[from..i]) + 1;
                    i += len;
                    from = i;
                    continue;
                }
            }
            i += 1;
        }
        total + self.count_between_added(&text[from..])
    }

    /// Text holding no added token. BERT splits at these four whitespace characters before
    /// anything else (they are no combining marks either, so accents never move across them):
    /// counts add up across them, and the ASCII words take the byte loop.
    fn count_between_added(&self, text: &str) -> usize {
        if text.is_ascii() {
            return self.count_ascii(text.as_bytes());
        }
        text.split([' ', '\t', '\n', '\r'])
            .map(|word| match word.is_ascii() {
                true => self.count_ascii(word.as_bytes()),
                false => self.count_unicode(word),
            })
            .sum()
    }

    /// ASCII text, byte by byte.
    fn count_ascii(&self, text: &[u8]) -> usize {
        let mut word = [0u8; 128];
        let (mut len, mut too_long, mut total) = (0usize, false, 0usize);
        let finish = |word: &[u8], too_long: bool| -> usize {
            if word.is_empty() {
                0
            } else if too_long {
                1 // [UNK]
            } else {
                self.pieces(std::str::from_utf8(word).unwrap_or(""))
            }
        };
        for &b in text {
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
        total + finish(&word[..len], too_long)
    }

    /// Any text: BertNormalizer then BertPreTokenizer, character by character, in their order.
    fn count_unicode(&self, text: &str) -> usize {
        // clean_text, then handle_chinese_chars.
        let mut cleaned = String::with_capacity(text.len());
        for c in text.chars() {
            if c == '\0' || c == '\u{fffd}' || (!matches!(c, '\t' | '\n' | '\r') && c.is_other()) {
                continue;
            }
            if c.is_whitespace() {
                cleaned.push(' ');
            } else if is_chinese_char(c) {
                cleaned.extend([' ', c, ' ']);
            } else {
                cleaned.push(c);
            }
        }
        // strip_accents (NFD, non-spacing marks dropped), lowercase; then words split at
        // whitespace and at punctuation, which is a word of its own.
        let (mut word, mut chars, mut total) = (String::new(), 0usize, 0usize);
        let finish = |word: &mut String, chars: &mut usize| {
            let n = match *chars {
                0 => 0,
                c if c > self.max_chars => 1, // [UNK]
                _ => self.pieces(word),
            };
            word.clear();
            *chars = 0;
            n
        };
        for (c, _) in cleaned.chars().nfd() {
            if c.is_mark_nonspacing() {
                continue;
            }
            for c in c.to_lowercase() {
                if c.is_whitespace() {
                    total += finish(&mut word, &mut chars);
                } else if c.is_ascii_punctuation() || c.is_punctuation() {
                    total += finish(&mut word, &mut chars) + 1;
                } else {
                    chars += 1;
                    if chars <= self.max_chars {
                        word.push(c);
                    }
                }
            }
        }
        total + finish(&mut word, &mut chars)
    }

    /// Greedy longest-match-first pieces of one normalised word; 1 ([UNK]) when some part
    /// matches no piece.
    fn pieces(&self, word: &str) -> usize {
        let (mut start, mut n) = (0, 0);
        while start < word.len() {
            let set = if start == 0 { &self.start } else { &self.cont };
            let mut end = (start + self.max_piece).min(word.len());
            while !word.is_char_boundary(end) {
                end -= 1;
            }
            loop {
                if end <= start {
                    return 1;
                }
                if set.contains(&word[start..end]) {
                    break;
                }
                end -= word[..end].chars().next_back().map_or(1, char::len_utf8);
            }
            n += 1;
            start = end;
        }
        n
    }
}

/// The CJK Unified Ideographs blocks, as BertNormalizer spaces them.
fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

#[cfg(test)]
mod tests;
