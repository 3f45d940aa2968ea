//! PII that only shows across consecutive turns of a conversation: a card number read out in
//! two or three pieces ("four nine one seven..." / "okay" / "double oh double oh" / ...), and a
//! bare answer ("581", "double seven nine two") to a question that names what it is ("and the
//! three digits on the back?", "can you confirm your four digit pin").

use super::checks::card_valid;
use super::context;
use super::kind::{PiiKind, PiiMatch};
use super::labels::{self, Label};
use super::spoken::Spoken;
use regex::Regex;
use std::sync::LazyLock;

static RUN: LazyLock<Regex> = LazyLock::new(|| super::pattern::re(r"\d(?:[ -]?\d)*"));

/// PII in each of `turns`: what `find` reads in each turn, and what only the turns together
/// show (see `pii::find_pii_in_turns`).
pub fn in_turns(turns: &[&str], find: impl Fn(usize, &str) -> Vec<PiiMatch>) -> Vec<Vec<PiiMatch>> {
    let mut out: Vec<Vec<PiiMatch>> = turns.iter().enumerate().map(|(i, t)| find(i, t)).collect();
    let runs: Vec<_> = turns.iter().map(|t| runs(t)).collect();
    for i in 1..turns.len() {
        // Only a short turn with a number in it can be a bare answer; most turns are not.
        let reply = turns[i];
        if !out[i].is_empty() || runs[i].is_empty() || words(reply) > 24 {
            continue;
        }
        let given = answer(turns[i - 1], turns[i]);
        if !given.is_empty() {
            out[i] = given;
        } else if super::postcode::asks_for_zip(turns[i - 1]) {
            let mut codes = Vec::new();
            super::postcode::find_zip_answer(turns[i], &mut codes);
            out[i].extend(codes.into_iter().map(|(start, end)| PiiMatch {
                kind: PiiKind::Zip,
                start,
                end,
            }));
        }
    }
    split_cards(turns, &runs, &mut out);
    split_labelled(turns, &runs, &mut out);
    out
}

/// The digit runs of a turn, spoken or written, as (digits, start, end) in the turn; not
/// ordinals ("the first four") or the counts they give ("first eight", "last 4 digits").
fn runs(turn: &str) -> Vec<(String, usize, usize)> {
    let spoken = Spoken::of(turn);
    let t: &str = &spoken.text;
    let count = |s: usize, e: usize| {
        let suffix = t.as_bytes().get(e..e + 2).unwrap_or_default();
        let ordinal = ["st", "nd", "rd", "th"]
            .iter()
            .any(|o| suffix.eq_ignore_ascii_case(o.as_bytes()))
            && !t[e + 2..].starts_with(|c: char| c.is_ascii_alphanumeric());
        let before = t[..s].trim_end().as_bytes();
        let counted = e - s <= 2
            && ["first", "last", "next", "other", "final", "1st"]
                .iter()
                .any(|w| {
                    before.len() >= w.len()
                        && before[before.len() - w.len()..].eq_ignore_ascii_case(w.as_bytes())
                });
        // "that's eight digits", "a 4 digit code": a count of digits.
        let digits_count = t[e..]
            .trim_start()
            .get(..5)
            .is_some_and(|w| w.eq_ignore_ascii_case("digit"));
        ordinal || counted || digits_count
    };
    RUN.find_iter(t)
        .filter(|m| !count(m.start(), m.end()))
        .map(|m| {
            let (s, e) = spoken.original(m.start(), m.end());
            let digits = m.as_str().chars().filter(char::is_ascii_digit).collect();
            (digits, s, e)
        })
        .collect()
}

