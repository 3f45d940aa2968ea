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
pub fn in_turns(turns: &[&str], find: fn(&str) -> Vec<PiiMatch>) -> Vec<Vec<PiiMatch>> {
    let mut out: Vec<Vec<PiiMatch>> = turns.iter().map(|t| find(t)).collect();
    for i in 1..turns.len() {
        if out[i].is_empty() {
            if let Some(m) = answer(turns[i - 1], turns[i]) {
                out[i].push(m);
            }
        }
    }
    split_cards(turns, &mut out);
    out
}

/// The digit runs of a turn, spoken or written, as (digits, start, end) in the turn.
fn runs(turn: &str) -> Vec<(String, usize, usize)> {
    let spoken = Spoken::of(turn);
    RUN.find_iter(&spoken.text)
        .map(|m| {
            let (s, e) = spoken.original(m.start(), m.end());
            let digits = m.as_str().chars().filter(char::is_ascii_digit).collect();
            (digits, s, e)
        })
        .collect()
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// A turn between pieces of a number: no digits, a few words ("okay", "got it, and the rest?").
fn interjection(turn: &str) -> bool {
    runs(turn).is_empty() && words(turn) <= 6
}

/// Pieces of one card number over consecutive turns: the last number of a turn that ends with
/// it, then turns that start with a number and say little else.
fn split_cards(turns: &[&str], out: &mut [Vec<PiiMatch>]) {
    let runs: Vec<_> = turns.iter().map(|t| runs(t)).collect();
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
        while pieces.len() < 3 && next < turns.len().min(first + 6) {
            if interjection(turns[next]) {
                next += 1;
                continue;
            }
            let [(d, s, e)] = &runs[next][..] else { break };
            let (s, e) = (*s, *e);
            let t = turns[next];
            if words(&t[..s]) > 3 || words(&t[e..]) > 3 || d.len() < 2 {
                break;
            }
            digits.push_str(d);
            pieces.push((next, s, e));
            if (13..=19).contains(&digits.len()) && card_valid(&digits) {
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

/// A bare number answering the question before it, read with the question's label.
fn answer(question: &str, reply: &str) -> Option<PiiMatch> {
    let q = Spoken::of(question);
    let asked = labels::labels(&q.text)
        .into_iter()
        .rev()
        .find(|l| !matches!(l.label, Label::Skip | Label::Card | Label::Phone))?;
    // A question names what it asks for and gives no number after it.
    if q.text[asked.end..].contains(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let [(_, s, e)] = runs(reply)[..] else {
        return None;
    };
    if words(&reply[..s]) > 3 || words(&reply[e..]) > 3 {
        return None;
    }
    let r = Spoken::of(reply);
    let (kind, s, e) = context::judge_answer(&r.text, asked.label)?;
    let (start, end) = r.original(s, e);
    (kind != PiiKind::Card).then_some(PiiMatch { kind, start, end })
}

#[cfg(test)]
#[path = "turns_tests.rs"]
mod tests;
