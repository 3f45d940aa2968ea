//! Numbers that are PII because of what the words around them call them: card security codes,
//! expiry dates, PINs and passcodes, bank account, routing and sort-code numbers, passport and
//! driver's licence numbers, and SSNs and phone numbers written without separators.
//!
//! Each number-like token takes the label that names it (labels.rs: "account number is
//! 31926819", "021343063 for the routing number"), and the label says what to check: length,
//! checksum, shape. The text is read after `spoken` rewrote spoken numbers.

use super::checks::{aba_valid, company_line, iban_valid, ssn_valid};
use super::kind::PiiKind;
use super::labels::{correction, label_of, Found, Label};
use regex::Regex;
use std::sync::LazyLock;

/// A number-like token: digits, possibly with letters, joined by single spaces, dots, dashes
/// or slashes to more of the same ("4000 0000 0000 0077", "W426-781-52-103-0", "09/27").
static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(r"\b[A-Za-z0-9]*\d[A-Za-z0-9]*(?:[ ./-][A-Za-z0-9]*\d[A-Za-z0-9]*)*")
});

/// Context-labelled numbers in `t`, as (kind, start, end) in `t`.
pub fn find(t: &str, labels: &[Found], out: &mut Vec<(PiiKind, usize, usize)>) {
    let mut sort_code_at = None;
    let mut unlabelled_eight = Vec::new();
    let mut unlabelled_sort = Vec::new();
    // The labels that have named a number (their starts).
    let mut used: Vec<usize> = Vec::new();
    let card_labels = labels
        .iter()
        .any(|l| matches!(l.label, Label::Cvv | Label::Expiry));
    // The label and end of the last number it named: a number taken back ("sort code forty
    // forty seventy no sorry forty forty seventy one") is followed by the one meant, and
    // someone's number by another's ("... is PB0419376; mine is PB0419387").
    let mut last: Option<(Found, usize)> = None;
    for m in CANDIDATE.find_iter(t) {
        let (mut start, end) = (m.start(), m.end());
        // A number glued to a word by a dash or dot ("DL-4500X", "v2.1") belongs to it.
        if t[..start].ends_with(['-', '.', '/', '$', '£', '€', '#']) && !t[..start].ends_with(" #")
        {
            continue;
        }
        if let Some(l) = labels.iter().find(|l| l.start < end && l.end > start) {
            // "CVV2 255": the part after the label is the number.
            if l.end >= end {
                continue;
            }
            start = end - t[l.end..end].trim_start().len();
            if start >= end || !t[start..end].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                continue;
            }
        }
        // "+1 415 555 0123": the plus belongs to the number.
        if t[..start].ends_with('+') {
            start -= 1;
        }
        let label = match last {
            Some((l, e)) if t.get(e..start).is_some_and(correction) => Some(l),
            // "sort code 40-47-70 / 31926819", "ACH: 281058703, 99621717": bank details
            // given together, the account after its bank's code.
            Some((l, e)) if paired(t, l, e, start) => Some(Found {
                label: Label::Account,
                ..l
            }),
            // "password is Kestrel!88": the label names the word the digits end.
            _ => label_of(t, labels, whole_word(t, start, end).0, end)
                .map(|l| card_code(t, l, out))
                .or_else(|| card_labels.then(|| pending(t, labels, &used, start))?),
        };
        let value = &t[start..end];
        let kind = label.and_then(|l| judge(t, l, start, end));
        let licence = if kind.is_none() && label.is_none() {
            super::licence::by_state(t, start, end)
        } else {
            None
        };
        match kind {
            Some((k, s, e)) => {
                if k == PiiKind::SortCode {
                    sort_code_at = Some(s);
                }
                if let Some(l) = label {
                    used.push(l.start);
                }
                last = label.map(|l| (l, e));
                out.push((k, s, e));
            }
            // "Illinois K773-2844-1481": a licence by its state
            None if label.is_none() && licence.is_some() => {
                if let Some((s, e)) = licence {
                    out.push((PiiKind::DriversLicence, s, e));
                }
            }
            None if plain(value)
                && digits(value) == 8
                && label.is_none_or(|l| l.label == Label::SortCode) =>
            {
                unlabelled_eight.push((start, end));
            }
            None if label.is_none()
                && sort_code(value)
                && value.as_bytes().get(2) == Some(&b'-') =>
            {
                unlabelled_sort.push((start, end));
            }
            None => {}
        }
    }
    // A UK account number is eight digits given with its sort code, often with no label, and
    // a sort code written as one ("23-94-60") is one when an account number is given with it.
    let account = out.iter().any(|o| o.0 == PiiKind::BankAccount) || !unlabelled_eight.is_empty();
    if sort_code_at.is_some() || !unlabelled_sort.is_empty() {
        for (s, e) in unlabelled_eight {
            out.push((PiiKind::BankAccount, s, e));
        }
    }
    if account {
        for (s, e) in unlabelled_sort {
            out.push((PiiKind::SortCode, s, e));
        }
    }
}

