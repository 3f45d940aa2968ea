//! Single digits of a secret given by their positions in one turn ("the 2nd and 5th digits of
//! my passcode are 7 and 3", "the second digit is four and the fifth is nine"): how telephone
//! banking checks a passcode without hearing all of it. Reported as a PIN. The text is read
//! after `spoken` rewrote "second" and "four" as "2nd" and "4".

use super::labels::{labels, Label};
use regex::Regex;
use std::sync::LazyLock;

static GIVEN: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(
        r"(?i)\b\d(?:st|nd|rd|th)(?: and (?:the )?\d(?:st|nd|rd|th))? (?:digits?|characters?)(?: (?:of|in|from) [a-z' ]{1,40}?)? (?:is|are|was|were|=) (\d)\b(?:,? and (?:the \d(?:st|nd|rd|th)(?: one)? (?:is )?)?(\d)\b)?",
    )
});

/// The digits given by position in `t`, as byte ranges of `t`; every one says "digit" or
/// "character", so the caller looks for those words first.
pub fn find(t: &str, out: &mut Vec<(usize, usize)>) {
    for c in GIVEN.captures_iter(t) {
        let whole = c.get(0).map_or("", |m| m.as_str());
        // "the 1st digit of the card number is 4": a position in some other number.
        let other = labels(whole)
            .iter()
            .any(|l| !matches!(l.label, Label::Pin | Label::Password));
        if other {
            continue;
        }
        out.extend(c.iter().skip(1).flatten().map(|m| (m.start(), m.end())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_given_by_position() {
        let cases: &[(&str, &[&str])] = &[
            ("the 3rd and 6th digits of my pin are 1 and 8", &["1", "8"]),
            ("ok the 4th digit is 2 and the 1st is 0", &["2", "0"]),
            ("the 2nd character is 5", &["5"]),
            ("the 1st digit of the card number is 4", &[]),
            ("the 2nd digit of my account is 7", &[]),
            ("my 3rd attempt was 2 days ago", &[]),
        ];
        for (text, want) in cases {
            let mut out = Vec::new();
            find(text, &mut out);
            let got: Vec<&str> = out.iter().map(|&(s, e)| &text[s..e]).collect();
            assert_eq!(&got, want, "{text}");
        }
    }
}
