//! Dates that are PII: a date of birth after words that say so ("date of birth", "DOB", "born
//! on", "my birthday's the fourth of july ninety nine"), and a card's expiry given as a month
//! name ("expires in August 2028"). Other dates (deliveries, statements, promotions) are not.
//! Numeric expiry dates ("exp 11/26", "valid thru twelve twenty seven") are read in context.rs.

use regex::Regex;
use std::sync::LazyLock;

const MONTH: &str = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?";

/// A full date as dates of birth are given: numeric (14/03/1984, 1984-03-14, or the bare
/// digits speech gives, "oh four oh nine nineteen ninety three"), or with the month's name
/// ("March 3rd, 1990", "the twelfth of june nineteen eighty eight"), "the" included.
fn date_pattern() -> String {
    format!(
        r"(\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}|{MONTH} (?:the )?\d{{1,2}}(?:st|nd|rd|th)?,? (?:\d{{4}}|\d{{2}})|(?:the )?\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTH},? (?:\d{{4}}|\d{{2}})|\d{{6}}|\d{{8}})\b"
    )
}

/// The words that say a date is a birth date, in English and the languages of EU forms
/// ("Geburtsdatum", "date de naissance", "fecha de nacimiento", "geboortedatum").
const BIRTH: &str = r"d\.? ?o\.? ?b\.?|date of birth|birth ?date|born|birthday(?:'s)?|geburtsdatum|date de naissance|fecha de nacimiento|data di nascita|geboortedatum|data urodzenia";

static DOB: LazyLock<Regex> = LazyLock::new(|| {
    let date = date_pattern();
    super::pattern::re(&format!(r"(?i)\b(?:{BIRTH})\b[^\d\n]{{0,32}}?\b{date}"))
});

/// A date alone: a bare answer to "can I take your date of birth".
/// "born august nineteen ninety five": a month and a year after a birth word.
static BORN_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(&format!(
        r"(?i)\b(?:born|birth ?date|date of birth|birthday)\b[^\d\n]{{0,12}}?\b({MONTH},? (?:of )?(?:19|20)\d\d)\b"
    ))
});

static DATE: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(&format!(r"(?i)\b{}", date_pattern())));

static EXPIRY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(&format!(
        r"(?i)\b(?:exp(?:iry|iration|ires?)?(?: date)?|valid (?:thru|through|until|till|to)|good (?:thru|through)|runs out)\b[^\d\n]{{0,16}}?\b({MONTH},? (?:of )?(?:\d{{4}}|\d{{2}}))\b"
    ))
});

/// What an expiry phrase is about when it is not a card: "the promotion expires on 12/31".
static NOT_A_CARD: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(
        r"(?i)\b(?:promotion|promo|offer|deal|contract|plan|subscription|trial|voucher|coupon|points?|policy|membership|warranty|quote|link|session|discount|sale|passport|licen[cs]e|insurance|lease|booking|reservation|ticket|price|rate)s?\b",
    )
});

/// True when the few words before an expiry phrase at `at` say what expires is not a card.
pub fn not_a_card(t: &str, at: usize) -> bool {
    let mut from = at.saturating_sub(40);
    while !t.is_char_boundary(from) {
        from += 1;
    }
    NOT_A_CARD.is_match(&t[from..at])
}

/// Dates of birth and month-name card expiries in `t`, as (kind, start, end).
pub fn find(t: &str, born: bool, out: &mut Vec<(super::kind::PiiKind, usize, usize)>) {
    let before = out.len();
    // `born`: the text says "born" or "birth"; most texts do not, and need no search.
    for c in BORN_MONTH
        .find_iter(if born { t } else { "" })
        .filter_map(|m| BORN_MONTH.captures_at(t, m.start()))
    {
        if let Some(d) = c.get(1) {
            out.push((super::kind::PiiKind::DateOfBirth, d.start(), d.end()));
        }
    }
    for (s, e) in bare_birth_dates(t) {
        out.push((super::kind::PiiKind::DateOfBirth, s, e));
    }
    for c in DOB
        .find_iter(t)
        .filter_map(|m| DOB.captures_at(t, m.start()))
    {
        if let Some(d) = c.get(1) {
            let s = d.as_str();
            if !s.bytes().all(|b| b.is_ascii_digit()) || compact_date(s) {
                out.push((super::kind::PiiKind::DateOfBirth, d.start(), d.end()));
            }
        }
    }
    // "born august nineteen ninety five no august nineteenth ninety five": the date taken
    // back is followed by the one meant.
    let births: Vec<usize> = out[before..].iter().map(|d| d.2).collect();
    for end in births {
        let Some(c) = DATE.captures_at(t, end) else {
            continue;
        };
        if let Some(d) = c.get(1) {
            if super::labels::correction(&t[end..d.start()]) && plausible(d.as_str()) {
                out.push((super::kind::PiiKind::DateOfBirth, d.start(), d.end()));
            }
        }
    }
    for c in EXPIRY_MONTH
        .find_iter(t)
        .filter_map(|m| EXPIRY_MONTH.captures_at(t, m.start()))
    {
        if let (Some(whole), Some(d)) = (c.get(0), c.get(1)) {
            if !not_a_card(t, whole.start()) {
                out.push((super::kind::PiiKind::CardExpiry, d.start(), d.end()));
            }
        }
    }
}