/// The number at `start` follows a bank's code (`l` named it, ending at `end`) with only a
/// slash or comma between them.
fn paired(t: &str, l: Found, end: usize, start: usize) -> bool {
    matches!(l.label, Label::SortCode | Label::Routing)
        && t.get(end..start)
            .is_some_and(|g| matches!(g.trim(), "/" | "," | "and"))
}

/// "expiry oh six slash twenty nine and the code is four eight two": after a card number or
/// its expiry, "the code" is the security code.
fn card_code(t: &str, l: Found, out: &[(PiiKind, usize, usize)]) -> Found {
    let card = out
        .iter()
        .any(|o| matches!(o.0, PiiKind::Card | PiiKind::CardExpiry) && o.2 <= l.start);
    if l.label == Label::Other && card && t[l.start..l.end].eq_ignore_ascii_case("code") {
        Found {
            label: Label::Cvv,
            ..l
        }
    } else {
        l
    }
}

/// "Just the expiry and the CVV now please. Thanks, 03/28 and 915.": values given in the order
/// they were asked for, after the sentence that asked. The first card label before `start` not
/// yet given its number.
fn pending(t: &str, labels: &[Found], used: &[usize], start: usize) -> Option<Found> {
    labels
        .iter()
        .filter(|l| l.end <= start && start - l.end <= 160 && !used.contains(&l.start))
        .find(|l| matches!(l.label, Label::Cvv | Label::Expiry))
        .filter(|l| !t[l.end..start].contains(|c: char| c.is_ascii_digit()) || !used.is_empty())
        .copied()
}

/// The one number of a bare answer, read as the thing `label` named in the question before it.
pub fn judge_answer(t: &str, label: Label) -> Option<(PiiKind, usize, usize)> {
    let mut found = CANDIDATE.find_iter(t);
    let m = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let asked = Found {
        label,
        start: 0,
        end: 0,
    };
    judge(t, asked, m.start(), m.end())
}

fn digits(v: &str) -> usize {
    v.bytes().filter(u8::is_ascii_digit).count()
}

fn plain(v: &str) -> bool {
    v.bytes().all(|b| b.is_ascii_digit())
}

/// Digits with at most spaces or dashes between them.
fn numeric(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_digit() || b == b' ' || b == b'-')
}

/// "last four" or "last 4" just before `start`: the last digits of a number.
fn last_four_before(t: &str, start: usize) -> bool {
    let head = t[..start].to_ascii_lowercase();
    let near = &head[head.len().saturating_sub(24)..];
    near.contains("last four") || near.contains("last 4")
}

/// Single letters spelled before a number ("c 47829165", "p a 1552730"), up to `max`.
fn spelled_start(t: &str, start: usize, max: usize) -> usize {
    let b = t.as_bytes();
    let mut s = start;
    for _ in 0..max {
        let single = s >= 2
            && b[s - 1] == b' '
            && b[s - 2].is_ascii_alphabetic()
            && (s == 2 || !b[s - 3].is_ascii_alphanumeric());
        if !single {
            break;
        }
        s -= 2;
    }
    s
}

