//! ZIP codes and postcodes: their written shapes (US 12345-6789, UK SW1A 1AA, Canada K1A 0B1,
//! Ireland T12 K7W2, the Netherlands 1016 DV, Poland 00-514, four or five digits elsewhere),
//! spoken ones ("nine oh two one oh", "b fifteen two t t"), the state and province names that
//! come before them in an address, and a code given alone when asked for ("zip code is ...").

use super::words::{number_word, tokens, Tok};
use regex::Regex;
use std::sync::LazyLock;

/// The cheap test before tokenising: one search for every cue word.
static CUE: LazyLock<Regex> = LazyLock::new(|| super::pattern::re(r"(?i)zip|post|eircode|plz"));

/// `a` for a letter, `9` for a digit, other characters as they are: "sw1a" -> "aa9a".
fn shape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii_digit() => '9',
            c if c.is_ascii_alphabetic() => 'a',
            c => c,
        })
        .collect()
}

/// How many tokens from `k` a written postcode takes.
pub fn written_code_len(t: &[Tok], k: usize) -> Option<usize> {
    let a = t.get(k).filter(|x| x.word)?;
    let sa = shape(&a.lower);
    let single = matches!(sa.as_str(), "99999" | "99999-9999" | "9999" | "99-999");
    let b = t.get(k + 1).filter(|x| x.word && (x.capital || x.digit()));
    let sb = b.map(|b| shape(&b.lower)).unwrap_or_default();
    let upper = a.capital || a.digit();
    let pair = match (sa.as_str(), sb.as_str()) {
        // UK outward + inward code
        ("a9" | "a99" | "aa9" | "aa99" | "a9a" | "aa9a", "9aa") => true,
        // Canada
        ("a9a", "9a9") => true,
        // Ireland (Eircode)
        (
            "a99" | "a9a",
            "aaaa" | "a999" | "a9a9" | "aa99" | "9aaa" | "a99a" | "aa9a" | "9a9a" | "99aa",
        ) => true,
        // Netherlands
        ("9999", "aa") => true,
        _ => false,
    };
    // "3512 JE" is one Dutch code, not a four-digit one and a word.
    if upper && pair {
        return Some(2);
    }
    single.then_some(1)
}

/// How many tokens from `k` a spoken code takes: three to ten single letters and number words
/// ("n w one seven j e"), with at least one number word; a ZIP+4 says "dash" inside ("six oh
/// six one four dash two two oh nine").
pub fn spoken_code_len(t: &[Tok], k: usize) -> Option<usize> {
    let part = |x: &Tok| x.word && (number_word(&x.lower) || x.lower.chars().count() == 1);
    let mut n = t[k..].iter().take(10).take_while(|x| part(x)).count();
    let numbers = t[k..k + n].iter().filter(|x| number_word(&x.lower)).count();
    if n < 3 || numbers == 0 {
        return None;
    }
    if t.get(k + n).is_some_and(|x| x.is("dash")) {
        let plus4 = t[k + n + 1..]
            .iter()
            .take(4)
            .take_while(|x| number_word(&x.lower))
            .count();
        if plus4 == 4 {
            n += 5;
        }
    }
    Some(n)
}

const STATES: &[&str] = &[
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "district of columbia",
    "puerto rico",
    "ontario",
    "quebec",
    "british columbia",
    "alberta",
    "manitoba",
    "saskatchewan",
    "nova scotia",
    "new brunswick",
    "newfoundland",
    "prince edward island",
];
const ABBREVIATIONS: &[&str] = &[
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "fl", "ga", "hi", "id", "il", "in", "ia", "ks",
    "ky", "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny",
    "nc", "nd", "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv",
    "wi", "wy", "dc", "pr", "on", "qc", "bc", "ab", "mb", "sk", "ns", "nb", "nl", "pe",
];

/// `lower` is the one-word name of a US state or Canadian province ("florida", "ontario").
pub fn is_state_name(lower: &str) -> bool {
    STATES.contains(&lower)
}

