//! Where PII is detected: the kinds, and the dispatcher over their detectors (emails here;
//! numbers, written or spoken, in numbers.rs; names and places in their own files).
//!
//! Precision matters as much as recall: order numbers, amounts, timestamps, case ids and UUIDs
//! must not be reported. Candidates come from regexes (compiled once per process) and are then
//! confirmed by checksums and by their surroundings: a number glued to letters, dashes or other
//! digits is part of a larger token (a UUID, an order code) and is not PII on its own.

use crate::messages::Speaker;
use regex::Regex;
use std::sync::LazyLock;

mod address;
mod checks;
mod context;
mod dates;
mod ip;
mod kind;
mod labels;
mod licence;
mod name_data;
mod names;
mod numbers;
mod pattern;
mod positions;
mod postcode;
mod secret_word;
mod spelled;
mod spoken;
mod spoken_email;
mod spoken_words;
mod transcript;
mod turns;
mod words;

pub use kind::{PiiKind, PiiMatch};
use pattern::re;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b[a-z0-9][a-z0-9._%+'-]*@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}\b",
    )
});

/// All PII in `text`, in order, without overlaps (the more specific kind wins an overlap). Who
/// wrote the text is unknown: a self-introduction is a person's name unless the text reads as an
/// agent's greeting ("Thanks for calling ..., my name is Priya").
pub fn find_pii(text: &str) -> Vec<PiiMatch> {
    find_pii_by(text, None)
}

/// All PII in one message written or said by `speaker`: an agent's or bot's self-introduction
/// is [`PiiKind::AgentName`], a customer's is [`PiiKind::PersonName`], and a name a customer
/// greets or thanks ("Thanks, Marcus") is the agent's.
pub fn find_pii_spoken_by(text: &str, speaker: Speaker) -> Vec<PiiMatch> {
    find_pii_by(text, Some(speaker))
}

/// All PII in a labelled transcript, one message a line ("Customer: ...", `labels` as the
/// mapping's message rules give them, e.g. `[("Customer", Speaker::Customer), ...]`): each
/// line read as said by its speaker, and a bare code answering a question about a ZIP code or
/// postcode on the line before taken as one. Offsets are into the whole text.
pub fn find_pii_in_transcript(text: &str, labels: &[(&str, Speaker)]) -> Vec<PiiMatch> {
    let mut found = Vec::new();
    for line in transcript::lines(text, labels) {
        let body = &text[line.start..line.end];
        let shift = |m: PiiMatch| PiiMatch {
            start: m.start + line.start,
            end: m.end + line.start,
            ..m
        };
        let mine = find_pii_by(body, line.speaker);
        if line.answers_zip_question && mine.is_empty() {
            let mut codes = Vec::new();
            postcode::find_zip_answer(body, &mut codes);
            found.extend(codes.into_iter().map(|(start, end)| {
                shift(PiiMatch {
                    kind: PiiKind::Zip,
                    start,
                    end,
                })
            }));
        }
        found.extend(mine.into_iter().map(shift));
    }
    found
}

/// The detectors of names and places (their own files), added to those of numbers and e-mails.
fn find_pii_by(text: &str, speaker: Option<Speaker>) -> Vec<PiiMatch> {
    let mut found = find_numbers_and_emails(text);
    let before = found.len();
    let mut names = Vec::new();
    names::find_names(text, speaker, &mut names);
    // A name inside an e-mail address said aloud is the address's.
    if !names.is_empty() {
        let emails = found.iter().filter(|m| m.kind == PiiKind::Email);
        let in_email =
            |n: &names::NameSpan| emails.clone().any(|m| n.start < m.end && m.start < n.end);
        names.retain(|n| !in_email(n));
    }
    for n in names {
        let kind = if n.agent {
            PiiKind::AgentName
        } else {
            PiiKind::PersonName
        };
        found.push(PiiMatch {
            kind,
            start: n.start,
            end: n.end,
        });
    }
    let mut places = Vec::new();
    address::find_addresses(text, &mut places);
    let addresses = places.len();
    postcode::find_zips(text, &mut places);
    for (k, (start, end)) in places.into_iter().enumerate() {
        let kind = if k < addresses {
            PiiKind::Address
        } else {
            PiiKind::Zip
        };
        found.push(PiiMatch { kind, start, end });
    }
    if found.len() == before {
        return found;
    }
    without_overlaps(found)
}

fn find_numbers_and_emails(text: &str) -> Vec<PiiMatch> {
    let mut found: Vec<PiiMatch> = Vec::new();
    // The e-mail pattern needs an '@' (a spoken address " at " and " dot "), the number
    // patterns three digits or number words (numbers.rs): most turns have neither, and
    // skipping the scans they cannot match is most of the PII cost saved.
    if text.as_bytes().contains(&b'@') {
        for m in EMAIL.find_iter(text) {
            found.push(PiiMatch {
                kind: PiiKind::Email,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    let mut said = Vec::new();
    spoken_email::find(text, &mut said);
    found.extend(said.into_iter().map(|(start, end)| PiiMatch {
        kind: PiiKind::Email,
        start,
        end,
    }));
    let mut secret = Vec::new();
    secret_word::find(text, &mut secret);
    found.extend(secret.into_iter().map(|(start, end)| PiiMatch {
        kind: PiiKind::Pin,
        start,
        end,
    }));
    numbers::find(text, &mut found);
    without_overlaps(found)
}

fn without_overlaps(mut found: Vec<PiiMatch>) -> Vec<PiiMatch> {
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

pub use checks::{aba_valid, card_valid, iban_valid};

/// All PII in each of `turns`, consecutive turns of one conversation (any speaker), offsets
/// into each turn: each turn as [`find_pii`] reads it, and besides a card number read out over
/// two or three turns (interjections such as "okay" between them allowed) marked in each turn,
/// and a turn that is only a number answering a question that names it ("and the three digits
/// on the back?" / "581") read as that number.
pub fn find_pii_in_turns(turns: &[&str]) -> Vec<Vec<PiiMatch>> {
    turns::in_turns(turns, |_, t| find_pii(t))
}

/// [`find_pii_in_turns`] for turns whose speakers are known (`None`: unknown), each turn read
/// as [`find_pii_spoken_by`] reads it: what the ingest trigger redacts a conversation with.
pub fn find_pii_in_spoken_turns(turns: &[(&str, Option<Speaker>)]) -> Vec<Vec<PiiMatch>> {
    let texts: Vec<&str> = turns.iter().map(|t| t.0).collect();
    turns::in_turns(&texts, |i, t| find_pii_by(t, turns[i].1))
}

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;
