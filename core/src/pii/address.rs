//! Postal addresses: a house number (digits, or said as words: "four twenty two") followed by a
//! street name and its type ("Maple Avenue", "rue des Lilas", "Lindenstraße 14"), then the unit,
//! city, state or province and postcode that follow it. A street without a house number ("the
//! branch on Main Street") is not an address: the number is what makes it someone's home.

use super::postcode::{is_state, spoken_code_len, written_code_len};
use super::words::{cased, is_stop, number_word, tokens, Tok};
use regex::Regex;
use std::sync::LazyLock;

/// Street types said after the name ("Elm Street").
const SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "drive",
    "dr",
    "lane",
    "ln",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "way",
    "terrace",
    "crescent",
    "close",
    "mews",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "circle",
    "cir",
    "square",
    "sq",
    "trail",
    "row",
    "grove",
    "gardens",
    "walk",
    "hollow",
    "crossing",
    "alley",
    "broadway",
    "pike",
    "loop",
];
/// Street types said before the name ("rue des Lilas", "Calle de Alcalá", "ul. Marszałkowska").
const PREFIXES: &[&str] = &[
    "rue", "calle", "via", "viale", "piazza", "plaza", "ul", "ulica", "avenida", "rua", "chemin",
    "strada", "corso", "carrer", "camino", "allée",
];
/// Street types written as the end of one word ("Schillerstraße", "Keizersgracht").
const COMPOUND: &[&str] = &[
    "straße", "strasse", "str", "weg", "gasse", "platz", "allee", "damm", "gracht", "straat",
    "laan", "veien", "vegen", "gatan", "gade", "vej",
];
const UNITS: &[&str] = &[
    "flat",
    "apartment",
    "apt",
    "unit",
    "suite",
    "ste",
    "#",
    "m",
    "room",
];
const PARTICLES: &[&str] = &[
    "de", "des", "del", "la", "di", "da", "du", "le", "dos", "das",
];

static GATE: LazyLock<Regex> = LazyLock::new(|| {
    let words = [SUFFIXES, PREFIXES].concat().join("|");
    let compound = COMPOUND.join("|");
    Regex::new(&format!(
        r"(?i)(?-u:\b)(?:{words}|box)(?-u:\b)|\w(?:{compound})(?-u:\b)"
    ))
    .expect("built-in address pattern compiles")
});

/// Addresses in one turn, as byte ranges.
pub fn find_addresses(text: &str, out: &mut Vec<(usize, usize)>) {
    if !GATE.is_match(text) {
        return;
    }
    let t = tokens(text);
    let written = cased(text);
    let mut i = 0;
    while i < t.len() {
        match address_at(&t, i, written) {
            Some((a, b)) => {
                out.push((t[a].start, t[b - 1].end));
                i = b;
            }
            None => i += 1,
        }
    }
}

/// The address whose house number (or PO box, or EU street) starts at token `i`.
fn address_at(t: &[Tok], i: usize, written: bool) -> Option<(usize, usize)> {
    let street_end = if t[i].is("po") || t[i].is("p.o") {
        let b = if t.get(i + 1).is_some_and(|x| x.is(".")) {
            i + 2
        } else {
            i + 1
        };
        t.get(b).filter(|x| x.is("box"))?;
        house_number(t, b + 1)?
    } else if let Some(end) = eu_street(t, i, written) {
        end
    } else {
        let n = house_number(t, i)?;
        street(t, n, written)?
    };
    let start = unit_before(t, i);
    Some((start, tail(t, street_end, written)))
}

/// The end of a house number starting at `i`: "1420", "7B", "221-H", or words ("one oh five",
/// "two eleven b").
fn house_number(t: &[Tok], i: usize) -> Option<usize> {
    let tok = t.get(i)?;
    if tok.digit() {
        let digits = tok.lower.chars().take_while(char::is_ascii_digit).count();
        return (digits <= 5 && !tok.lower.ends_with("th") && !tok.lower.ends_with("st"))
            .then_some(i + 1);
    }
    let mut end = i;
    while end < t.len() && end - i < 4 && number_word(&t[end].lower) {
        end += 1;
    }
    if end == i || t[i].is_any(&["oh", "o", "double", "triple"]) {
        return None;
    }
    let letter = t
        .get(end)
        .is_some_and(|x| x.lower.chars().count() == 1 && x.word);
    Some(if letter { end + 1 } else { end })
}

fn name_word(x: &Tok, written: bool) -> bool {
    x.word
        && !number_word(&x.lower)
        && !is_stop(&x.lower)
        && (!written || x.capital || x.digit() && ordinal(&x.lower))
        && (!x.digit() || ordinal(&x.lower))
}

fn ordinal(lower: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|s| lower.ends_with(s))
}

