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

use std::borrow::Cow;

/// A text with its spoken numbers as digits, and the way back to the original's bytes.
pub struct Spoken<'a> {
    pub text: Cow<'a, str>,
    /// Rewritten pieces, in order: (range in `text`, range in the original). Bytes between
    /// pieces were copied as they were.
    pieces: Vec<(usize, usize, usize, usize)>,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Word {
    /// 0-9 ("oh" is a zero only next to another number word).
    Unit(u32, bool),
    Teen(u32),
    Tens(u32),
    Hundred,
    Thousand,
    /// "double", "triple": only before a unit.
    Times(usize),
    Sep(char),
    /// "then", "uh", "um" between number words.
    Filler,
    /// "and": part of a number only after "hundred" or "thousand".
    And,
    Ordinal(u32),
}

fn word(w: &str) -> Option<Word> {
    use Word::*;
    let units = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let teens = [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    let tens = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let ordinals = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ];
    let lower = w.to_ascii_lowercase();
    let w = lower.as_str();
    if let Some(i) = units.iter().position(|u| *u == w) {
        return Some(Unit(i as u32, false));
    }
    if let Some(i) = teens.iter().position(|u| *u == w) {
        return Some(Teen(10 + i as u32));
    }
    if let Some(i) = tens.iter().position(|u| *u == w) {
        return Some(Tens(20 + 10 * i as u32));
    }
    if let Some(i) = ordinals.iter().position(|u| *u == w) {
        return Some(Ordinal(1 + i as u32));
    }
    Some(match w {
        "oh" | "nought" => Unit(0, true),
        "fourty" => Tens(40),
        "thirtieth" => Ordinal(30),
        "hundred" => Hundred,
        "thousand" => Thousand,
        "double" => Times(2),
        "triple" => Times(3),
        "dash" | "hyphen" => Sep('-'),
        "slash" => Sep('/'),
        "dot" | "point" => Sep('.'),
        "then" | "uh" | "um" | "er" | "erm" => Filler,
        "and" => And,
        _ => return None,
    })
}

/// True when `w` (any case) is a word that may start a spoken number: the cheap gate.
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
            let joined = last_end != usize::MAX
                && text[last_end..s].len() <= 3
                && text[last_end..s].bytes().all(|c| c == b' ' || c == b'-');
            match runs.last_mut() {
                Some(run) if joined => run.push((w, s, e)),
                _ => runs.push(vec![(w, s, e)]),
            }
            last_end = e;
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

/// A number read from words: its digits, the original range, and whether it continues the
/// number before it with no space ("four" "one" -> "41").
struct Piece {
    digits: String,
    start: usize,
    end: usize,
    glue: bool,
}

/// One run of number words as digit strings.
fn parse_run(run: &[(Word, usize, usize)]) -> Vec<Piece> {
    use Word::*;
    let mut out: Vec<Piece> = Vec::new();
    let mut glue = false;
    let emit =
        |out: &mut Vec<Piece>, digits: String, start, end, glue_next: bool, glue: &mut bool| {
            out.push(Piece {
                digits,
                start,
                end,
                glue: *glue && !out.is_empty(),
            });
            *glue = glue_next;
        };
    let number_at = |i: usize| {
        matches!(
            run.get(i),
            Some((Unit(..) | Teen(_) | Tens(_) | Times(_), ..))
        )
    };
    let mut i = 0;
    while i < run.len() {
        let (w, s, e) = run[i];
        match w {
            Times(n) => match run.get(i + 1) {
                Some(&(Unit(d, _), _, e)) => {
                    emit(&mut out, d.to_string().repeat(n), s, e, true, &mut glue);
                    i += 2;
                }
                _ => {
                    glue = false;
                    i += 1;
                }
            },
            Unit(0, true) => {
                // "oh" is a zero only beside another number ("oh nine", "five oh").
                let after_number = i > 0
                    && matches!(
                        run[i - 1].0,
                        Unit(..) | Teen(_) | Tens(_) | Times(_) | Sep(_)
                    );
                if after_number || number_at(i + 1) {
                    emit(&mut out, "0".into(), s, e, true, &mut glue);
                } else {
                    glue = false;
                }
                i += 1;
            }
            Unit(..) | Teen(_) | Tens(_) => {
                let (v, next, end) = scaled(run, small(run, i));
                match run.get(next) {
                    Some(&(Ordinal(o), _, oe))
                        if matches!(w, Tens(_)) && next == i + 1 && o < 10 =>
                    {
                        glue = false;
                        emit(&mut out, ordinal(v + o), s, oe, false, &mut glue);
                        i = next + 1;
                    }
                    _ => {
                        emit(&mut out, v.to_string(), s, end, true, &mut glue);
                        i = next;
                    }
                }
            }
            Ordinal(o) => {
                glue = false;
                emit(&mut out, ordinal(o), s, e, false, &mut glue);
                i += 1;
            }
            Sep(c) if glue && number_at(i + 1) => {
                emit(&mut out, c.to_string(), s, e, true, &mut glue);
                i += 1;
            }
            // "then", "um" between two numbers keep them one number.
            Filler if glue && number_at(i + 1) => i += 1,
            Sep(_) | Filler | Hundred | Thousand | And => {
                glue = false;
                i += 1;
            }
        }
    }
    out
}

/// A number under 100 at `i`: a unit, a teen, or tens with an optional unit ("forty two").
fn small(run: &[(Word, usize, usize)], i: usize) -> (u32, usize, usize) {
    match run[i].0 {
        Word::Tens(t) => match run.get(i + 1) {
            Some(&(Word::Unit(u, false), _, e)) if u > 0 => (t + u, i + 2, e),
            _ => (t, i + 1, run[i].2),
        },
        Word::Teen(v) | Word::Unit(v, _) => (v, i + 1, run[i].2),
        _ => (0, i + 1, run[i].2),
    }
}

/// "two hundred and forty seven", "two thousand one", "fifty five hundred".
fn scaled(run: &[(Word, usize, usize)], (v, next, e): (u32, usize, usize)) -> (u32, usize, usize) {
    let (mut v, mut next, mut e) = (v, next, e);
    for (scale, factor) in [(Word::Hundred, 100), (Word::Thousand, 1000)] {
        if v == 0 || run.get(next).map(|w| w.0) != Some(scale) {
            continue;
        }
        v *= factor;
        e = run[next].2;
        next += 1;
        let and = usize::from(matches!(run.get(next), Some((Word::And, ..))));
        if matches!(
            run.get(next + and),
            Some((Word::Unit(_, false) | Word::Teen(_) | Word::Tens(_), ..))
        ) {
            let mut rest = small(run, next + and);
            if factor == 1000 && run.get(rest.1).map(|w| w.0) == Some(Word::Hundred) {
                rest = scaled(run, rest);
            }
            let (rest, n2, e2) = rest;
            if rest > 0 && rest < factor {
                v += rest;
                next = n2;
                e = e2;
            }
        }
    }
    (v, next, e)
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
#[path = "spoken_tests.rs"]
mod tests;
