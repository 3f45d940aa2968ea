//! ZIP codes and postcodes: their written shapes (US 12345-6789, UK SW1A 1AA, Canada K1A 0B1,
//! Ireland T12 K7W2, the Netherlands 1016 DV, Poland 00-514, four or five digits elsewhere),
//! spoken ones ("nine oh two one oh", "b fifteen two t t"), the state and province names that
//! come before them in an address, and a code given alone when asked for ("zip code is ...").

use super::words::{number_word, tokens, Tok};

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
    if matches!(sa.as_str(), "99999" | "99999-9999" | "9999" | "99-999") {
        return Some(1);
    }
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
    (upper && pair).then_some(2)
}

/// How many tokens from `k` a spoken code takes: three to ten single letters and number words
/// ("n w one seven j e"), with at least one number word.
pub fn spoken_code_len(t: &[Tok], k: usize) -> Option<usize> {
    let part = |x: &Tok| x.word && (number_word(&x.lower) || x.lower.chars().count() == 1);
    let n = t[k..].iter().take(10).take_while(|x| part(x)).count();
    let numbers = t[k..k + n].iter().filter(|x| number_word(&x.lower)).count();
    (n >= 3 && numbers >= 1).then_some(n)
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

/// Words that may stand between the cue and the code: "zip code is", "postcode in Germany is".
const BETWEEN: &[&str] = &[
    "code", "code's", "is", "was", ":", "-", "'s", "should", "be", "it's",
];

/// ZIP codes and postcodes given after a cue ("zip is", "Postcode:", "postal code is"), as byte
/// ranges.
pub fn find_zips(text: &str, out: &mut Vec<(usize, usize)>) {
    let lower_has = |w: &[u8]| {
        text.as_bytes()
            .windows(w.len())
            .any(|s| s.eq_ignore_ascii_case(w))
    };
    if !lower_has(b"zip") && !lower_has(b"post") {
        return;
    }
    let t = tokens(text);
    for k in 0..t.len() {
        let cue = t[k].is_any(&["zip", "zip's", "zipcode", "postcode", "postcode's"])
            || t[k].is_any(&["post", "postal"]) && t.get(k + 1).is_some_and(|x| x.is("code"));
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
        if let Some(n) = code_at(&t, j) {
            out.push((t[j].start, t[j + n - 1].end));
        }
    }
}

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

fn code_at(t: &[Tok], j: usize) -> Option<usize> {
    if j >= t.len() {
        return None;
    }
    written_code_len(t, j).or_else(|| spoken_code_len(t, j))
}

#[cfg(test)]
mod tests;
