//! Names found by what is around them rather than by a cue before them: a name before
//! "speaking" or "here" ("Rafael speaking.", "Ziggy the PetCover bot here!"), a written name
//! after "to", "for", "from" or "by" that only a person's name looks like, a name before "'s
//! name", and later mentions of a name already found.

use super::shape::{namey, COMPANY, PARTICLES};
use crate::pii::address::street_type;
use crate::pii::name_data::is_first_name;
use crate::pii::words::Tok;

/// What a bot or an agent calls itself between its name and "here".
const ROLES: &[&str] = &["bot", "assistant", "helper", "agent", "advisor", "adviser"];

/// A name right before "speaking" or "here" at the start of a clause: "Rafael speaking.",
/// "Hi, Grace here from billing", "good morning harbourline insurance connor speaking".
pub fn before_cue_words(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    for (k, tok) in t.iter().enumerate() {
        if !tok.is_any(&["speaking", "here"]) || k == 0 {
            continue;
        }
        // "Ziggy the PetCover bot here": the name, then what it is
        let mut k = k;
        if t[k - 1].is_any(ROLES) {
            if let Some(the) = (k.saturating_sub(5)..k - 1).rev().find(|&j| t[j].is("the")) {
                k = the;
            }
        }
        let mut a = k;
        while a > 0 && k - a < 3 && namey(&t[a - 1], written) {
            a -= 1;
        }
        let after_company = a > 0 && t[a - 1].is_any(COMPANY);
        let clause_start = a == 0
            || !t[a - 1].word
            || t[a - 1].is_any(&[
                "hi",
                "hello",
                "hey",
                "hiya",
                "morning",
                "afternoon",
                "evening",
            ])
            || after_company;
        let sure = written || after_company || t[a..k].iter().any(|x| is_first_name(&x.lower));
        if a < k && clause_start && sure {
            push(a, k);
        }
    }
}

/// Words after which "to" and "from" lead to a place.
const TRAVEL: &[&str] = &[
    "fly",
    "flying",
    "flew",
    "flight",
    "flights",
    "travel",
    "travelling",
    "traveling",
    "trip",
    "holiday",
    "move",
    "moving",
    "moved",
    "going",
    "went",
    "drive",
    "driving",
    "ship",
    "shipped",
    "shipping",
    "deliver",
    "delivered",
    "delivery",
    "return",
    "returning",
    "visit",
    "visiting",
    "ticket",
    "tickets",
    "route",
    "train",
    "bus",
    "ferry",
    "roaming",
];
/// The last word of a place named after someone.
const PLACES: &[&str] = &[
    "airport",
    "station",
    "hotel",
    "hospital",
    "university",
    "college",
    "school",
    "centre",
    "center",
    "mall",
    "church",
    "cathedral",
    "museum",
    "stadium",
    "arena",
    "theatre",
    "theater",
    "bridge",
    "beach",
    "island",
    "county",
    "city",
    "town",
    "village",
    "international",
];

/// In written text, capitalised words after "to", "for", "from" or "by" that only a person's
/// name looks like: "send the refund to Ngozi Adeyemi-Clarke", "a note from Giulia Dal Santo".
/// Places and companies are capitalised too, so the words must say "person": a listed first
/// name first, or a double-barrelled, accented or particled name; never a company word after
/// them.
pub fn after_preposition(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    if !written {
        return;
    }
    for k in 0..t.len() {
        if !t[k].is_any(&["to", "for", "from", "by", "cc"]) {
            continue;
        }
        // "flying to São Paulo", "moved from Aix-en-Provence Nord": after travel and moving,
        // "to" and "from" lead to places.
        let travel = t[k.saturating_sub(3)..k].iter().any(|x| x.is_any(TRAVEL));
        if travel {
            continue;
        }
        let j = k + 1;
        let mut end = j;
        while end < t.len() && end - j < 5 {
            // "Maria de la Cruz": particles, then a name word
            let particles = t[end..].iter().take(2).take_while(|x| x.is_any(PARTICLES));
            let p = particles.count();
            if namey(&t[end], true) {
                end += 1;
            } else if p > 0 && t.get(end + p).is_some_and(|x| namey(x, true)) {
                end += p + 1;
            } else {
                break;
            }
        }
        if end - j < 2 || t.get(end).is_some_and(|x| x.is_any(COMPANY) || x.is("&")) {
            continue;
        }
        // "to Elizabeth Street", "from Jorge Chávez Airport": places named after someone
        if street_type(&t[end - 1].lower) || t[end - 1].is_any(PLACES) {
            continue;
        }
        let run = &t[j..end];
        let shaped = run.iter().any(|x| {
            x.lower.contains('-') && x.lower.split('-').all(|p| p.chars().count() > 1)
                || !x.lower.is_ascii()
        });
        let particle = run[1..].iter().any(|x| x.is_any(PARTICLES));
        // A listed surname alone says little here: "to Northern Ireland", "to Morgan Stanley".
        if is_first_name(&run[0].lower) || shaped || particle {
            push(j, end);
        }
    }
}

/// "put the gas bill in Yusuf Demir's name", "booked under Ana Ruiz's name": the words before
/// "'s name" after "in" or "under".
pub fn possessive_name(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    for k in 1..t.len() {
        let owner = &t[k - 1];
        if !t[k].is("name") || !owner.lower.ends_with("'s") {
            continue;
        }
        let bare = Tok {
            lower: owner.lower.trim_end_matches("'s").to_string(),
            ..owner.clone()
        };
        if !namey(&bare, written) {
            continue;
        }
        let mut a = k - 1;
        while a > 0 && k - 1 - a < 2 && namey(&t[a - 1], written) {
            a -= 1;
        }
        if a > 0 && t[a - 1].is_any(&["in", "under", "into"]) {
            push(a, k);
        }
    }
}

/// Later mentions of a name already found ("it's santiago from the other day santiago
/// herrera"), with the name-shaped words right after them; in written text also a part of a
/// double-barrelled name alone ("Kowalczyk-Byrne ... will still say Byrne").
pub fn repeats(
    t: &[Tok],
    (a, b): (usize, usize),
    found: &[(usize, usize, bool)],
    push: &mut impl FnMut(usize, usize),
) {
    let parts: Vec<&str> = t[a..b]
        .iter()
        .filter(|x| x.capital && x.lower.contains('-'))
        .flat_map(|x| x.lower.split('-'))
        .filter(|p| p.chars().count() > 2)
        .collect();
    for k in 0..t.len() {
        let inside = found.iter().any(|&(x, y, _)| (x..y).contains(&k));
        if inside {
            continue;
        }
        if t[k].capital && parts.contains(&t[k].lower.as_str()) {
            push(k, k + 1);
            continue;
        }
        // The first name again, with a surname after it: a lone repeated word may be part of
        // something else ("p moyo at example dot com").
        if t[a].lower != t[k].lower {
            continue;
        }
        let mut end = k + 1;
        while end < t.len() && end - k < 3 && namey(&t[end], t[k].capital) {
            end += 1;
        }
        if end > k + 1 {
            push(k, end);
        }
    }
}
