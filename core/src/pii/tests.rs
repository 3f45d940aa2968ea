//! Table of realistic positive and negative cases for PII detection, and the corpus score.

use super::corpus::{NEGATIVES, POSITIVES};
use super::*;

/// Precision and recall over the corpus, per PII item (kind and count per text). Printed so the
/// test output shows them (`scripts/test.sh` runs this test with --nocapture).
#[test]
fn corpus_precision_and_recall() {
    assert!(POSITIVES.len() >= 60 && NEGATIVES.len() >= 60);
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    let cases = POSITIVES
        .iter()
        .map(|(t, k)| (*t, *k))
        .chain(NEGATIVES.iter().map(|t| (*t, &[][..])));
    for (text, want) in cases {
        let mut got: Vec<PiiKind> = find_pii(text).iter().map(|m| m.kind).collect();
        let mut want = want.to_vec();
        got.sort();
        want.sort();
        let mut matched = 0;
        let mut remaining = got.clone();
        for w in &want {
            if let Some(i) = remaining.iter().position(|g| g == w) {
                remaining.remove(i);
                matched += 1;
            }
        }
        tp += matched;
        fp += got.len() - matched;
        fn_ += want.len() - matched;
        if got != want {
            misses.push(format!("  {text:?}: want {want:?}, got {got:?}"));
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "PII corpus: {} positive and {} negative texts; precision {precision:.3}, recall {recall:.3} (tp {tp}, fp {fp}, fn {fn_})",
        POSITIVES.len(),
        NEGATIVES.len()
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(
        precision >= 0.95 && recall >= 0.95,
        "precision {precision:.3}, recall {recall:.3}"
    );
}

/// (text, the kinds that must be found, in order)
const CASES: &[(&str, &[PiiKind])] = {
    use PiiKind::*;
    &[
        // positives
        (
            "My email is dana.whitfield@example.org if you need it.",
            &[Email],
        ),
        ("reach me at J.O'Neil+billing@mail.co.uk please", &[Email]),
        ("contact: ops@sub.domain.io", &[Email]),
        ("call me on +44 20 7946 0958 after six", &[Phone]),
        ("my number is (415) 555-2671", &[Phone]),
        ("phone 415-555-2671.", &[Phone]),
        ("+1 415 555 2671", &[Phone]),
        ("ring 020 7946 0958", &[Phone]),
        ("+49 30 901820", &[Phone]),
        ("my ssn is 123-45-6789", &[Ssn]),
        ("card 4111 1111 1111 1111 was charged", &[Card]),
        ("it's 5500-0000-0000-0004", &[Card]),
        ("amex 378282246310005", &[Card]),
        ("IBAN GB82 WEST 1234 5698 7654 32 please refund", &[Iban]),
        ("DE89370400440532013000", &[Iban]),
        ("my date of birth is 04/07/1985", &[DateOfBirth]),
        ("DOB: 1985-07-04", &[DateOfBirth]),
        ("I was born on March 3rd, 1990", &[DateOfBirth]),
        ("email a@b.co and call +1 (212) 555-0100", &[Email, Phone]),
        // negatives
        ("Order 123456789 has not arrived", &[]),
        ("42.50 at Corner Books", &[]),
        ("The charge was $1,234.56 on 2024-03-06", &[]),
        ("timestamp 2024-03-06T08:01:12.004Z", &[]),
        ("case 131988342510 is closed", &[]),
        ("interaction daf7c129-0000-4000-8000-000000000003", &[]),
        ("contact 6eb27375-0000-4000-8000-000000000004", &[]),
        ("tracking 1Z999AA10123456784", &[]),
        ("order 4111111111111112 (not a card: fails Luhn)", &[]),
        ("reference 1234567890123456", &[]),
        ("I paid 300 and then 200", &[]),
        ("GB82 WEST 1234 5698 7654 33 is wrong", &[]),
        ("the meeting is on 04/07/2024", &[]),
        ("version 1.2.3 of the app", &[]),
        ("ticket #555-2671", &[]),
        ("2 weeks ago, around 10:30", &[]),
        ("my @handle on twitter", &[]),
        ("123-45-67890 is not an ssn", &[]),
        ("000-12-3456", &[]),
    ]
};

#[test]
fn table_of_cases() {
    let mut failures = Vec::new();
    for (text, want) in CASES {
        let got: Vec<PiiKind> = find_pii(text).iter().map(|m| m.kind).collect();
        if &got[..] != *want {
            failures.push(format!("{text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn checksums() {
    assert!(card_valid("4111 1111 1111 1111"));
    assert!(!card_valid("4111 1111 1111 1112"));
    assert!(!card_valid("0000 0000 0000 0000"));
    assert!(iban_valid("GB82WEST12345698765432"));
    assert!(!iban_valid("GB82WEST12345698765433"));
}
