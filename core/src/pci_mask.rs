//! PCI mode (`cxone.pci_mask_payloads`): card data masked inside a raw payload's string values
//! before the payload is stored, the one documented exception to "stored as sent".
//!
//! Only string values change, each replaced by the same string with card data (number,
//! security code, expiry, PIN, bank account and routing numbers, sort codes, IBANs) as
//! placeholders; every other byte of the payload (keys, key order, duplicate keys, numbers,
//! whitespace, escapes) is kept, so the payload stays valid JSON of the same shape. Values under
//! identifier keys (`id`, `contactId`, `threadIdOnExternalPlatform`, ...) are never changed:
//! they group and order the rows, and a 16-digit id that happens to pass Luhn is not a card.
//! The values under one key (the `text` of each turn of a transcript) are also read together as
//! consecutive turns, so a card number read out over two or three turns is masked in each.

use crate::pii::{find_pii, find_pii_in_turns, PiiKind, PiiMatch};
use crate::redact::{replace_matches, RedactTypes};
use std::collections::BTreeMap;

/// The kinds PCI DSS and bank secrecy cover: what PCI mode masks.
pub const CARD_DATA: [PiiKind; 8] = [
    PiiKind::Card,
    PiiKind::Cvv,
    PiiKind::CardExpiry,
    PiiKind::Pin,
    PiiKind::BankAccount,
    PiiKind::RoutingNumber,
    PiiKind::SortCode,
    PiiKind::Iban,
];

/// One string value of the payload: its bytes in the payload (quotes included), its text, and
/// the key it is under (an array's values are under the array's key).
struct StringValue {
    start: usize,
    end: usize,
    text: String,
    key: Option<String>,
}

/// `json` (valid JSON, as PostgreSQL's `json` input accepted it) with card data masked in its
/// string values; `None` when there is none (or the text is not JSON this reads).
pub fn mask_card_data(json: &str) -> Option<String> {
    let values = string_values(json)?;
    // Values under the same key, in document order, are read as consecutive turns (which finds
    // what each holds alone as well); every other value alone. Each value is read once.
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(k) = &v.key {
            by_key.entry(k.as_str()).or_default().push(i);
        }
    }
    let mut found: Vec<Option<Vec<PiiMatch>>> = vec![None; values.len()];
    for members in by_key.values().filter(|m| m.len() > 1) {
        let turns: Vec<&str> = members.iter().map(|&i| values[i].text.as_str()).collect();
        for (&i, ms) in members.iter().zip(find_pii_in_turns(&turns)) {
            found[i] = Some(card_data(ms));
        }
    }
    let found: Vec<Vec<PiiMatch>> = found
        .into_iter()
        .zip(&values)
        .map(|(f, v)| f.unwrap_or_else(|| card_data(find_pii(&v.text))))
        .collect();
    if found.iter().all(Vec::is_empty) {
        return None;
    }
    let mut out = String::with_capacity(json.len());
    let mut at = 0;
    for (v, ms) in values.iter().zip(found) {
        if ms.is_empty() {
            continue;
        }
        out.push_str(&json[at..v.start]);
        let masked = replace_matches(&v.text, ms, RedactTypes::ALL);
        // A String always serialises.
        out.push_str(&serde_json::to_string(&masked).unwrap_or_default());
        at = v.end;
    }
    out.push_str(&json[at..]);
    Some(out)
}

fn card_data(mut ms: Vec<PiiMatch>) -> Vec<PiiMatch> {
    ms.retain(|m| CARD_DATA.contains(&m.kind));
    ms
}

/// Keys whose values are identifiers, never masked: a key with the word `id`, `ids`, `ident`,
/// `key`, `uuid` or `identifier` in it, camelCase or snake_case (`id`, `contactId`, `case_id`,
/// `threadIdOnExternalPlatform`, `eventIds`), but not `idea` or `monkey`.
fn is_identifier_key(key: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            words.push(String::new());
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower || words.is_empty() {
            words.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        if let Some(w) = words.last_mut() {
            w.push(c.to_ascii_lowercase());
        }
    }
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "id" | "ids" | "ident" | "key" | "keys" | "uuid" | "identifier" | "identifiers"
        )
    })
}