/// The number a turn reads out, as pieces (digits, start, end): its runs, a run taken back
/// ("seven oh four eight sorry seven oh four seven") replaced by the one after it, the span
/// of the correction covering both; up to the first run far from the one before.
fn read_out(turn: &str, runs: &[(String, usize, usize)]) -> Vec<(String, usize, usize)> {
    let mut out: Vec<(String, usize, usize)> = Vec::new();
    for (d, s, e) in runs {
        if let Some(last) = out.last_mut() {
            let gap = turn[last.2..*s].to_ascii_lowercase();
            let taken_back = ["sorry", "no", "i mean", "wait"]
                .iter()
                .any(|w| gap.contains(w));
            if taken_back && last.0.len() == d.len() {
                *last = (d.clone(), last.1, *e);
                continue;
            }
            // What follows a pause of words is something else ("... and exp is 12/29").
            if words(&gap) > 2 {
                break;
            }
        }
        out.push((d.clone(), *s, *e));
    }
    out
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// A turn between pieces of a number: no digits, a sentence at most ("okay", "got it, and the
/// rest?", "got the first eight you cut out a bit after that").
fn interjection(turn: &str, runs: &[(String, usize, usize)]) -> bool {
    runs.is_empty() && words(turn) <= 12
}

/// Pieces of one card number over consecutive turns: the last number of a turn that ends with
/// it, then turns that start with a number and say little else.
fn split_cards(turns: &[&str], runs: &[Vec<(String, usize, usize)>], out: &mut [Vec<PiiMatch>]) {
    for first in 0..turns.len() {
        let Some((d, s, e)) = runs[first].last().cloned() else {
            continue;
        };
        let ends_turn = turns[first][e..]
            .trim_matches(|c: char| !c.is_alphanumeric())
            .is_empty();
        if !ends_turn || d.len() < 2 || d.len() >= 13 {
            continue;
        }
        let mut pieces = vec![(first, s, e)];
        let mut digits = d;
        let mut next = first + 1;
        while digits.len() < 19 && next < turns.len().min(first + 8) {
            if interjection(turns[next], &runs[next]) {
                next += 1;
                continue;
            }
            let t = turns[next];
            let read = read_out(t, &runs[next]);
            let (Some(a), Some(b)) = (read.first().cloned(), read.last().cloned()) else {
                break;
            };
            if words(&t[..a.1]) > 6 || read.iter().any(|r| r.0.len() < 2) {
                break;
            }
            // "8177 2373 exp 08/30", "25022358 sorry hit enter too soon": the number may end
            // before the turn does, and more may follow it.
            let mut complete = false;
            for (d, s, e) in read {
                digits.push_str(&d);
                pieces.push((next, s, e));
                complete = (13..=19).contains(&digits.len()) && card_valid(&digits);
                if complete || digits.len() >= 19 {
                    break;
                }
            }
            let end = pieces.last().map_or(0, |p| p.2);
            if !complete && words(&t[b.2..]) > 3 || complete && words(&t[end..]) > 8 {
                break;
            }
            if complete {
                for &(k, s, e) in &pieces {
                    out[k].retain(|m| m.end <= s || m.start >= e);
                    out[k].push(PiiMatch {
                        kind: PiiKind::Card,
                        start: s,
                        end: e,
                    });
                    out[k].sort_by_key(|m| m.start);
                }
                break;
            }
            next += 1;
        }
    }
}

/// A labelled number read out over turns: "the account number is three oh six two" / "okay" /
/// "seven one five eight", "my passport number starts five five two one" / "nine oh seven four
/// six". The turn ends with a number its label does not accept alone; the next turns that are
/// only numbers complete it (up to three pieces), each marked as the whole's kind.
fn split_labelled(turns: &[&str], runs: &[Vec<(String, usize, usize)>], out: &mut [Vec<PiiMatch>]) {
    for first in 0..turns.len() {
        let Some((d, s, e)) = runs[first].last().cloned() else {
            continue;
        };
        let turn = turns[first];
        let ends_turn = turn[e..]
            .trim_matches(|c: char| !c.is_alphanumeric())
            .is_empty();
        let taken = out[first].iter().any(|m| m.start < e && s < m.end);
        if !ends_turn || taken || d.len() < 3 || first + 1 >= turns.len() {
            continue;
        }
        let Some(label) = label_before(turn, s) else {
            continue;
        };
        let mut digits = d;
        let mut pieces = vec![(first, s, e)];
        for next in first + 1..turns.len().min(first + 5) {
            let t = turns[next];
            if interjection(t, &runs[next]) {
                continue;
            }
            let read = read_out(t, &runs[next]);
            let (Some(a), Some(b)) = (read.first(), read.last()) else {
                break;
            };
            if words(&t[..a.1]) > 2 || words(&t[b.2..]) > 4 || !out[next].is_empty() {
                break;
            }
            for (d, s, e) in read {
                digits.push_str(&d);
                pieces.push((next, s, e));
            }
            if let Some((kind, ..)) = context::judge_answer(&digits, label) {
                for &(k, s, e) in &pieces {
                    out[k].push(PiiMatch {
                        kind,
                        start: s,
                        end: e,
                    });
                    out[k].sort_by_key(|m| m.start);
                }
                break;
            }
            if pieces.len() >= 3 {
                break;
            }
        }
    }
}

/// The label of a number that ends a turn: a PII label at most two words before `start` ("the
/// account number is", "passport number starts").
fn label_before(turn: &str, start: usize) -> Option<Label> {
    let spoken = Spoken::of(turn);
    let found = labels::labels(&spoken.text);
    let l = found
        .iter()
        .rev()
        .find(|l| spoken.original(l.start, l.end).1 <= start)?;
    let gap = &turn[spoken.original(l.start, l.end).1..start];
    let kinds = matches!(
        l.label,
        Label::Account
            | Label::Passport
            | Label::Licence
            | Label::Routing
            | Label::Iban
            | Label::Ssn
    );
    (kinds && words(gap) <= 2 && !gap.contains(|c: char| c.is_ascii_digit())).then_some(l.label)
}

/// A bare number answering the question before it, read with the question's label; or the
/// single digits asked for by position ("the second and fourth digits of your security
/// number" / "six and nine").
fn answer(question: &str, reply: &str) -> Vec<PiiMatch> {
    let q = Spoken::of(question);
    if let Some(digits) = digits_by_position(&q.text, reply) {
        return digits;
    }
    answer_number(&q, reply).into_iter().collect()
}

static POSITIONS: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(
        r"(?i)\b\d+(?:st|nd|rd|th) (?:and (?:the )?\d+(?:st|nd|rd|th) )?(?:digits?|characters?|numbers?)\b",
    )
});

