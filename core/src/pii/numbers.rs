//! Every detector of numbers, in one pass over a text whose spoken numbers were rewritten as
//! digits (spoken.rs): IBANs, cards, SSNs and phones by their shape and checksum; the numbers
//! named by the words around them (context.rs); dates (dates.rs); IP addresses (ip.rs).
//!
//! A number that its words call something else ("order", "lot number", "SKU") is not reported
//! by shape alone, and a shape-only match (a phone or SSN pattern) gives way to a number whose
//! words say what it is ("NY license: 493 028 716").

use super::checks::{card_valid, company_line, iban_valid, isolated, number_runs, ssn_valid};
use super::context;
use super::kind::{PiiKind, PiiMatch};
use super::labels::{self, named_other, named_other_id};
use super::spoken::Spoken;
use super::{dates, ip};
use regex::Regex;
use std::sync::LazyLock;

static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
});
/// An IBAN spelled out: "g b 92 n w b k 53902503740609" once the digits are rewritten.
static SPELLED_IBAN: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"\b[a-z] [a-z] \d\d+(?: (?:[a-z]|\d+)\b)*"));
static CARD: LazyLock<Regex> = LazyLock::new(|| super::pattern::re(r"\b\d(?:[ -]?\d){12,18}\b"));
static SSN: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"\b(\d{3})[- ](\d{2})[- ](\d{4})\b"));
static PHONE_INTL: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}"));
static PHONE_NATIONAL: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(
        r"(?:\b1[ .-]?)?(?:\(\d{2,5}\)[ .-]?|\b\d{2,5}[ .-])\d{3,4}[ .-]?\d{3,4}\b|\b0[1-37]\d{9}\b",
    )
});
/// "born", "birth", "digit", "character": the words two scans need (see `find`).
static CUE_WORDS: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"(?i)born|birt|digit|characte"));
/// A UK National Insurance number ("QQ 12 34 56 C"), reported as an SSN: the national
/// social-insurance number.
static NINO: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"));

/// The shortest PII number (a card security code) has three digits, and most turns have
/// fewer; a password ("bluebird77") may have one or two.
fn enough_digits(t: &str) -> bool {
    let n = digits_not_times(t, 3);
    n >= 3 || n > 0 && n >= needed(t)
}

/// Digits a PII number needs here: three, but one after a password cue and two (a month
/// named, then its year: "expiry may twenty nine") after an expiry cue.
fn needed(t: &str) -> usize {
    let (mut pass, mut exp) = (false, false);
    for w in t.as_bytes().windows(3) {
        match w[0] | 0x20 {
            b'p' => pass |= w[1..].eq_ignore_ascii_case(b"as"),
            b'e' => exp |= w[1..].eq_ignore_ascii_case(b"xp"),
            _ => {}
        }
    }
    if pass {
        1
    } else if exp {
        2
    } else {
        3
    }
}

/// How many digits `t` has (counting up to `max`) outside clock times and timestamps
/// ("10:42", "2024-05-01T10:00:00Z"): every rendered transcript line starts with one, and
/// they are never PII, so a line with nothing else needs no reading.
fn digits_not_times(t: &str, max: usize) -> usize {
    if !t.is_ascii() {
        return t.chars().filter(|c| c.is_numeric()).take(max).count();
    }
    let b = t.as_bytes();
    let mut n = 0;
    for (s, e) in number_runs(t) {
        n += b[s..e].iter().filter(|c| c.is_ascii_digit()).count();
        if n >= max {
            return max;
        }
    }
    n
}

/// Whether `text` can hold a PII number at all, decided before any rewriting: three digits or
/// number words between them (the shortest, a card security code, has three), or fewer with a
/// password or expiry cue (`needed`). Most turns have neither, and rewriting their words is most of the cost.
fn worth_reading(text: &str) -> bool {
    // "twenty", "nineteen", "hundred" say two digits or more.
    let mut said = digits_not_times(text, 3);
    if said < 3 {
        for w in super::spoken::number_words(text) {
            said += super::spoken::digits_said(&text[w.0..w.1]);
            if said >= 3 {
                break;
            }
        }
    }
    // Most turns say no digit at all: the cue words are looked for only when one is there.
    said >= 3 || said > 0 && said >= needed(text)
}

