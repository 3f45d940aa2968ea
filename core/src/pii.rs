//! Where PII is detected: emails, phone numbers, US SSNs, payment cards (Luhn-checked), IBANs
//! (mod-97 checked) and dates of birth stated in context.
//!
//! Precision matters as much as recall: order numbers, amounts, timestamps, case ids and UUIDs
//! must not be reported. Candidates come from regexes (compiled once per process) and are then
//! confirmed by checksums and by their surroundings: a number glued to letters, dashes or other
//! digits is part of a larger token (a UUID, an order code) and is not PII on its own.

use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiKind {
    Email,
    Phone,
    Ssn,
    Card,
    Iban,
    DateOfBirth,
}

impl PiiKind {
    pub const ALL: [PiiKind; 6] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::Ssn,
        PiiKind::Card,
        PiiKind::Iban,
        PiiKind::DateOfBirth,
    ];

    /// The name reported in `pii_types`.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Ssn => "ssn",
            PiiKind::Card => "card",
            PiiKind::Iban => "iban",
            PiiKind::DateOfBirth => "date_of_birth",
        }
    }

    /// The typed placeholder used by redaction.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Ssn => "[SSN]",
            PiiKind::Card => "[CARD]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::DateOfBirth => "[DOB]",
        }
    }
}

/// One detected item: byte offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiiMatch {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
}

fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests; failing here is a programming error.
    Regex::new(pattern).expect("built-in PII pattern compiles")
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b[a-z0-9][a-z0-9._%+'-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\b",
    )
});
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"));
static CARD: LazyLock<Regex> = LazyLock::new(|| re(r"\b\d(?:[ -]?\d){12,18}\b"));
static SSN: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{3})[- ](\d{2})[- ](\d{4})\b"));
static PHONE_INTL: LazyLock<Regex> = LazyLock::new(|| re(r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}"));
static PHONE_NATIONAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\(\d{2,5}\)[ .-]?|\b\d{2,5}[ .-])\d{3,4}[ .-]?\d{3,4}\b"));
static DOB: LazyLock<Regex> = LazyLock::new(|| {
    let month = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?";
    let date = format!(
        r"(\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}|{month} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{month},? \d{{4}})"
    );
    re(&format!(
        r"(?i)\b(?:d\.?o\.?b\.?|date of birth|birth ?date|born(?: on)?|birthday(?: is)?)\s*(?:is|was|[:=-])?\s*{date}"
    ))
});

/// All PII in `text`, in order, without overlaps (the more specific kind wins an overlap).
pub fn find_pii(text: &str) -> Vec<PiiMatch> {
    let mut found: Vec<PiiMatch> = Vec::new();
    let mut push = |kind, start, end| found.push(PiiMatch { kind, start, end });
    // Every pattern but the e-mail one needs a digit (`\d` is any Unicode decimal digit, which
    // `is_numeric` includes), and the e-mail one an '@': most turns have neither, and skipping
    // the scans they cannot match is most of the PII cost saved.
    if text.as_bytes().contains(&b'@') {
        for m in EMAIL.find_iter(text) {
            push(PiiKind::Email, m.start(), m.end());
        }
    }
    let has_digit = if text.is_ascii() {
        text.bytes().any(|b| b.is_ascii_digit())
    } else {
        text.chars().any(char::is_numeric)
    };
    if !has_digit {
        return found;
    }
    for m in IBAN.find_iter(text) {
        if iban_valid(m.as_str()) {
            push(PiiKind::Iban, m.start(), m.end());
        }
    }
    for m in CARD.find_iter(text) {
        if isolated(text, m.start(), m.end()) && card_valid(m.as_str()) {
            push(PiiKind::Card, m.start(), m.end());
        }
    }
    for c in SSN.captures_iter(text) {
        let m = c.get(0).map_or(0..0, |m| m.range());
        let same_sep = text[m.clone()].as_bytes().get(3) == text[m.clone()].as_bytes().get(6);
        if same_sep && isolated(text, m.start, m.end) && ssn_valid(&c[1], &c[2], &c[3]) {
            push(PiiKind::Ssn, m.start, m.end);
        }
    }
    for c in DOB.captures_iter(text) {
        if let Some(d) = c.get(1) {
            push(PiiKind::DateOfBirth, d.start(), d.end());
        }
    }
    for m in PHONE_INTL
        .find_iter(text)
        .chain(PHONE_NATIONAL.find_iter(text))
    {
        let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
        let intl = m.as_str().starts_with('+');
        let ok_len = if intl {
            (8..=15).contains(&digits)
        } else {
            (9..=11).contains(&digits)
        };
        if ok_len && isolated(text, m.start(), m.end()) {
            push(PiiKind::Phone, m.start(), m.end());
        }
    }
    // Earlier start first; at the same start, the longer match; then the earlier-pushed kind.
    found.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let mut out: Vec<PiiMatch> = Vec::with_capacity(found.len());
    for m in found {
        if out.last().is_none_or(|last| m.start >= last.end) {
            out.push(m);
        }
    }
    out
}

/// A number is PII on its own only when it is not glued to a larger token: no letter, digit,
/// dash, underscore, slash or `@` right before or after it (UUIDs, order codes, paths, emails).
fn isolated(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '@' | '#');
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    // A sentence may end right after a number ("call 555-123-4567."), so '.' and ',' after are fine,
    // but "1.234.567" style digits after a dot are not.
    let after_ok = match after {
        Some('.') | Some(',') => !text[end + 1..].starts_with(|c: char| c.is_ascii_digit()),
        Some(c) => !glued(c),
        None => true,
    };
    let before_ok = match before {
        Some('.') | Some(',') => !text[..start - 1].ends_with(|c: char| c.is_ascii_digit()),
        Some(c) => !glued(c),
        None => true,
    };
    before_ok && after_ok
}

/// Luhn over 13–19 digits with a real card prefix (Visa, Mastercard, Amex, Discover, JCB,
/// Diners, UnionPay, Maestro): random 16-digit order numbers pass Luhn one time in ten.
pub fn card_valid(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    let prefix = |n: usize| digits[..n].iter().fold(0u32, |acc, d| acc * 10 + d);
    let known_prefix = matches!(digits[0], 4)
        || (51..=55).contains(&prefix(2))
        || (2221..=2720).contains(&prefix(4))
        || matches!(
            prefix(2),
            34 | 37 | 36 | 38 | 30 | 35 | 62 | 65 | 50 | 56..=58 | 63 | 67
        )
        || prefix(4) == 6011;
    if !known_prefix {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1.
pub fn iban_valid(candidate: &str) -> bool {
    let s: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&s.len()) {
        return false;
    }
    let rearranged = s[4..].chars().chain(s[..4].chars());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// SSA rules: no area 000, 666 or 900–999; no group 00; no serial 0000.
fn ssn_valid(area: &str, group: &str, serial: &str) -> bool {
    let area: u32 = area.parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && group != "00" && serial != "0000"
}

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;