/// After a house number: a street name and its type ("Maple Avenue", "rue des Lilas"); the end
/// index of the street.
fn street(t: &[Tok], n: usize, written: bool) -> Option<usize> {
    if t.get(n).is_some_and(compound) {
        return Some(n + 1);
    }
    if t.get(n).is_some_and(|x| x.is_any(PREFIXES)) {
        let end = name_words(t, n + 1, written);
        return (end > n + 1).then_some(end);
    }
    let mut best = None;
    let mut k = n;
    while k < t.len() && k - n < 5 {
        if k > n && t[k].is_any(SUFFIXES) {
            best = Some(k + 1);
        }
        // "W." in "3500 W. Olympic Blvd"
        let initial_dot = t[k].is(".") && k > n && t[k - 1].lower.chars().count() == 1;
        if !name_word(&t[k], written) && !t[k].is_any(SUFFIXES) && !initial_dot {
            break;
        }
        k += 1;
    }
    best
}

/// Street-name words with particles, from `j`; the end index.
fn name_words(t: &[Tok], j: usize, written: bool) -> usize {
    let mut end = j;
    while end < t.len() && end - j < 4 {
        if name_word(&t[end], written) {
            end += 1;
        } else if t[end].is_any(PARTICLES) && t.get(end + 1).is_some_and(|x| name_word(x, written))
        {
            end += 2;
        } else {
            break;
        }
    }
    end
}

/// A street named first and numbered after: "Lindenstraße 14", "Via Garibaldi 45", "ul.
/// Marszałkowska 84/92"; the end index after the number.
fn eu_street(t: &[Tok], i: usize, written: bool) -> Option<usize> {
    let tok = &t[i];
    let name_end = if tok.is_any(PREFIXES) {
        let j = if t.get(i + 1).is_some_and(|x| x.is(".")) {
            i + 2
        } else {
            i + 1
        };
        let end = name_words(t, j, written);
        (end > j).then_some(end)?
    } else if tok.capital && compound(tok) {
        i + 1
    } else {
        return None;
    };
    let num = t.get(name_end).filter(|x| x.digit())?;
    let digits = num.lower.chars().take_while(char::is_ascii_digit).count();
    (digits <= 4).then_some(name_end + 1)
}

/// A street written as one word ending in its type: "Schillerstraße", "Fjordveien".
fn compound(tok: &Tok) -> bool {
    tok.word
        && COMPOUND
            .iter()
            .any(|c| tok.lower.ends_with(c) && tok.lower.len() > c.len() + 2)
}

/// "Flat 3, " or "Apartment 7B, " before the house number: the index where the address starts.
fn unit_before(t: &[Tok], i: usize) -> usize {
    if i >= 1 && t[i - 1].is_any(UNITS) && !t[i - 1].is("m") {
        // "flat two forty one camden high street": the flat's number runs into the house's
        return i - 1;
    }
    let mut k = i;
    if k > 0 && t[k - 1].is(",") {
        k -= 1;
    }
    if k >= 2 && t[k - 2].is_any(UNITS) && (t[k - 1].digit() || number_word(&t[k - 1].lower)) {
        return k - 2;
    }
    if i >= 1 && t[i - 1].is("number") {
        return i - 1;
    }
    i
}

/// What follows a street: unit, city, state or province, postcode, country. Written text goes
/// on through capitalised words, codes and commas; speech-to-text through words that are not
/// common ones, state names and spoken codes. The end index.
fn tail(t: &[Tok], mut end: usize, written: bool) -> usize {
    let mut k = end;
    let mut taken = 0;
    while k < t.len() && taken < 10 {
        let x = &t[k];
        if let Some(n) = is_state(t, k) {
            k += n;
        } else if x.is_any(UNITS) && t.get(k + 1).is_some_and(|y| y.word || y.is(".")) {
            k += if t[k + 1].is(".") { 3 } else { 2 };
            if !written
                && t.get(k)
                    .is_some_and(|y| y.lower.chars().count() == 1 && y.word)
            {
                k += 1;
            }
        } else if written {
            if x.is(",") && t.get(k + 1).is_some_and(|y| y.capital || y.digit()) {
                k += 1;
                continue;
            }
            let abbrev_dot = x.is(".")
                && t[k - 1].capital
                && t[k - 1].lower.chars().count() <= 3
                && t.get(k + 1).is_some_and(|y| y.capital);
            if abbrev_dot {
                k += 1;
                continue;
            }
            if let Some(n) = written_code_len(t, k) {
                k += n;
            } else if x.word && (x.capital || x.digit() && x.lower.len() <= 3) {
                k += 1;
            } else {
                break;
            }
        } else if let Some(n) = spoken_code_len(t, k) {
            k += n;
        } else if x.word && !is_stop(&x.lower) && !number_word(&x.lower) {
            k += 1;
        } else {
            break;
        }
        end = k;
        taken += 1;
    }
    end
}
