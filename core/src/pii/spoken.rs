//! Numbers said as words in speech-to-text ("four one one one", "oh", "double seven",
//! "forty two forty two", "zero four slash twenty six", "nineteen eighty five") rewritten as
//! digits, so the number detectors read spoken and written numbers alike; every byte of the
//! rewritten text maps back to the words it came from.
//!
//! A run of number words becomes one digit string with no spaces ("four one one one" and
//! "forty one eleven" both give "4111"): speech has no digit grouping worth keeping, and the
//! detectors judge a number by its digits and the words around it. "dash", "slash", "dot" and
//! "point" between number words become `-`, `/` and `.`; "then", "uh" and "um" between them are
//! dropped. Ordinals become "3rd", "23rd" for the date patterns.

use super::spoken_words::{parse_run, word, Word};
use std::borrow::Cow;

/// A text with its spoken numbers as digits, and the way back to the original's bytes.
pub struct Spoken<'a> {
    pub text: Cow<'a, str>,
    /// Rewritten pieces, in order: (range in `text`, range in the original). Bytes between
    /// pieces were copied as they were.
    pieces: Vec<(usize, usize, usize, usize)>,
}
/// True when `w` (any case) is a word that may start a spoken number: the cheap gate.
/// Number words in `text` ("four", "oh", "double", "twenty"), as byte ranges.
pub fn number_words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    words(text).filter(|&(s, e)| e - s <= 11 && is_number_word(&text[s..e]))
}

/// At least how many digits a number word says: two for "twenty", "nineteen" or "hundred",
/// one for the others.
pub fn digits_said(w: &str) -> usize {
    match word(w) {
        Some(Word::Teen(_) | Word::Tens(_) | Word::Times(_)) => 2,
        _ => 1,
    }
}

fn is_number_word(w: &str) -> bool {
    matches!(
        word(w),
        Some(Word::Unit(..) | Word::Teen(_) | Word::Tens(_) | Word::Times(_) | Word::Ordinal(_))
    )
}

/// The words of `text` (ASCII letters), with byte ranges.
fn words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && !b[i].is_ascii_alphabetic() {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        Some((s, i))
    })
}

impl<'a> Spoken<'a> {
    /// `text` with its spoken numbers as digits; borrowed, with nothing to map, when it has
    /// no number word (most chat and most turns of a call).
    pub fn of(text: &'a str) -> Spoken<'a> {
        let unchanged = Spoken {
            text: Cow::Borrowed(text),
            pieces: Vec::new(),
        };
        if !words(text).any(|(s, e)| e - s <= 11 && is_number_word(&text[s..e])) {
            return unchanged;
        }
        // Number words that follow each other with only spaces (or a hyphen, "forty-two")
        // between them form a run.
        let mut runs: Vec<Vec<(Word, usize, usize)>> = Vec::new();
        let mut last_end = usize::MAX;
        for (s, e) in words(text) {
            let Some(w) = word(&text[s..e]) else {
                last_end = usize::MAX;
                continue;
            };
            // "the last four one six seven six": the count is not a digit of the number.
            let counted = last_end == usize::MAX && {
                let head = text[..s].trim_end().as_bytes();
                ["last", "first", "next"].iter().any(|c| {
                    head.len() >= c.len()
                        && head[head.len() - c.len()..].eq_ignore_ascii_case(c.as_bytes())
                })
            };
            let joined = last_end != usize::MAX
                && text[last_end..s].len() <= 3
                && text[last_end..s].bytes().all(|c| c == b' ' || c == b'-');
            match runs.last_mut() {
                Some(run) if joined => run.push((w, s, e)),
                _ => runs.push(vec![(w, s, e)]),
            }
            last_end = if counted { usize::MAX } else { e };
        }
        let mut out = String::with_capacity(text.len());
        let mut pieces = Vec::new();
        let mut at = 0;
        for run in &runs {
            for p in parse_run(run) {
                // Pieces glued to the one before drop the spaces between them.
                if !p.glue {
                    out.push_str(&text[at..p.start]);
                }
                let ns = out.len();
                out.push_str(&p.digits);
                pieces.push((ns, out.len(), p.start, p.end));
                at = p.end;
            }
        }
        if pieces.is_empty() {
            return unchanged;
        }
        out.push_str(&text[at..]);
        Spoken {
            text: Cow::Owned(out),
            pieces,
        }
    }

    /// True when some spoken number was rewritten.
    pub fn rewritten(&self) -> bool {
        !self.pieces.is_empty()
    }

    /// The original byte range of `start..end` in the rewritten text: a match that covers part
    /// of a rewritten word covers the whole word.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let p = &self.pieces;
        // Start: the last piece starting at or before it; end: the last starting before it.
        let s = match p
            .partition_point(|q| q.0 <= start)
            .checked_sub(1)
            .map(|i| p[i])
        {
            Some((_, ne, os, _)) if start < ne => os,
            Some((_, ne, _, oe)) => oe + (start - ne),
            None => start,
        };
        let e = match p
            .partition_point(|q| q.0 < end)
            .checked_sub(1)
            .map(|i| p[i])
        {
            Some((_, ne, _, oe)) if end <= ne => oe,
            Some((_, ne, _, oe)) => oe + (end - ne),
            None => end,
        };
        (s, e)
    }
}

#[cfg(test)]
#[path = "spoken_tests.rs"]
mod tests;