/// The date in `t`, a bare answer to a question asking for a date of birth, as a byte range.
pub fn birth_date_answer(t: &str) -> Option<(usize, usize)> {
    let d = DATE.captures(t)?.get(1)?;
    let s = d.as_str();
    plausible(s).then_some((d.start(), d.end()))
}

/// A date whose day and month can be a day and a month: bare digits as `compact_date` reads
/// them, "14/03/84" or "03/14/84" with their separators (not a sort code's "60-90-44").
fn plausible(s: &str) -> bool {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return compact_date(s);
    }
    let parts: Vec<&str> = s.split(['/', '.', '-']).collect();
    match parts[..] {
        [a, b, _] if a.len() <= 2 => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => {
                (1..=12).contains(&a) && (1..=31).contains(&b)
                    || (1..=31).contains(&a) && (1..=12).contains(&b)
            }
            // a month's name
            _ => true,
        },
        // 1984-03-14, or a month's name
        _ => true,
    }
}

/// Words a bare answer may hold besides its date: "it's", "um", "yeah", "no sorry".
const ANSWER_WORDS: &[&str] = &[
    "it's", "its", "it", "is", "um", "uh", "er", "erm", "yeah", "yes", "so", "that's", "sure",
    "no", "sorry", "i", "mean", "wait", "oh", "okay", "ok", "right",
];

/// A turn that is only a full date (or a date and its correction) whose year is a birth year,
/// 1920-2012 (or two digits from 30): what a caller says answering "and your date of birth?" ("it's seventh of october
/// nineteen seventy two"). Dates of deliveries, bills and contracts come with words saying so,
/// and have recent years.
fn bare_birth_dates(t: &str) -> Vec<(usize, usize)> {
    let mut dates = Vec::new();
    // A bare answer is short; most texts are not, and need no search.
    if t.len() > 120 {
        return dates;
    }
    let mut at = 0;
    for c in DATE.captures_iter(t) {
        let Some(d) = c.get(1) else { continue };
        let between = t[at..d.start()].split(|c: char| !c.is_alphanumeric() && c != '\'');
        if between
            .filter(|w| !w.is_empty())
            .any(|w| !ANSWER_WORDS.contains(&w.to_ascii_lowercase().as_str()))
        {
            return Vec::new();
        }
        let year: String = d
            .as_str()
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        let year: String = year.chars().rev().collect();
        let old = match year.len() {
            4 => year
                .parse::<u32>()
                .is_ok_and(|y| (1920..=2012).contains(&y)),
            2 => year.parse::<u32>().is_ok_and(|y| y >= 30),
            8 => year[4..]
                .parse::<u32>()
                .is_ok_and(|y| (1920..=2012).contains(&y)),
            _ => false,
        };
        if !old || !plausible(d.as_str()) || dates.len() == 2 {
            return Vec::new();
        }
        dates.push((d.start(), d.end()));
        at = d.end();
    }
    let rest = t[at..].trim_matches(|c: char| !c.is_alphanumeric());
    // "... nineteen fifty seven that's for my dad": whose date it is, after it.
    let whose = ["that's ", "thats ", "for "]
        .iter()
        .any(|w| rest.to_ascii_lowercase().starts_with(w))
        && rest.split_whitespace().count() <= 5;
    if rest.is_empty() || whose && !dates.is_empty() {
        dates
    } else {
        Vec::new()
    }
}

/// A date spoken as bare digits ("ten ten sixty two" -> 101062): day and month in either
/// order, then a two- or four-digit year; or year first.
fn compact_date(s: &str) -> bool {
    let n = |a: usize, b: usize| s[a..b].parse::<u32>().unwrap_or(0);
    let day_month = |a: u32, b: u32| {
        ((1..=12).contains(&a) && (1..=31).contains(&b))
            || ((1..=31).contains(&a) && (1..=12).contains(&b))
    };
    match s.len() {
        6 => day_month(n(0, 2), n(2, 4)),
        8 => {
            (day_month(n(0, 2), n(2, 4)) && (1900..=2099).contains(&n(4, 8)))
                || ((1900..=2099).contains(&n(0, 4)) && day_month(n(4, 6), n(6, 8)))
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "dates_tests.rs"]
mod tests;
