//! E-mail addresses said aloud, as speech-to-text writes them: "declan dot reid at example dot
//! com", "yuki underscore tanaka at mail dot example dot net", "m j fernandez at example dot
//! org". The domain is what makes it an address: "at", then words joined by "dot" ending in a
//! top-level domain. The local part is the run of words before "at" back to a common word
//! ("is", "it's", "to", "um") or a comma.

use super::words::{is_stop, number_word, tokens, Tok};
use regex::Regex;
use std::sync::LazyLock;

/// Top-level domains (and the second-level parts before them, "co dot uk") said at the end.
const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "io", "info", "biz", "me", "app", "co", "uk", "ie", "ca",
    "au", "nz", "de", "fr", "nl", "es", "it", "eu", "us", "in", "ac", "mil", "email", "mail",
];
/// Words said inside a local part or domain for the characters of an address.
const JOINERS: &[&str] = &["dot", "underscore", "dash", "hyphen", "plus", "point"];
/// The words before "at" of a web address, not an e-mail ("our website at example dot com").
const WEB: &[&str] = &[
    "website", "site", "web", "online", "page", "portal", "app", "visit", "link", "url", "us",
    "forum", "blog", "www",
];

/// Words that end the local part read backwards: they say what follows is an address.
const LEADS: &[&str] = &[
    "email", "e-mail", "emails", "address", "send", "reach", "write",
];

/// Cheap pre-check on the raw text: " at " and " dot " both said.
pub fn may_hold(text: &str) -> bool {
    DOT.is_match(text) && AT.is_match(text)
}

static DOT: LazyLock<Regex> = LazyLock::new(|| super::pattern::re(r"(?i) dot "));
static AT: LazyLock<Regex> = LazyLock::new(|| super::pattern::re(r"(?i) at "));

/// Spoken e-mail addresses in `text`, as byte ranges.
pub fn find(text: &str, out: &mut Vec<(usize, usize)>) {
    if !may_hold(text) {
        return;
    }
    let t = tokens(text);
    for k in 1..t.len() {
        if !t[k].is("at") {
            continue;
        }
        let (Some(end), Some(start)) = (domain_end(&t, k + 1), local_start(&t, k)) else {
            continue;
        };
        out.push((t[start].start, t[end - 1].end));
    }
}

/// After "at": a word, then one or more "dot" word, the last a top-level domain.
fn domain_end(t: &[Tok], j: usize) -> Option<usize> {
    let label = |x: &Tok| x.word && !x.is_any(JOINERS);
    t.get(j).filter(|x| label(x) && !is_stop(&x.lower))?;
    let mut end = j + 1;
    let mut last = None;
    while end + 1 < t.len() && t[end].is_any(&["dot", "dash", "hyphen"]) && label(&t[end + 1]) {
        if t[end].is("dot") {
            last = Some(end + 2);
        }
        end += 2;
    }
    // The last "dot" part must be a top-level domain; parts after it said as words are not.
    let end = last?;
    t[end - 1].is_any(TLDS).then_some(end)
}

/// Before "at" (index `k`): the first token of the local part, if there is one.
fn local_start(t: &[Tok], k: usize) -> Option<usize> {
    let part = |x: &Tok| {
        x.word
            && (x.is_any(JOINERS)
                || number_word(&x.lower)
                || x.lower.chars().count() == 1
                || !is_stop(&x.lower) && !x.lower.ends_with("'s") && !x.is_any(LEADS))
    };
    // Up to six words, and letters spelled one by one ("f a r h a n dot c") besides.
    let (mut s, mut words) = (k, 0);
    while s > 0 && k - s < 16 && part(&t[s - 1]) {
        words += usize::from(t[s - 1].lower.chars().count() > 1);
        if words > 6 {
            break;
        }
        s -= 1;
    }
    // Joiners and number words may not open it: "is dot" is no address.
    while s < k && (t[s].is_any(JOINERS) || t[s].is("oh")) {
        s += 1;
    }
    let web = t[s.saturating_sub(2)..k].iter().any(|x| x.is_any(WEB));
    (s < k && !web).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_addresses_and_look_alikes() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "my email is declan dot reid at example dot com",
                Some("declan dot reid at example dot com"),
            ),
            (
                "it's t o m a s z dot k at example dot com",
                Some("t o m a s z dot k at example dot com"),
            ),
            (
                "it's m j fernandez at example dot com",
                Some("m j fernandez at example dot com"),
            ),
            (
                "it's rosie underscore mac eighty nine at example dot net thanks",
                Some("rosie underscore mac eighty nine at example dot net"),
            ),
            (
                "email address bart fenwick at mail dot example dot co dot uk",
                Some("bart fenwick at mail dot example dot co dot uk"),
            ),
            ("you'll find it on our website at example dot com", None),
            ("i'll be at home dot dot dot waiting", None),
            ("we met at the office", None),
            ("it's at example dot something", None),
        ];
        for (text, want) in cases {
            let mut out = Vec::new();
            find(text, &mut out);
            let got = out.first().map(|&(s, e)| &text[s..e]);
            assert_eq!(got, *want, "{text}");
        }
    }
}
