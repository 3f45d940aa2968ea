//! Memorable and secret words and security answers given ("Memorable word: lighthouse", "the
//! security word is marmalade m a r m a l a d e", "security answer Buttercup"), reported as a PIN: a password with no digits, which
//! the number detectors never see. Talk about one ("I forgot my memorable word", "the secret
//! word is wrong") is not one.

use regex::Regex;
use std::sync::LazyLock;

static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(
        r"(?i)(?-u:\b)(?:memorable|secret|security) (?:word|answer)(?:(?:'s| is| was) +|\s*[:-]\s*|( +))(?:it's |its )?([a-z][a-z'-]{2,24})(?-u:\b)",
    )
});

/// Words after the cue that say something about the word instead of giving it.
const NOT_A_WORD: &[&str] = &[
    "wrong",
    "incorrect",
    "not",
    "invalid",
    "locked",
    "required",
    "different",
    "something",
    "the",
    "a",
    "an",
    "my",
    "your",
    "still",
    "also",
    "case",
    "missing",
    "forgotten",
    "what",
    "probably",
    "changed",
    "reset",
    "blank",
    "empty",
    "set",
    "just",
    "being",
    "never",
    "no",
    "asking",
];

/// Secret words in `text`, as byte ranges: the word, and its spelling when it follows.
pub fn find(text: &str, out: &mut Vec<(usize, usize)>) {
    for c in SECRET.captures_iter(text) {
        let Some(w) = c.get(2) else { continue };
        // "the security answer Buttercup matches": with no verb, a written answer is
        // capitalised.
        if c.get(1).is_some() && !w.as_str().starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        let lower = w.as_str().to_ascii_lowercase();
        if NOT_A_WORD.contains(&lower.as_str()) || super::words::is_stop(&lower) {
            continue;
        }
        out.push((w.start(), spelled_after(text, w.end(), &lower)));
    }
}

/// The end of the spelling of `word` right after `end` ("marmalade m a r m a l a d e"), or
/// `end` when it is not spelled.
fn spelled_after(text: &str, end: usize, word: &str) -> usize {
    let rest = &text[end..];
    let mut at = 0;
    for letter in word.chars().filter(char::is_ascii_alphabetic) {
        let trimmed = rest[at..].trim_start_matches([' ', ',', '-']);
        let skipped = rest.len() - at - trimmed.len();
        let mut cs = trimmed.chars();
        let next_is_letter = cs.next().is_some_and(|c| c.eq_ignore_ascii_case(&letter));
        if skipped == 0 || !next_is_letter || cs.next().is_some_and(|c| c.is_alphanumeric()) {
            return end;
        }
        at += skipped + letter.len_utf8();
    }
    end + at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_words_given_and_talked_about() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Memorable word: seashell", Some("seashell")),
            (
                "the security word is bramble b r a m b l e ok",
                Some("bramble b r a m b l e"),
            ),
            ("my secret word's pineapple", Some("pineapple")),
            ("OK, security answer Marigold is a match", Some("Marigold")),
            ("the security answer was snowdrop", Some("snowdrop")),
            ("the security answer needs updating", None),
            ("I forgot my memorable word", None),
            ("the memorable word is wrong apparently", None),
            ("what's the security word for", None),
            ("My memorable word isn't being accepted", None),
            ("the secret word was changed", None),
        ];
        for (text, want) in cases {
            let mut out = Vec::new();
            find(text, &mut out);
            let got = out.first().map(|&(s, e)| &text[s..e]);
            assert_eq!(got, *want, "{text}");
        }
    }
}
