//! `cxone_redact`: replaces detected PII with typed placeholders (`[EMAIL]`, `[PHONE]`, ...);
//! and what redaction does to values that are not text: metadata copied from a payload, and
//! identifiers, which must stay stable to group rows.

use crate::messages::Speaker;
use crate::pii::{find_pii, find_pii_in_spoken_turns, find_pii_spoken_by, PiiKind, PiiMatch};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Which detected kinds redaction replaces (settings `cxone.redact_types` and
/// `cxone.redact_agent_names`). By default every kind but agents' own names in their greetings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RedactTypes {
    bits: u32,
}

impl RedactTypes {
    /// Every kind, agents' names included.
    pub const ALL: RedactTypes = RedactTypes { bits: u32::MAX };

    fn bit(kind: PiiKind) -> u32 {
        let i = PiiKind::ALL.iter().position(|k| *k == kind).unwrap_or(31);
        1 << i.min(31)
    }

    pub fn without(self, kind: PiiKind) -> RedactTypes {
        RedactTypes {
            bits: self.bits & !Self::bit(kind),
        }
    }

    pub fn covers(self, kind: PiiKind) -> bool {
        self.bits & Self::bit(kind) != 0
    }

    /// `all`, or a comma-separated list of `pii_types` names (`email, card, card_cvv`); Err
    /// names what is not a type and lists the types.
    pub fn parse(list: &str) -> Result<RedactTypes, String> {
        if list.trim().eq_ignore_ascii_case("all") {
            return Ok(RedactTypes::ALL);
        }
        let mut bits = 0;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let kind = PiiKind::ALL
                .into_iter()
                .find(|k| k.as_str().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    let all: Vec<&str> = PiiKind::ALL.iter().map(|k| k.as_str()).collect();
                    format!(
                        "'{name}' is not a PII type; use 'all' or some of: {}",
                        all.join(", ")
                    )
                })?;
            bits |= Self::bit(kind);
        }
        Ok(RedactTypes { bits })
    }
}

impl Default for RedactTypes {
    /// Everything but agents' own names (kept so that a conversation still says who helped).
    fn default() -> Self {
        RedactTypes::ALL.without(PiiKind::AgentName)
    }
}

/// The text with every PII item replaced by its placeholder; borrowed when there is none.
pub fn redact(text: &str) -> Cow<'_, str> {
    redact_with(text, None, RedactTypes::ALL)
}

/// The text said by `speaker` (unknown: `None`) with the PII items of `types` replaced by their
/// placeholders; borrowed when there is none.
pub fn redact_with(text: &str, speaker: Option<Speaker>, types: RedactTypes) -> Cow<'_, str> {
    let found = match speaker {
        Some(s) => find_pii_spoken_by(text, s),
        None => find_pii(text),
    };
    replace_matches(text, found, types)
}

/// Consecutive turns of one conversation, each with its speaker (`None`: unknown), redacted
/// as one conversation: besides what each turn holds, a card number read out over two or
/// three turns is replaced in each, and a bare answer to a question that names it ("and the
/// three digits on the back?" / "five eight one").
pub fn redact_turns<'a>(
    turns: &[(&'a str, Option<Speaker>)],
    types: RedactTypes,
) -> Vec<Cow<'a, str>> {
    find_pii_in_spoken_turns(turns)
        .into_iter()
        .zip(turns)
        .map(|(found, (text, _))| replace_matches(text, found, types))
        .collect()
}