/// Single letters and digits spelled after a number ("752283 m a 9 t w"), up to six.
fn spelled_end(t: &str, end: usize) -> usize {
    let b = t.as_bytes();
    let mut e = end;
    for _ in 0..6 {
        let single = b.get(e) == Some(&b' ')
            && b.get(e + 1).is_some_and(u8::is_ascii_alphanumeric)
            && b.get(e + 2).is_none_or(|c| !c.is_ascii_alphanumeric());
        if !single {
            break;
        }
        e += 2;
    }
    e
}

/// What the number at `start..end` is, given its label, checked by length, shape and checksum.
fn judge(t: &str, l: Found, start: usize, end: usize) -> Option<(PiiKind, usize, usize)> {
    let v = &t[start..end];
    let n = digits(v);
    let kind = match l.label {
        Label::Cvv if plain(v) && (3..=4).contains(&n) => PiiKind::Cvv,
        // "ten slash thirty and the three digit code ...": the expiry before the code.
        Label::Cvv | Label::Card if v.contains('/') && expiry(v) => PiiKind::CardExpiry,
        Label::Expiry if expiry(v) => {
            if super::dates::not_a_card(t, l.start) {
                return None;
            }
            PiiKind::CardExpiry
        }
        Label::Pin if numeric(v) && (4..=8).contains(&n) => PiiKind::Pin,
        Label::Password => return password(t, l, start, end),
        Label::SsnLast4 if plain(v) && n == 4 => PiiKind::Ssn,
        Label::Ssn if ssn(v) => PiiKind::Ssn,
        // "the last four are oh nine one three for the social"
        Label::Ssn if plain(v) && n == 4 && last_four_before(t, start) => PiiKind::Ssn,
        Label::Routing if plain(v) && aba_valid(v) => PiiKind::RoutingNumber,
        Label::SortCode if sort_code(v) => PiiKind::SortCode,
        // "It's 56-00-29 and the account is ...": written like a sort code, it is one.
        Label::Account if sort_code(v) && v.len() == 8 => PiiKind::SortCode,
        Label::SortCode | Label::Account if numeric(v) && n == 8 => PiiKind::BankAccount,
        Label::Account if numeric(v) && (6..=17).contains(&n) => PiiKind::BankAccount,
        Label::Passport => {
            let s = spelled_start(t, start, 3);
            let id: String = t[s..end].chars().filter(|c| *c != ' ').collect();
            // German and Dutch passports mix letters and digits ("C4J8R2T7K").
            let ok = id.chars().all(|c| c.is_ascii_alphanumeric())
                && (6..=12).contains(&id.len())
                && (digits(&id) >= 5 || id.len() >= 8 && digits(&id) >= 3);
            return ok.then_some((PiiKind::Passport, s, end));
        }
        Label::Licence => {
            // A UK licence spelled out: "k e l l y 752283 m a 9 t w".
            let (s, e) = (spelled_start(t, start, 5), spelled_end(t, end));
            let id = &t[s..e];
            let ok = id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
                && (5..=24).contains(&id.bytes().filter(|&b| b != b' ').count())
                && digits(id) >= 4;
            return ok.then_some((PiiKind::DriversLicence, s, e));
        }
        Label::Iban => {
            let s = spelled_start(t, start, 3);
            let id: String = t[s..end].chars().filter(|c| *c != ' ').collect();
            return iban_valid(&id.to_ascii_uppercase()).then_some((PiiKind::Iban, s, end));
        }
        Label::Phone if phone(v) && !company_line(v) => PiiKind::Phone,
        _ => return None,
    };
    Some((kind, start, end))
}

/// MM/YY, MM/YYYY, MM-YY, or MMYY as speech gives it ("oh nine twenty eight").
fn expiry(v: &str) -> bool {
    let (m, y) = match v.split_once(['/', '-']) {
        Some((m, y)) => (m, y),
        None if v.len() == 4 || v.len() == 6 => v.split_at(2),
        None => return false,
    };
    let month_ok = plain(m)
        && (1..=2).contains(&m.len())
        && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    let year_ok = plain(y) && (y.len() == 2 || (y.len() == 4 && y.starts_with("20")));
    month_ok && year_ok
}