/// Numbers that are PII in `text`, pushed to `found` with offsets into `text`.
pub fn find(text: &str, found: &mut Vec<PiiMatch>) {
    if !worth_reading(text) {
        return;
    }
    let spoken = Spoken::of(text);
    let t: &str = &spoken.text;
    if !enough_digits(t) {
        return;
    }
    let labels = labels::labels_near_numbers(t);
    let other = |s: usize, e: usize| named_other(t, &labels, s, e);
    let mut strong: Vec<(PiiKind, usize, usize)> = Vec::new();
    let mut weak: Vec<(PiiKind, usize, usize)> = Vec::new();
    // The shape patterns need many digits (a card 13, an SSN 9, a phone 8, an IBAN more than
    // 8, a National Insurance number 6 after capitals): counted once, most texts run none.
    let n = t.bytes().filter(u8::is_ascii_digit).count();
    let capitals = t.bytes().any(|b| b.is_ascii_uppercase());
    let (iban, cards, ssns, phones) = (n >= 8 && capitals, n >= 13, n >= 9, n >= 8);
    for m in IBAN.find_iter(if iban { t } else { "" }) {
        if iban_valid(m.as_str()) {
            strong.push((PiiKind::Iban, m.start(), m.end()));
        }
    }
    if spoken.rewritten() && n >= 8 {
        for m in SPELLED_IBAN.find_iter(t) {
            let id: String = m.as_str().chars().filter(|c| *c != ' ').collect();
            if iban_valid(&id.to_ascii_uppercase()) {
                strong.push((PiiKind::Iban, m.start(), m.end()));
            }
        }
    }
    for m in CARD.find_iter(if cards { t } else { "" }) {
        let (s, e) = (m.start(), m.end());
        if isolated(t, s, e) && card_valid(m.as_str()) && !named_other_id(t, &labels, s, e) {
            strong.push((PiiKind::Card, s, e));
        }
    }
    for c in SSN
        .find_iter(if ssns { t } else { "" })
        .filter_map(|m| SSN.captures_at(t, m.start()))
    {
        let m = c.get(0).map_or(0..0, |m| m.range());
        let same_sep = t[m.clone()].as_bytes().get(3) == t[m.clone()].as_bytes().get(6);
        if same_sep
            && isolated(t, m.start, m.end)
            && ssn_valid(&c[1], &c[2], &c[3])
            && !other(m.start, m.end)
        {
            weak.push((PiiKind::Ssn, m.start, m.end));
        }
    }
    let phone_text = if phones { t } else { "" };
    for m in PHONE_INTL
        .find_iter(phone_text)
        .chain(PHONE_NATIONAL.find_iter(phone_text))
    {
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        let ok_len = if m.as_str().starts_with('+') {
            (8..=15).contains(&digits)
        } else {
            (9..=11).contains(&digits)
        };
        if ok_len
            && isolated(t, m.start(), m.end())
            && !after_code(t, m.start())
            && !other(m.start(), m.end())
            && !company_line(m.as_str())
        {
            weak.push((PiiKind::Phone, m.start(), m.end()));
        }
    }
    for m in NINO.find_iter(if capitals && n >= 6 { t } else { "" }) {
        if !other(m.start(), m.end()) {
            strong.push((PiiKind::Ssn, m.start(), m.end()));
        }
    }
    context::find(t, &labels, &mut strong);
    // The words the birth-date and digit-position scans need, found in one pass: most texts
    // have none of them.
    let (mut born, mut digit_words) = (false, false);
    for m in CUE_WORDS.find_iter(t) {
        if m.as_str().as_bytes()[0] | 0x20 == b'b' {
            born = true;
        } else {
            digit_words = true;
        }
    }
    let mut positions = Vec::new();
    if digit_words {
        super::positions::find(t, &mut positions);
    }
    strong.extend(positions.into_iter().map(|(s, e)| (PiiKind::Pin, s, e)));
    dates::find(t, born, &mut strong);
    let mut ips = Vec::new();
    ip::find(t, &mut ips);
    for (s, e) in ips {
        if !other(s, e) {
            strong.push((PiiKind::IpAddress, s, e));
        }
    }
    weak.retain(|w| !strong.iter().any(|s| s.1 < w.2 && w.1 < s.2));
    for (kind, s, e) in strong.into_iter().chain(weak) {
        let (start, end) = spoken.original(s, e);
        found.push(PiiMatch { kind, start, end });
    }
}

/// "1Z 9X4 81E 03 4471 2206": digits right after a code of letters and digits are its end,
/// not a phone number of their own.
fn after_code(t: &str, start: usize) -> bool {
    let Some(head) = t[..start].strip_suffix(' ') else {
        return false;
    };
    let word = head.rsplit(' ').next().unwrap_or("");
    word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
        && word.bytes().all(|b| b.is_ascii_alphanumeric())
}