/// The string values of `json` that are not keys and not under identifier keys, in order;
/// `None` when a string is not closed or does not decode (not JSON).
fn string_values(json: &str) -> Option<Vec<StringValue>> {
    let bytes = json.as_bytes();
    let mut out = Vec::new();
    // The key each open object or array is reading values under.
    let mut keys: Vec<Option<String>> = vec![None];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i)?;
                let text: String = serde_json::from_str(&json[i..end]).ok()?;
                let mut j = end;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                let top = keys.last_mut()?;
                if bytes.get(j) == Some(&b':') {
                    *top = Some(text);
                } else if !top.as_deref().is_some_and(is_identifier_key) {
                    out.push(StringValue {
                        start: i,
                        end,
                        text,
                        key: top.clone(),
                    });
                }
                i = end;
                continue;
            }
            b'{' => keys.push(None),
            b'[' => {
                let inherited = keys.last().cloned().flatten();
                keys.push(inherited);
            }
            b'}' | b']' => {
                keys.pop();
            }
            _ => {}
        }
        i += 1;
    }
    Some(out)
}

/// The index just past the closing quote of the string that opens at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut k = start + 1;
    while k < bytes.len() {
        match bytes[k] {
            b'\\' => k += 2,
            b'"' => return Some(k + 1),
            _ => k += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn masks_card_data_in_string_values_and_keeps_every_other_byte() {
        let cases = [
            // (payload, masked payload)
            (
                r#"{"text": "card 4111 1111 1111 1111 exp 04/27", "n": 4111111111111111}"#,
                r#"{"text": "card [CARD] exp [CARD_EXPIRY]", "n": 4111111111111111}"#,
            ),
            (
                "{ \"b\":1,\n  \"t\" : \"my sort code is 20-00-00\",\"t\":\"x\\u0000\" }",
                "{ \"b\":1,\n  \"t\" : \"my sort code is [SORT_CODE]\",\"t\":\"x\\u0000\" }",
            ),
            (
                r#"{"messages": ["the cvv is 737", "ok"], "caseId": "4111111111111111"}"#,
                r#"{"messages": ["the cvv is [CVV]", "ok"], "caseId": "4111111111111111"}"#,
            ),
        ];
        for (payload, want) in cases {
            let got = mask_card_data(payload).unwrap_or_else(|| payload.to_string());
            assert_eq!(got, want, "{payload}");
            let _: Value = serde_json::from_str(&got).expect("still JSON");
        }
    }

    #[test]
    fn leaves_payloads_without_card_data_alone() {
        for payload in [
            r#"{"id": "4111111111111111", "contactId": 12, "text": "order 112-4455667-8899010 for 42.50"}"#,
            r#"{"text": "mail dana@example.org or call 415 555 0100"}"#,
            r#"["no", "card", "here", {"threadIdOnExternalPlatform": "4111111111111111"}]"#,
            r#"{"text": "unterminated"#,
        ] {
            assert_eq!(mask_card_data(payload), None, "{payload}");
        }
    }

    #[test]
    fn a_card_read_over_consecutive_turns_is_masked_in_each() {
        let payload = r#"{"transcript": [
            {"speaker": "agent", "text": "can I take the long number on the card"},
            {"speaker": "customer", "text": "four one one one one one one one"},
            {"speaker": "customer", "text": "one one one one one one one one"}]}"#;
        let got = mask_card_data(payload).expect("masked");
        assert!(!got.contains("four one one one"), "{got}");
        assert!(got.contains("can I take the long number"), "{got}");
        let _: Value = serde_json::from_str(&got).expect("still JSON");
    }

    #[test]
    fn identifier_keys() {
        for k in [
            "id",
            "contactId",
            "case_id",
            "ID",
            "eventIds",
            "uuid",
            "idOnExternalPlatform",
        ] {
            assert!(is_identifier_key(k), "{k}");
        }
        for k in ["text", "identity", "body", "idea", "monkey"] {
            assert!(!is_identifier_key(k), "{k}");
        }
    }
}