fn ssn(v: &str) -> bool {
    let d: String = v.chars().filter(char::is_ascii_digit).collect();
    numeric(v) && d.len() == 9 && ssn_valid(&d[..3], &d[3..5], &d[5..])
}

/// 12-34-56, 12 34 56, 123456, or an Australian BSB 062-000 or 062 000.
fn sort_code(v: &str) -> bool {
    let b = v.as_bytes();
    (plain(v) && b.len() == 6)
        || (b.len() == 7 && matches!(b[3], b'-' | b' ') && plain(&v[..3]) && plain(&v[4..]))
        || (b.len() == 8
            && b[2] == b[5]
            && matches!(b[2], b'-' | b' ')
            && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit()))
}

/// A phone number the shape patterns miss: ten or eleven digits run together (as speech gives
/// them), or a local seven ("555-0101", "five five five one two three four").
fn phone(v: &str) -> bool {
    let n = digits(v);
    if let Some(intl) = v.strip_prefix('+') {
        return numeric(intl) && (8..=15).contains(&n);
    }
    let first = v.as_bytes().first().copied().unwrap_or(b'0');
    (numeric(v) && (n == 10 && first != b'1' || n == 11 && matches!(first, b'0' | b'1')))
        || (n == 7 && (plain(v) || v.len() == 8 && v.as_bytes()[3] == b'-'))
}

/// A spoken or written password or passcode: digits (a passcode), a token of letters and
/// digits ("bluebird77"), or a word and a number ("sunflower nineteen").
fn password(t: &str, l: Found, start: usize, end: usize) -> Option<(PiiKind, usize, usize)> {
    // "is Kestrel!88", "is p@ss-word9": a password is the whole word the digits are in.
    let (start, end) = if l.end <= start {
        whole_word(t, start, end)
    } else {
        (start, end)
    };
    let v = &t[start..end];
    if numeric(v) && (4..=12).contains(&digits(v)) {
        return Some((PiiKind::Pin, start, end));
    }
    let token = v.bytes().all(|b| b.is_ascii_graphic()) && (4..=32).contains(&v.len());
    // The label may follow the value ("... that's my pin"): then there is no gap.
    let gap = t.get(l.end..start).unwrap_or("");
    let linking = [
        "is", "was", "be", "are", "it's", "to", "as", "my", "the", "now", "up", "set",
    ];
    // One or two words before the number ("sunflower nineteen", "blue heron eighty one").
    let word = |w: &&str| {
        w.bytes().all(|b| b.is_ascii_alphabetic())
            && !linking.contains(&w.to_ascii_lowercase().as_str())
            && !super::words::is_stop(&w.to_ascii_lowercase())
    };
    let taken: Vec<&str> = gap
        .split_whitespace()
        .rev()
        .take(2)
        .take_while(word)
        .collect();
    let said: usize = taken.iter().map(|w| w.len() + 1).sum();
    match taken.first() {
        Some(w) if gap.ends_with(&format!("{w} ")) => Some((PiiKind::Pin, start - said, end)),
        _ if token && v.bytes().any(|b| b.is_ascii_alphabetic()) => {
            Some((PiiKind::Pin, start, end))
        }
        _ => None,
    }
}

/// The whitespace-delimited word around `start..end`, without the punctuation that ends a
/// sentence after it.
fn whole_word(t: &str, start: usize, end: usize) -> (usize, usize) {
    let b = t.as_bytes();
    let glued = |i: Option<&u8>| i.is_some_and(|c| !c.is_ascii_whitespace());
    if !glued(start.checked_sub(1).and_then(|i| b.get(i))) && !glued(b.get(end)) {
        return (start, end);
    }
    let s = b[..start]
        .iter()
        .rposition(u8::is_ascii_whitespace)
        .map_or(0, |i| i + 1);
    let e = b[end..]
        .iter()
        .position(u8::is_ascii_whitespace)
        .map_or(t.len(), |i| end + i);
    let e = s + t[s..e].trim_end_matches([',', '.', '?', ';', ')']).len();
    if e >= end {
        (s, e)
    } else {
        (start, end)
    }
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
