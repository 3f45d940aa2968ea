//! A fast cl100k token counter: the same pieces as cl100k's split pattern, found by a loop over
//! the text instead of `tiktoken-rs`'s backtracking regex, then tiktoken's own BPE merge
//! ([`merge`]) for pieces that are not one token. The sidecar counts every input it sends to an
//! OpenAI-compatible API to respect the per-request and per-input limits, and the regex was a
//! third of its CPU time (BENCHMARKS.md, pipeline). The regex is also unusable on some long
//! inputs: a long run of whitespace exhausts its backtracking stack (it returns an error, and
//! `tiktoken-rs` panics on it). The tests check the counts against `tiktoken-rs` on Banking77,
//! the fixtures, random ASCII and Unicode text, and long pieces.
//!
//! Time is O(n log n) in the text whatever its shape; every text goes through here.
//!
//! cl100k's pattern, leftmost alternative first:
//! `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
//! `\p{L}`, `\p{N}` and `\s` are taken from `regex-syntax`, the tables the regex itself uses.
//! On ASCII they are `[A-Za-z]`, `[0-9]` and `[\t\n\x0b\x0c\r ]`, and ASCII text is read
//! byte by byte.

mod merge;

use regex_syntax::hir::{Class as HirClass, HirKind};
use rustc_hash::FxHashMap;
use std::sync::LazyLock;
use tiktoken_rs::{CoreBPE, Rank};

pub struct Cl100k {
    ranks: FxHashMap<Vec<u8>, Rank>,
}

/// What the pattern distinguishes in a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `\p{L}`
    Letter,
    /// `\p{N}`
    Number,
    /// `\r` or `\n`
    Newline,
    /// `\s` but not `\r` or `\n`
    Space,
    /// Anything else
    Other,
}

fn ascii_class(b: u8) -> Class {
    match b {
        b'\r' | b'\n' => Class::Newline,
        b' ' | b'\t' | b'\x0b' | b'\x0c' => Class::Space,
        b if b.is_ascii_alphabetic() => Class::Letter,
        b if b.is_ascii_digit() => Class::Number,
        _ => Class::Other,
    }
}

/// The ranges of one class, from `regex-syntax`.
fn ranges(class: &str) -> Ranges {
    let hir = regex_syntax::Parser::new()
        .parse(class)
        .expect("built-in character class parses");
    match hir.kind() {
        HirKind::Class(HirClass::Unicode(c)) => {
            c.ranges().iter().map(|r| (r.start(), r.end())).collect()
        }
        _ => unreachable!("a Unicode class parses to a Unicode class"),
    }
}

/// Sorted, disjoint character ranges.
type Ranges = Vec<(char, char)>;

static UNICODE: LazyLock<[(Class, Ranges); 3]> = LazyLock::new(|| {
    [
        (Class::Space, ranges(r"\s")),
        (Class::Letter, ranges(r"\p{L}")),
        (Class::Number, ranges(r"\p{N}")),
    ]
});

fn char_class(c: char) -> Class {
    if c.is_ascii() {
        return ascii_class(c as u8);
    }
    let within = |r: &[(char, char)]| {
        r.binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
    };
    UNICODE
        .iter()
        .find(|(_, r)| within(r))
        .map_or(Class::Other, |(k, _)| *k)
}

/// The text as the piece finder reads it: the character at a byte offset, its class and its
/// length in bytes. ASCII text is read byte by byte (the common case, and the fast one).
trait Text {
    fn len(&self) -> usize;
    fn at(&self, i: usize) -> (char, Class, usize);
}

struct Ascii<'a>(&'a [u8]);

impl Text for Ascii<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn at(&self, i: usize) -> (char, Class, usize) {
        let b = self.0[i];
        (b as char, ascii_class(b), 1)
    }
}

struct Unicode<'a>(&'a str);

impl Text for Unicode<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn at(&self, i: usize) -> (char, Class, usize) {
        let c = self.0[i..].chars().next().unwrap_or('\0');
        (c, char_class(c), c.len_utf8())
    }
}

/// The end of the run of characters from `i` whose class `f` accepts.
fn run<T: Text>(t: &T, mut i: usize, f: impl Fn(Class) -> bool) -> usize {
    while i < t.len() {
        let (_, k, w) = t.at(i);
        if !f(k) {
            break;
        }
        i += w;
    }
    i
}

/// `c` as `(?i)` compares it with the ASCII letters of the contractions: Unicode simple case
/// folding, under which 'ſ' (long s) is an 's'.
fn fold(c: char) -> char {
    match c {
        'ſ' => 's',
        c => c.to_ascii_lowercase(),
    }
}

/// The end of the piece that starts at `i` (`i < t.len()`).
fn piece_end<T: Text>(t: &T, i: usize) -> usize {
    let n = t.len();
    let (c, k, w) = t.at(i);
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if c == '\'' && i + 1 < n {
        let (c1, _, w1) = t.at(i + 1);
        let c1 = fold(c1);
        if matches!(c1, 's' | 't' | 'm' | 'd') {
            return i + 1 + w1;
        }
        if i + 1 + w1 < n {
            let (c2, _, w2) = t.at(i + 1 + w1);
            if matches!((c1, fold(c2)), ('r', 'e') | ('v', 'e') | ('l', 'l')) {
                return i + 1 + w1 + w2;
            }
        }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    let letter = |k| k == Class::Letter;
    if k == Class::Letter {
        return run(t, i, letter);
    }
    if k != Class::Newline && k != Class::Number && i + w < n && t.at(i + w).1 == Class::Letter {
        return run(t, i + w, letter);
    }
    // \p{N}{1,3}: counted, so a long run of digits is not read again for every piece.
    if k == Class::Number {
        let mut end = i;
        for _ in 0..3 {
            if end == n || t.at(end).1 != Class::Number {
                break;
            }
            end += t.at(end).2;
        }
        return end;
    }
    // ' '?[^\s\p{L}\p{N}]+[\r\n]*
    let j = if c == ' ' { i + 1 } else { i };
    if j < n && t.at(j).1 == Class::Other {
        let end = run(t, j, |k| k == Class::Other);
        return run(t, end, |k| k == Class::Newline);
    }
    // What is left starts with whitespace: find the run, its last line break and last character.
    let (mut end, mut last_newline, mut last_start) = (i, None, i);
    while end < n {
        let (_, k, w) = t.at(end);
        if !matches!(k, Class::Space | Class::Newline) {
            break;
        }
        if k == Class::Newline {
            last_newline = Some(end);
        }
        last_start = end;
        end += w;
    }
    // \s*[\r\n]+ : up to the last line break of the run (\r and \n are one byte).
    if let Some(p) = last_newline {
        return p + 1;
    }
    // \s+(?!\S) : the run, less its last character when a non-space follows; then \s+.
    if end == n || last_start == i {
        end
    } else {
        last_start
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

    /// Tokens of `text`, as `tiktoken-rs`'s `encode_ordinary` counts them.
    pub fn count(&self, text: &str) -> usize {
        if text.is_ascii() {
            self.count_in(&Ascii(text.as_bytes()), text.as_bytes())
        } else {
            self.count_in(&Unicode(text), text.as_bytes())
        }
    }

    fn count_in<T: Text>(&self, t: &T, bytes: &[u8]) -> usize {
        let (mut i, mut tokens) = (0, 0);
        while i < bytes.len() {
            let end = piece_end(t, i);
            tokens += merge::tokens(&bytes[i..end], &self.ranks);
            i = end;
        }
        tokens
    }
}

#[cfg(test)]
mod tests;
