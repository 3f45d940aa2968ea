//! Postal addresses: a house number (digits, or said as words: "four twenty two") followed by a
//! street name and its type ("Maple Avenue", "rue des Lilas", "Lindenstraße 14"), then the unit,
//! city, state or province and postcode that follow it. A street without a house number ("the
//! branch on Main Street") is not an address: the number is what makes it someone's home.

use super::words::{cased, is_stop, number_word, tokens, Tok};
use regex::Regex;
use std::sync::LazyLock;
use streets::{COMPOUND, MEASURES, PARTICLES, PREFIXES, SUFFIXES, UNITS};

/// Street words, the cheap test before tokenising: all literals, so the regex crate looks
/// for them all at once (a word-character class before the compounds cost a full scan).
static GATE: LazyLock<Regex> = LazyLock::new(|| {
    let words = [SUFFIXES, PREFIXES].concat().join("|");
    let compound = COMPOUND.join("|");
    super::pattern::re(&format!(
        r"(?i)(?-u:\b)(?:{words}|box)(?-u:\b)|(?:{compound})(?-u:\b)"
    ))
});
/// "number six the paddocks": a street named "the ..." after a numbered house.
static NUMBER_THE: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"(?i)\bnumber (?:[a-z]+ ){1,3}the\b"));

/// A street type ("street", "road", "avenue"...): a capitalised run ending in one is a street.
pub fn street_type(lower: &str) -> bool {
    SUFFIXES.contains(&lower)
}

/// Addresses in one turn, as byte ranges.
pub fn find_addresses(text: &str, out: &mut Vec<(usize, usize)>) {
    if !GATE.is_match(text) && !NUMBER_THE.is_match(text) {
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
    } else if let Some(end) = unit_street(t, i, written) {
        end
    } else {
        let n = house_number(t, i)?;
        if t.get(n).is_some_and(|x| x.is_any(MEASURES)) {
            return None;
        }
        street(t, n, written).or_else(|| the_street(t, i, n, written))?
    };
    let start = house_name_before(t, unit_before(t, i), written);
    Some((start, tail::tail(t, street_end, written)))
}

/// "Apartment 12, Ashgrove Court": a flat's number, then a street with no house number.
fn unit_street(t: &[Tok], i: usize, written: bool) -> Option<usize> {
    if !t[i].is_any(&["flat", "apartment", "apt", "unit", "suite"]) {
        return None;
    }
    let n = house_number(t, i + 1)?;
    let n = if t.get(n).is_some_and(|x| x.is(",")) {
        n + 1
    } else {
        n
    };
    street(t, n, written).filter(|&end| end > n + 1)
}

/// "four the crescent", "number six the paddocks": a street called "the ...", after a house
/// number that the words before call one, or ending in a street type.
fn the_street(t: &[Tok], i: usize, n: usize, written: bool) -> Option<usize> {
    t.get(n).filter(|x| x.is("the"))?;
    let name = t
        .get(n + 1)
        .filter(|x| name_word(x, written) || x.is_any(SUFFIXES))?;
    let called = i > 0 && t[i - 1].is_any(&["number", "at", "is", "to", "address"]);
    (name.is_any(SUFFIXES) || called).then_some(n + 2)
}

/// "The Old Forge, 2 Church Lane": a house's name and a comma before its number, in written
/// text, after a word that is not capitalised (or the start).
fn house_name_before(t: &[Tok], start: usize, written: bool) -> usize {
    if !written || start < 2 || !t[start - 1].is(",") {
        return start;
    }
    let mut a = start - 1;
    while a > 0 && start - 1 - a < 3 && t[a - 1].word && t[a - 1].capital && !t[a - 1].digit() {
        a -= 1;
    }
    let opens = a == 0 || !t[a - 1].capital || t[a - 1].is(":");
    if a < start - 1 && opens {
        a
    } else {
        start
    }
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
    while end < t.len() && end - i < 5 {
        // "three hundred and five"
        let and = t[end].is("and") && end > i && t[end - 1].is("hundred");
        if !number_word(&t[end].lower) && !and {
            break;
        }
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
    // "Old Mill Rd", "Back Lane": written capitalised, a common word names a street too.
    x.word
        && !number_word(&x.lower)
        && (!is_stop(&x.lower) || written && x.capital && x.lower != "i")
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
        } else if let Some(p) = particles_before_name(t, end, written) {
            // "Rue de la Paix"
            end += p + 1;
        } else {
            break;
        }
    }
    end
}

/// One or two particles at `k` followed by a name word ("de la Paix"): how many.
fn particles_before_name(t: &[Tok], k: usize, written: bool) -> Option<usize> {
    let p = t[k..]
        .iter()
        .take(2)
        .take_while(|x| x.is_any(PARTICLES))
        .count();
    (p > 0 && t.get(k + p).is_some_and(|x| name_word(x, written))).then_some(p)
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
    let unit_number = |x: &Tok| x.digit() || number_word(&x.lower) || x.lower.chars().count() == 1;
    if k >= 2 && t[k - 2].is_any(UNITS) && unit_number(&t[k - 1]) {
        return k - 2;
    }
    // "flat two a forty one cavendish road": the flat's number and letter
    let letter = |x: &Tok| x.word && x.lower.chars().count() == 1;
    if k >= 3 && t[k - 3].is_any(UNITS) && unit_number(&t[k - 2]) && letter(&t[k - 1]) {
        return k - 3;
    }
    if i >= 1 && t[i - 1].is("number") {
        return i - 1;
    }
    i
}

mod streets;
mod tail;
#[cfg(test)]
mod tests;