/// `text` with the matches (in order, without overlaps) of `types` replaced by their
/// placeholders; borrowed when there is none.
pub fn replace_matches(text: &str, found: Vec<PiiMatch>, types: RedactTypes) -> Cow<'_, str> {
    let found: Vec<_> = found.into_iter().filter(|m| types.covers(m.kind)).collect();
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for m in found {
        out.push_str(&text[at..m.start]);
        out.push_str(m.kind.placeholder());
        at = m.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// A scalar copied from a payload, redacted: a string as text; a number whose digits hold PII
/// (a card number sent as a JSON number) becomes the redacted string. Other values are kept.
pub fn redact_value(value: &mut Value) {
    let redacted = match value {
        Value::String(s) => redact(s).into_owned(),
        Value::Number(n) => match redact(&n.to_string()) {
            Cow::Owned(r) => r,
            Cow::Borrowed(_) => return,
        },
        _ => return,
    };
    *value = Value::String(redacted);
}

/// An identifier that holds detected PII (a conversation id that is an e-mail address or a
/// phone number, as on email and SMS channels) as a pseudonym: `pii-` and the first 24 hex
/// digits of its SHA-256. The same id always gives the same pseudonym, so its rows still group
/// and supersede each other; a pseudonym holds no PII, so applying this twice changes nothing.
/// Unkeyed: whoever can guess the id (a phone number) can confirm the guess.
pub fn pseudonymise_id(id: &str) -> Cow<'_, str> {
    if find_pii(id).is_empty() {
        return Cow::Borrowed(id);
    }
    let digest = Sha256::digest(id.as_bytes());
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    Cow::Owned(format!("pii-{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_holding_pii_become_stable_pseudonyms() {
        let p = pseudonymise_id("jo@example.com");
        assert_eq!(p.len(), "pii-".len() + 24);
        assert!(p.starts_with("pii-") && !p.contains("example"));
        assert_eq!(p, pseudonymise_id("jo@example.com"));
        assert_ne!(p, pseudonymise_id("al@example.com"));
        assert_eq!(pseudonymise_id(&p), p);
        assert!(pseudonymise_id("+1 415 555 0100").starts_with("pii-"));
        // sha256("jo@example.com"), its first 12 bytes.
        assert_eq!(p, "pii-f4e19df2e6c609fbd59a42b9");
        for id in [
            "conv-8842-abc",
            "131988342510",
            "daf7c129-0000-4000-8000-000000000003",
        ] {
            assert!(matches!(pseudonymise_id(id), Cow::Borrowed(_)), "{id}");
        }
    }

    #[test]
    fn copied_values_are_redacted_by_their_text() {
        let mut v = json!(["mail jo@example.com", 4111111111111111u64, 42, true, null]);
        for x in v.as_array_mut().unwrap() {
            redact_value(x);
        }
        assert_eq!(v, json!(["mail [EMAIL]", "[CARD]", 42, true, null]));
    }

    #[test]
    fn a_card_read_over_turns_is_redacted_in_each() {
        let turns = [
            (
                "can I take the long number on the card",
                Some(Speaker::Agent),
            ),
            ("four one one one one one one one", Some(Speaker::Customer)),
            ("okay", Some(Speaker::Agent)),
            ("one one one one one one one one", Some(Speaker::Customer)),
            ("and the three digits on the back?", Some(Speaker::Agent)),
            ("seven three seven", Some(Speaker::Customer)),
        ];
        let got = redact_turns(&turns, RedactTypes::ALL);
        assert_eq!(got[0], turns[0].0);
        assert_eq!(got[1], "[CARD]");
        assert_eq!(got[2], "okay");
        assert_eq!(got[3], "[CARD]");
        assert_eq!(got[5], "[CVV]");
        // Only the types asked for.
        let only_email = RedactTypes::parse("email").unwrap();
        assert_eq!(redact_turns(&turns, only_email)[1], turns[1].0);
    }

    #[test]
    fn replaces_each_kind_with_its_placeholder() {
        let cases = [
            ("mail dana.w@example.org now", "mail [EMAIL] now"),
            ("call +44 20 7946 0958.", "call [PHONE]."),
            (
                "ssn 123-45-6789, card 4111 1111 1111 1111",
                "ssn [SSN], card [CARD]",
            ),
            ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN [IBAN]"),
            (
                "my date of birth is 04/07/1985",
                "my date of birth is [DOB]",
            ),
            ("order 123456789 for 42.50", "order 123456789 for 42.50"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want);
        }
    }
}
