//! Names spelled out letter by letter, as callers do for agents: "k o w a l s k i",
//! "N-G-U-Y-E-N", "s as in sam m as in mary". Spelled letters are also how booking references
//! and postcodes are read out, so a spelling counts as a name only after a spelling or name cue,
//! or next to the word it spells, and never after a word that says it is a code.

use super::words::{number_word, Tok};

/// Cheap pre-check on the raw text: three single letters in a row, spaced or hyphenated, or
/// "as in".
pub fn may_hold(text: &str) -> bool {
    // One pass over the bytes: the length of the current run of letters and digits, and how
    // many one-letter runs came in a row (separators between them do not break the row).
    let (mut in_row, mut run, mut alpha) = (0, 0, true);
    for &c in text.as_bytes().iter().chain(std::iter::once(&b' ')) {
        if c.is_ascii_alphanumeric() {
            run += 1;
            alpha &= c.is_ascii_alphabetic();
            continue;
        }
        if run == 1 && alpha {
            in_row += 1;
            if in_row >= 3 {
                return true;
            }
        } else if run > 0 {
            in_row = 0;
        }
        (run, alpha) = (0, true);
    }
    text.contains(" as in ")
}

/// Words after which spelled letters are a code, not a name.
const CODE_WORDS: &[&str] = &[
    "reference",
    "ref",
    "code",
    "number",
    "booking",
    "confirmation",
    "order",
    "case",
    "ticket",
    "id",
    "password",
    "passcode",
    "postcode",
    "zip",
    "plate",
    "registration",
    "serial",
    "model",
    "pin",
    "account",
    "sort",
    "iban",
    "passport",
    "licence",
    "license",
    "voucher",
    "promo",
    "word",
];
const SPELL_CUES: &[&str] = &[
    "spell", "spelled", "spelt", "spelling", "name", "surname", "that's", "it's", "is",
];

fn letter(t: &Tok) -> bool {
    t.word && t.lower.chars().count() == 1 && t.lower.chars().all(char::is_alphabetic)
}

/// "n-g-u-y-e-n": one token of three or more single letters joined by hyphens.
fn hyphenated(t: &Tok) -> bool {
    let parts: Vec<&str> = t.lower.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic))
}

/// Spelled names among the tokens of one turn, as byte ranges; also the word a spelling
/// spells, when it stands next to it ("h a l v o r s e n halvorsen").
pub fn find_spelled(t: &[Tok], push: &mut impl FnMut(usize, usize)) {
    let mut i = 0;
    while i < t.len() {
        let (end, letters) = if hyphenated(&t[i]) {
            (i + 1, t[i].lower.replace('-', ""))
        } else if letter(&t[i]) {
            spoken_letters(t, i)
        } else {
            i += 1;
            continue;
        };
        let distinct = letters.chars().collect::<std::collections::BTreeSet<_>>();
        // "s as in sam" is a spelling even of one letter; bare letters need three.
        let phonetic = end - i > letters.chars().count();
        let long_enough = letters.chars().count() >= 3 && distinct.len() >= 2 || phonetic;
        if !long_enough || !is_name_spelling(t, i, end, &letters) {
            i = end.max(i + 1);
            continue;
        }
        push(t[i].start, t[end - 1].end);
        let near = i.saturating_sub(3)..(end + 3).min(t.len());
        for (k, x) in t.iter().enumerate().take(near.end).skip(near.start) {
            if (k < i || k >= end) && x.lower == letters {
                push(x.start, x.end);
            }
        }
        i = end;
    }
}

/// Single letters from `i` on, with "x as in xavier" groups; the end index and the letters.
fn spoken_letters(t: &[Tok], i: usize) -> (usize, String) {
    let mut end = i;
    let mut letters = String::new();
    while end < t.len() && letter(&t[end]) {
        letters.push_str(&t[end].lower);
        end += 1;
        let as_in = t.get(end).is_some_and(|x| x.is("as"))
            && t.get(end + 1).is_some_and(|x| x.is("in"))
            && t.get(end + 2).is_some_and(|x| x.word);
        if as_in {
            end += 3;
            if t.get(end).is_some_and(|x| x.is(",")) {
                end += 1;
            }
        }
    }
    (end, letters)
}

fn is_name_spelling(t: &[Tok], i: usize, end: usize, letters: &str) -> bool {
    let before = &t[i.saturating_sub(6)..i];
    if before.iter().any(|x| x.is_any(CODE_WORDS)) {
        return false;
    }
    let numeric = |x: &Tok| x.digit() || number_word(&x.lower) && !x.is("o");
    let near_number = i.checked_sub(1).is_some_and(|p| numeric(&t[p]))
        || t.get(end).is_some_and(numeric)
        || t[i..end].iter().any(numeric);
    if letters.chars().all(|c| c == 'i' || c == 'a') {
        return false;
    }
    // A spelling of the word beside it is one whatever follows ("hunter boyle b o y l e two
    // passengers"); otherwise a number nearby makes the letters a code.
    let spells_neighbour = t[i.saturating_sub(3)..(end + 3).min(t.len())]
        .iter()
        .any(|x| x.lower == letters);
    let cue = t[i.saturating_sub(5)..i]
        .iter()
        .any(|x| x.is_any(SPELL_CUES));
    spells_neighbour || cue && !near_number
}
