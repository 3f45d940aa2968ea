//! `cxone_redact`: replaces detected PII with typed placeholders (`[EMAIL]`, `[PHONE]`, ...).

use crate::pii::find_pii;
use std::borrow::Cow;

/// The text with every PII item replaced by its placeholder; borrowed when there is none.
pub fn redact(text: &str) -> Cow<'_, str> {
    let found = find_pii(text);
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

#[cfg(test)]
mod tests {
    use super::*;

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
