//! A fast cl100k token counter for ASCII text: the same pieces as cl100k's split pattern,
//! found by a byte loop instead of `tiktoken-rs`'s backtracking regex, then tiktoken's own BPE
//! merge (`byte_pair_split`) for pieces that are not one token. The sidecar counts every input
//! it sends to an OpenAI-compatible API to respect the per-request and per-input limits, and the
//! regex was a third of its CPU time (BENCHMARKS.md, pipeline). Unit tests check it against
//! `tiktoken-rs` on Banking77, the fixtures and random ASCII; other text still goes through
//! `tiktoken-rs`.
//!
//! cl100k's pattern, leftmost alternative first:
//! `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//! On ASCII, `\p{L}` is `[A-Za-z]`, `\p{N}` is `[0-9]` and `\s` is `[\t\n\x0b\x0c\r ]`.

use rustc_hash::FxHashMap;
use tiktoken_rs::{CoreBPE, Rank};

pub struct Cl100k {
    ranks: FxHashMap<Vec<u8>, Rank>,
}

fn is_letter(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn is_newline(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Neither whitespace, letter nor digit.
fn is_other(b: u8) -> bool {
    !is_space(b) && !b.is_ascii_alphanumeric()
}

/// The end of the run of bytes from `i` that satisfy `f`.
fn run(s: &[u8], mut i: usize, f: fn(u8) -> bool) -> usize {
    while i < s.len() && f(s[i]) {
        i += 1;
    }
    i
}

/// The end of the piece that starts at `i` (ASCII text, `i < s.len()`).
fn piece_end(s: &[u8], i: usize) -> usize {
    let n = s.len();
    let c = s[i];
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if c == b'\'' && i + 1 < n {
        let c1 = s[i + 1].to_ascii_lowercase();
        if matches!(c1, b's' | b't' | b'm' | b'd') {
            return i + 2;
        }
        if i + 2 < n {
            let c2 = s[i + 2].to_ascii_lowercase();
            if matches!((c1, c2), (b'r', b'e') | (b'v', b'e') | (b'l', b'l')) {
                return i + 3;
            }
        }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if is_letter(c) {
        return run(s, i, is_letter);
    }
    if !is_newline(c) && !c.is_ascii_digit() && i + 1 < n && is_letter(s[i + 1]) {
        return run(s, i + 1, is_letter);
    }
    // \p{N}{1,3}
    if c.is_ascii_digit() {
        return run(s, i, |b| b.is_ascii_digit()).min(i + 3);
    }
    // ' '?[^\s\p{L}\p{N}]+[\r\n]*
    let j = if c == b' ' { i + 1 } else { i };
    if j < n && is_other(s[j]) {
        return run(s, run(s, j, is_other), is_newline);
    }
    // What is left starts with whitespace.
    let end = run(s, i, is_space);
    // \s*[\r\n]+ : up to the last line break of the run.
    if let Some(p) = s[i..end].iter().rposition(|&b| is_newline(b)) {
        return i + p + 1;
    }
    // \s+(?!\S) : the run, less its last space when a word follows; then \s+.
    if end == n || end - i == 1 {
        end
    } else {
        end - 1
    }
}

impl Cl100k {
    /// The token table of `bpe` (cl100k_base), read back through its decoder.
    pub fn from_bpe(bpe: &CoreBPE) -> Cl100k {
        let mut ranks = FxHashMap::default();
        for rank in 0..100_256 {
            if let Ok(bytes) = bpe.decode_bytes(&[rank]) {
                ranks.insert(bytes, rank);
            }
        }
        Cl100k { ranks }
    }

    /// Tokens of `text`, or None when it is not ASCII.
    pub fn count_ascii(&self, text: &str) -> Option<usize> {
        if !text.is_ascii() {
            return None;
        }
        let s = text.as_bytes();
        let (mut i, mut tokens) = (0, 0);
        while i < s.len() {
            let end = piece_end(s, i);
            let piece = &s[i..end];
            tokens += if piece.len() == 1 || self.ranks.contains_key(piece) {
                1
            } else {
                tiktoken_rs::byte_pair_split(piece, &self.ranks).len()
            };
            i = end;
        }
        Some(tokens)
    }
}

#[cfg(test)]
mod tests {
    use crate::tokens::{cl100k_reference, Tokenizer};
    use proptest::prelude::*;

    fn same(text: &str) {
        assert_eq!(
            Tokenizer::Cl100k.count(text),
            cl100k_reference(text),
            "{text:?}"
        );
    }

    #[test]
    fn counts_banking77_and_the_fixtures_as_tiktoken_does() {
        for text in crate::tokens::reference_texts("\n\n") {
            same(&text);
        }
        for text in [
            "",
            " ",
            "  ",
            "a  b   c\t\td",
            "I'm sure you'll say it's 'quoted' ISN'T He'D 'RE 'Ve",
            "' '' 's'",
            "tab\there\r\nand\x0bvt\x0cff\x7fdel\x1f",
            "line\n\n  \n  next \r\n\r\n",
            "trailing spaces   ",
            " 12345 1234567 $100.00 (555) 010-0199",
            "e-mail: dana.whitfield@example.org, card 4111-1111-1111-1111!!!\n",
            "~`!@#$%^&*()_+-={}|[]\\:\";'<>?,./\n\r",
            &"x".repeat(150),
            &"ab1".repeat(60),
            "qzxqzxqzx jjjjjjjjjjjj",
        ] {
            same(text);
        }
    }

    #[test]
    fn ascii_text_takes_the_fast_path() {
        let fast = crate::cl100k::Cl100k::from_bpe(&tiktoken_rs::cl100k_base().unwrap());
        let text = "hello world, it's 2024!";
        assert_eq!(fast.count_ascii(text), Some(cl100k_reference(text)));
        assert_eq!(fast.count_ascii("café"), None);
        let dir = env!("CARGO_MANIFEST_DIR");
        let csv = std::fs::read_to_string(format!("{dir}/../data/banking77/train.csv")).unwrap();
        let n: usize = csv.lines().map(|l| fast.count_ascii(l).unwrap_or(0)).sum();
        let m: usize = csv
            .lines()
            .filter(|l| l.is_ascii())
            .map(cl100k_reference)
            .sum();
        assert_eq!(n, m);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn counts_random_ascii_as_tiktoken_does(text in "[\\x00-\\x7f]{0,200}") {
            prop_assert_eq!(Tokenizer::Cl100k.count(&text), cl100k_reference(&text));
        }

        #[test]
        fn counts_word_like_ascii_as_tiktoken_does(
            text in "([a-zA-Z]{1,12}|[0-9]{1,5}|'[sStTmMdDrReEvVlL]{1,2}|[ \t\n\r\x0b\x0c]{1,4}|[.,!?$()'\"-]{1,3}){0,40}"
        ) {
            prop_assert_eq!(Tokenizer::Cl100k.count(&text), cl100k_reference(&text));
        }
    }
}
