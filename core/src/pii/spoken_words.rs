//! Number words read into digit strings: the vocabulary of spoken numbers ("oh", "double",
//! "forty", "hundred", "slash") and how a run of them reads ("two hundred and forty seven" is
//! 247, "forty two forty two" is 4242, "twenty third" is 23rd).

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Word {
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

const UNITS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];
const TEENS: [&str; 10] = [
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
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
const ORDINALS: [&str; 20] = [
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

/// Every number word, read once into a map (Fx hashing: the gate asks about every word of
/// every text).
// Keyed by bytes: the lookup needs no UTF-8 check of the lower-cased copy.
static WORDS: std::sync::LazyLock<rustc_hash::FxHashMap<&'static [u8], Word>> =
    std::sync::LazyLock::new(|| {
        use Word::*;
        let mut all: rustc_hash::FxHashMap<&'static str, Word> = rustc_hash::FxHashMap::default();
        for (i, w) in UNITS.into_iter().enumerate() {
            all.insert(w, Unit(i as u32, false));
        }
        for (i, w) in TEENS.into_iter().enumerate() {
            all.insert(w, Teen(10 + i as u32));
        }
        for (i, w) in TENS.into_iter().enumerate() {
            all.insert(w, Tens(20 + 10 * i as u32));
        }
        for (i, w) in ORDINALS.into_iter().enumerate() {
            all.insert(w, Ordinal(1 + i as u32));
        }
        all.extend([
            ("oh", Unit(0, true)),
            ("nought", Unit(0, true)),
            ("fourty", Tens(40)),
            ("thirtieth", Ordinal(30)),
            ("hundred", Hundred),
            ("thousand", Thousand),
            ("double", Times(2)),
            ("triple", Times(3)),
            ("dash", Sep('-')),
            ("hyphen", Sep('-')),
            ("slash", Sep('/')),
            ("dot", Sep('.')),
            ("point", Sep('.')),
            ("then", Filler),
            ("uh", Filler),
            ("um", Filler),
            ("er", Filler),
            ("erm", Filler),
            ("and", And),
        ]);
        all.into_iter().map(|(k, v)| (k.as_bytes(), v)).collect()
    });

/// The first letters of the words in `WORDS`, one bit each.
static FIRST_LETTERS: std::sync::LazyLock<u32> =
    std::sync::LazyLock::new(|| WORDS.keys().fold(0, |m, k| m | 1 << (k[0] - b'a')));

/// The number word `w` (any case), if it is one.
pub fn word(w: &str) -> Option<Word> {
    // Lower-cased on the stack: this runs on every word of every text (the gate).
    let mut buf = [0u8; 12];
    if w.len() > buf.len() || w.len() < 2 {
        return None;
    }
    // Most words start with a letter no number word starts with ("my", "card", "i").
    let first = w.as_bytes()[0].to_ascii_lowercase();
    if !first.is_ascii_lowercase() || *FIRST_LETTERS & 1 << (first - b'a') == 0 {
        return None;
    }
    for (b, c) in buf.iter_mut().zip(w.bytes()) {
        *b = c.to_ascii_lowercase();
    }
    WORDS.get(&buf[..w.len()]).copied()
}

/// A number read from words: its digits, the original range, and whether it continues the
/// number before it with no space ("four" "one" -> "41").
pub struct Piece {
    pub digits: String,
    pub start: usize,
    pub end: usize,
    pub glue: bool,
}

/// One run of number words as digit strings.
pub fn parse_run(run: &[(Word, usize, usize)]) -> Vec<Piece> {
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
