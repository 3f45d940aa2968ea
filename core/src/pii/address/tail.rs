//! What follows a street in an address: unit, city, state or province, postcode, country,
//! written or said.

use super::streets::UNITS;
use crate::pii::postcode::{is_state, spoken_code_len, written_code_len};
use crate::pii::words::{is_stop, number_word, Tok};

/// What follows a street: unit, city, state or province, postcode, country. Written text goes
/// on through capitalised words, codes and commas; speech-to-text through words that are not
/// common ones, state names and spoken codes. The end index.
pub fn tail(t: &[Tok], mut end: usize, written: bool) -> usize {
    let mut k = end;
    let mut taken = 0;
    while k < t.len() && taken < 10 {
        let x = &t[k];
        if let Some(n) = is_state(t, k) {
            k += n;
        } else if x.is_any(UNITS) && t.get(k + 1).is_some_and(|y| y.word || y.is(".")) {
            k += if t[k + 1].is(".") { 3 } else { 2 };
            // "unit three hundred", "suite twenty one": a number said in words
            while !written
                && t.get(k).is_some_and(|y| number_word(&y.lower))
                && number_word(&t[k - 1].lower)
            {
                k += 1;
            }
            if !written
                && t.get(k)
                    .is_some_and(|y| y.lower.chars().count() == 1 && y.word)
            {
                k += 1;
            }
        } else if written {
            let unit_or_place = |y: &Tok| y.capital || y.digit() || y.is_any(UNITS);
            if x.is(",") && t.get(k + 1).is_some_and(unit_or_place) {
                k += 1;
                continue;
            }
            // "Montréal (Québec) H2L 2R5"
            let bracketed = x.is("(")
                && t.get(k + 1).is_some_and(|y| y.capital)
                && t.get(k + 2).is_some_and(|y| y.is(")"));
            if bracketed {
                k += 3;
                end = k;
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
        } else if let Some(n) = district(t, k, taken) {
            k += n;
        } else {
            break;
        }
        end = k;
        taken += 1;
    }
    end
}

/// "dublin six", "dublin fifteen": a city's district said as one or two number words after
/// the city, ending the address.
fn district(t: &[Tok], k: usize, taken: usize) -> Option<usize> {
    let n = t[k..]
        .iter()
        .take(3)
        .take_while(|x| number_word(&x.lower))
        .count();
    let after_place = taken > 0 && !number_word(&t[k - 1].lower);
    (after_place && (1..=2).contains(&n)).then_some(n)
}