fn digits_by_position(q: &str, reply: &str) -> Option<Vec<PiiMatch>> {
    let secret = labels::labels(q)
        .iter()
        .any(|l| matches!(l.label, Label::Pin | Label::Password));
    if !secret || !POSITIONS.is_match(q) || words(reply) > 6 {
        return None;
    }
    let found: Vec<PiiMatch> = runs(reply)
        .into_iter()
        .filter(|(d, ..)| d.len() == 1)
        .map(|(_, start, end)| PiiMatch {
            kind: PiiKind::Pin,
            start,
            end,
        })
        .collect();
    (!found.is_empty()).then_some(found)
}

/// A bare number answering the question `q`, read with the question's label.
fn answer_number(q: &Spoken, reply: &str) -> Option<PiiMatch> {
    // A bare "number" or "line" asks for no number in particular; "the best callback number"
    // asks for a phone number.
    let vague = |l: &labels::Found| {
        let said = &q.text[l.start..l.end];
        l.label == Label::Phone
            && (said.eq_ignore_ascii_case("number") || said.eq_ignore_ascii_case("line"))
    };
    let asked = labels::labels(&q.text)
        .into_iter()
        .rev()
        .find(|l| !matches!(l.label, Label::Skip | Label::Card) && !vague(l))?;
    // A question names what it asks for and gives no number after it.
    if q.text[asked.end..].contains(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let r = Spoken::of(reply);
    let first = r.text.find(|c: char| c.is_ascii_digit())?;
    let last = r.text.rfind(|c: char| c.is_ascii_digit())? + 1;
    let (first, last) = r.original(first, last);
    if words(&reply[..first]) > 3 || words(&reply[last..]) > 3 {
        return None;
    }
    let (kind, s, e) = if asked.label == Label::Dob {
        let (s, e) = super::dates::birth_date_answer(&r.text)?;
        (PiiKind::DateOfBirth, s, e)
    } else {
        context::judge_answer(&r.text, asked.label)?
    };
    let (start, end) = r.original(s, e);
    (kind != PiiKind::Card).then_some(PiiMatch { kind, start, end })
}

#[cfg(test)]
#[path = "turns_tests.rs"]
mod tests;