/// How many tokens from `k` a US state or Canadian province takes: its name, or its written
/// two-letter abbreviation in capitals ("IL", "ON").
pub fn is_state(t: &[Tok], k: usize) -> Option<usize> {
    let x = t.get(k)?;
    let upper_pair = x.lower.len() == 2 && x.capital && x.start + 2 == x.end;
    if upper_pair && ABBREVIATIONS.contains(&x.lower.as_str()) {
        return Some(1);
    }
    STATES.iter().find_map(|s| {
        let words: Vec<&str> = s.split(' ').collect();
        let hit = words
            .iter()
            .enumerate()
            .all(|(n, w)| t.get(k + n).is_some_and(|y| y.is(w)));
        hit.then_some(words.len())
    })
}

/// Words that may stand between the cue and the code: "zip code is", "postcode in Germany is",
/// "confirm the postcode? I have ...".
const BETWEEN: &[&str] = &[
    "code", "code's", "is", "was", ":", "-", "'s", "should", "be", "it's", "?", "i", "have", "got",
    "as",
];

/// ZIP codes and postcodes given after a cue ("zip is", "Postcode:", "postal code is"), as byte
/// ranges.
pub fn find_zips(text: &str, out: &mut Vec<(usize, usize)>) {
    if !CUE.is_match(text) {
        return;
    }
    let t = tokens(text);
    for k in 0..t.len() {
        let cue = t[k].is_any(&[
            "zip",
            "zip's",
            "zipcode",
            "postcode",
            "postcode's",
            "eircode",
            "eircode's",
            "plz",
        ]) || t[k].is_any(&["post", "postal"])
            && t.get(k + 1).is_some_and(|x| x.is("code"));
        if !cue {
            continue;
        }
        let mut j = k + 1;
        let mut skipped_other = 0;
        while j < t.len() && j - k < 6 {
            if t[j].is_any(BETWEEN) {
                j += 1;
            } else if skipped_other < 2 && t[j].is("in") {
                // "postcode in Germany is": the place, then the verb
                skipped_other += 2;
                j += 2;
            } else {
                break;
            }
        }
        let Some(n) = code_at(&t, j) else { continue };
        out.push((t[j].start, t[j + n - 1].end));
        // "nine four one one oh sorry nine four one one two": the corrected code is one too.
        let mut c = j + n;
        while c < t.len() && c - (j + n) < 3 && t[c].is_any(CORRECTIONS) {
            c += 1;
        }
        if c > j + n {
            if let Some(m) = code_at(&t, c) {
                out.push((t[c].start, t[c + m - 1].end));
            }
        }
    }
}

/// Words that take back what was just said: the value after them replaces it.
pub const CORRECTIONS: &[&str] = &[
    "sorry", "no", "wait", "i", "mean", "actually", "rather", "or", "it's", "make", "that",
];

/// A code alone in a short answer to a question asking for it ("It's 60614.", "seven five zero
/// one one"): for a conversation read turn by turn.
pub fn find_zip_answer(text: &str, out: &mut Vec<(usize, usize)>) {
    let t = tokens(text);
    if t.iter().filter(|x| x.word).count() > 12 {
        return;
    }
    if let Some((k, n)) = (0..t.len()).find_map(|k| code_at(&t, k).map(|n| (k, n))) {
        out.push((t[k].start, t[k + n - 1].end));
    }
}

/// "Can I have the ZIP code on the account?", "and what's the postcode there", "and the
/// eircode please": a turn asking for a code, so the bare code answering it is one.
pub fn asks_for_zip(line: &str) -> bool {
    let lower = line.to_lowercase();
    let topic = ["zip", "postcode", "post code", "postal code", "eircode"]
        .iter()
        .any(|w| lower.contains(w));
    let question = lower.contains('?')
        || [
            "what", "can i", "could i", "may i", "confirm", "tell me", "please", "and the",
        ]
        .iter()
        .any(|w| lower.contains(w));
    topic && question
}

fn code_at(t: &[Tok], j: usize) -> Option<usize> {
    if j >= t.len() {
        return None;
    }
    written_code_len(t, j).or_else(|| spoken_code_len(t, j))
}

#[cfg(test)]
mod tests;
