//! What a word of a name looks like, for every name rule: name-shaped words (not common
//! words, capitalised in written text), listed names, the particles inside surnames ("van der
//! Merwe", "Mac Giolla") and the company words that end a run of capitalised words.

use crate::pii::name_data::{is_first_name, is_surname};
use crate::pii::words::{is_stop, number_word, Tok};

pub const PARTICLES: &[&str] = &[
    "van", "der", "de", "del", "della", "da", "dal", "di", "du", "la", "le", "von", "el", "al",
    "bin", "ben", "st", "mac", "ni", "nic", "ibn", "bint", "ter", "ten", "dos", "das", "zu", "ó",
    "ní", "uí", "ua",
];

/// Words of company names: a run followed by one is a company ("This is Northwind Bank").
pub const COMPANY: &[&str] = &[
    "bank",
    "energy",
    "insurance",
    "telecom",
    "airlines",
    "airways",
    "support",
    "services",
    "service",
    "broadband",
    "mobile",
    "wireless",
    "store",
    "inc",
    "ltd",
    "llc",
    "corp",
    "group",
    "team",
    "office",
    "plan",
    "plus",
    "pro",
    "premium",
];

/// A word that can be part of a name: not a common word, and in written text capitalised.
pub fn namey(tok: &Tok, written: bool) -> bool {
    // "SSN", "PIN", "USA": short capitals are acronyms, not names
    let acronym = tok.all_caps && tok.lower.chars().count() <= 4 && !listed(tok);
    tok.word
        && !tok.digit()
        && !number_word(&tok.lower)
        && !is_stop(&tok.lower)
        && !tok.lower.split('-').all(|p| p.chars().count() == 1)
        && !acronym
        && (tok.lower.chars().count() > 1 || written && tok.capital)
        && (!written || tok.capital)
}

pub fn listed(tok: &Tok) -> bool {
    is_first_name(&tok.lower) || is_surname(&tok.lower)
}
