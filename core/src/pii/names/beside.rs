//! Names known by what is beside them: their own spelling after them ("kiri ngata k i r i"),
//! the bank details after a payee's name ("to Ifeoma Eze, sort code ..."), a second name joined
//! to one found ("Leilani Kahale and Keoni Kahale"), and a relation after a possessive ("Chidi
//! Obi's wife").

use super::lists::RELATIVES;
use super::shape::{namey, PARTICLES};
use crate::pii::name_data::is_first_name;
use crate::pii::words::Tok;

/// Words that may come between a name and its spelling ("that's k w a m e").
const SPELLING_LEAD: &[&str] = &["that's", "thats", "it's", "spelled", "spelt", "is", "so"];

/// The end of the spelling of the words `t[a..b]` right after them (of the whole name or of its
/// first word), if one follows.
pub fn spelling_end(t: &[Tok], a: usize, b: usize) -> Option<usize> {
    let mut k = b;
    while k < t.len() && k - b < 2 && t[k].is_any(SPELLING_LEAD) {
        k += 1;
    }
    let letters: Vec<char> = t[a..b].iter().flat_map(|x| x.lower.chars()).collect();
    let first = t[a].lower.chars().count();
    let mut n = 0;
    while t
        .get(k + n)
        .is_some_and(|x| x.word && x.lower.chars().count() == 1)
    {
        n += 1;
    }
    let said: Vec<char> = t[k..k + n].iter().flat_map(|x| x.lower.chars()).collect();
    let whole = said.len() >= letters.len() && said[..letters.len()] == letters[..];
    let part = first >= 3 && said.len() >= first && said[..first] == letters[..first];
    if whole {
        Some(k + letters.len())
    } else if part {
        Some(k + first)
    } else {
        None
    }
}

/// Bank words that follow a payee's name after a comma.
const BANK: &[&str] = &[
    "sort", "iban", "routing", "account", "acct", "acc", "bsb", "bic", "swift", "a/c",
];

/// "Please send the refund to Ifeoma Eze, sort code ...", "wire instructions: Delphine
/// Okafor-Ruiz, routing ...": two to four capitalised words before a comma and bank details.
pub fn before_bank_details(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    if !written {
        return;
    }
    for k in 2..t.len() {
        if !t[k].is(",") || !t.get(k + 1).is_some_and(|x| x.is_any(BANK)) {
            continue;
        }
        let mut a = k;
        while a > 0 && k - a < 5 {
            let p = &t[a - 1];
            let inner = p.is_any(PARTICLES) || p.lower == "ó" || p.lower == "ní";
            if namey(p, written) || inner && a < k {
                a -= 1;
            } else {
                break;
            }
        }
        while a < k && t[a].is_any(PARTICLES) {
            a += 1;
        }
        let clause = a == 0 || !t[a - 1].word || t[a - 1].is_any(&["to", "for", "from", "payee"]);
        if k - a >= 2 && clause {
            push(a, k);
        }
    }
}

/// "Leilani Kahale and Keoni Kahale": a second name after "and", as long as the first and
/// sharing its surname (or, written, two capitalised words).
pub fn joined(
    t: &[Tok],
    (a, b): (usize, usize),
    written: bool,
    push: &mut impl FnMut(usize, usize),
) {
    if b - a < 2 || !t.get(b).is_some_and(|x| x.is("and")) {
        return;
    }
    let s = b + 1;
    let mut e = s;
    while e < t.len() && e - s < 3 && namey(&t[e], written) {
        e += 1;
    }
    let same_surname = e > s + 1 && t[e - 1].lower == t[b - 1].lower;
    if same_surname || written && e - s >= 2 && is_first_name(&t[s].lower) {
        push(s, e);
    }
}

/// "I'm Nkechi, Chidi Obi's wife": the name before "'s" and a relative.
pub fn before_relation(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    for k in 0..t.len().saturating_sub(1) {
        let Some(owner) = t[k].lower.strip_suffix("'s") else {
            continue;
        };
        if !t[k + 1].is_any(RELATIVES) || owner.is_empty() {
            continue;
        }
        let bare = Tok {
            lower: owner.to_string(),
            ..t[k].clone()
        };
        if !namey(&bare, written) || !written && !is_first_name(owner) {
            continue;
        }
        let mut a = k;
        while a > 0 && k - a < 2 && namey(&t[a - 1], written) {
            a -= 1;
        }
        push(a, k + 1);
    }
}

/// Words that open a written turn before "can you" without being a name.
const NOT_CALLED: &[&str] = &[
    "great",
    "brilliant",
    "perfect",
    "lovely",
    "cool",
    "awesome",
    "right",
    "okay",
    "alright",
    "cheers",
    "thanks",
    "hello",
    "hi",
    "hey",
    "also",
    "and",
    "but",
    "so",
    "please",
    "sorry",
    "ok",
    "yes",
    "no",
    "yeah",
    "now",
    "then",
    "again",
    "actually",
    "hmm",
    "um",
    "well",
    "wait",
    "anyway",
    "sure",
    "fine",
    "excellent",
    "agent",
    "operator",
    "support",
    "team",
    "guys",
    "hiya",
];

/// "Tariq can you stay on the chat": a written turn opened by the name of the one asked.
pub fn called_first(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    let Some(first) = t.first() else { return };
    let k = if t.get(1).is_some_and(|x| x.is(",")) {
        2
    } else {
        1
    };
    let asks = t
        .get(k)
        .is_some_and(|x| x.is_any(&["can", "could", "would", "will"]))
        && t.get(k + 1).is_some_and(|x| x.is("you"));
    let plain = first.is_any(NOT_CALLED) || first.lower.ends_with("ly");
    if written && asks && !plain && namey(first, written) {
        push(0, 1);
    }
}
