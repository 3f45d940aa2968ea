//! Whether a turn is worth the full name reading (tokens, cues, runs): most turns have no
//! cue at all, and the cue words that are in most turns ("hi", "it's", "to") count only with a
//! word beside them that could be a name. Also the agent's greeting that makes a
//! self-introduction the agent's own.

use super::lists;
use super::shape::PARTICLES;
use crate::pii::name_data::{is_first_name, is_surname};
use crate::pii::words::is_stop;
use regex::Regex;
use std::sync::LazyLock;

fn re(p: &str) -> Regex {
    crate::pii::pattern::re(p)
}

/// Every cue below contains one of these words: a text without any is not tokenised at all.
static GATE: LazyLock<Regex> = LazyLock::new(|| {
    let relatives = lists::RELATIVES.join("|");
    let people = lists::PEOPLE.join("|");
    let forms = lists::FORM_LABELS.join("|");
    // Relatives, people and form labels cue a name only with the words around them ("my
    // neighbour", "a lady called", "Traveller:"): bare, "customer" or "mate" are in most texts.
    re(&format!(
        r"(?i)(?-u:\b)(?:names?|name's|surname|this is|it'?s|it’s|it is|i'?m|i’m|i am|that's|speak(?:ing)?|talking|chatting|writing|mrs?|ms|miss|misses|mister|missus|dr|doctor|under|holder|cardholder|beneficiary|kontoinhaber|inhaber|titulaire|titular|behalf|(?:that|that's|is) (?:right|correct)|here|through to|you'?ve got|calls? (?:him|her|me)|goes by|known as|hi|hiya|hello|hey|bonjour|hola|hallo|g'day|thanks|thank you|cheers|to|for|from|by|cc|(?:my|his|her|our|their|your)(?: [a-z]+)? (?:{relatives})|'s (?:{relatives})|(?:{people}) (?:called|named)|s?he['’]s|, (?:sort|iban|routing|account|acct|acc|bsb|bic|swift))(?-u:\b)|(?-u:\b)(?:{forms}) ?:"
    ))
});

/// Cues so common in written turns ("hi", "thanks", "it's", "here") that they are worth the
/// full reading only when a word near them could be a name: capitalised, or a listed name.
const WEAK: &[&str] = &[
    "that right",
    "that correct",
    "that's right",
    "that's correct",
    "is right",
    "is correct",
    "she's",
    "he's",
    "she’s",
    "he’s",
    "that's",
    "this is",
    "it's",
    "its",
    "it’s",
    "it is",
    "i'm",
    "im",
    "i’m",
    "i am",
    "here",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank you",
    "cheers",
];

/// Whether `text` is worth the full reading (tokens, cues, runs): a strong cue, an agent's
/// greeting, speech-to-text (no capital letter, so names are not marked by case), or a weak
/// cue with a word that could be a name among the three after it or the one before.
pub fn promising(text: &str) -> bool {
    let written = text.chars().any(char::is_uppercase);
    // "Tariq can you ...": a turn opened by the name of the one asked (names/beside.rs)
    let mut words = text.split(' ');
    let first = words.next().unwrap_or("").trim_end_matches(',');
    let asks = matches!(words.next(), Some("can" | "could" | "would" | "will"))
        && words.next() == Some("you");
    let plain = || is_stop(&first.to_lowercase());
    if asks && first.starts_with(char::is_uppercase) && first.len() > 2 && !plain() {
        return true;
    }
    let word = |c: char| c.is_alphabetic() || c == '\'' || c == '’' || c == '-';
    let mut greeting = None;
    GATE.find_iter(text).any(|m| {
        let cue = m.as_str().to_lowercase();
        // "to", "for", "from", "by" lead only to written names that look like a person's
        // (names/around.rs); they are in most texts, so the next words decide here.
        if PREPOSITIONS.contains(&cue.as_str()) {
            let mut next = text[m.end()..]
                .split(|c: char| !word(c))
                .filter(|w| !w.is_empty());
            return written && next.next().is_some_and(|w| person_like(w, next.take(3)));
        }
        // ", sort code ...": a payee's name before it is capitalised (names/beside.rs).
        if cue.starts_with(',') {
            let before = text[..m.start()]
                .rsplit(|c: char| !word(c))
                .find(|w| !w.is_empty());
            return written && before.is_some_and(|w| w.starts_with(char::is_uppercase));
        }
        if !written || *greeting.get_or_insert_with(|| GREETING.is_match(text)) {
            return true;
        }
        if !WEAK.contains(&cue.as_str()) {
            return true;
        }
        let after = text[m.end()..]
            .split(|c: char| !word(c))
            .filter(|w| !w.is_empty())
            .take(3);
        // Not across a label ("Agent: Thanks"): the label is no name.
        let head = text[..m.start()].trim_end();
        // "Pip the ShopRight assistant here": the name may be a few words before "here".
        let reach = if cue == "here" { 4 } else { 1 };
        let before = head
            .rsplit(|c: char| !word(c))
            .filter(|w| !w.is_empty())
            .take(if head.ends_with(':') { 0 } else { reach });
        after.chain(before).any(could_be_name)
    })
}

const PREPOSITIONS: &[&str] = &["to", "for", "from", "by", "cc"];

/// A capitalised word that opens a person's name: a listed first name, or with a
/// double-barrelled, accented or particled name after it ("Ngozi Adeyemi-Clarke", "Lucía",
/// "Giulia Dal Santo").
fn person_like<'a>(first: &str, rest: impl Iterator<Item = &'a str>) -> bool {
    let shaped = |w: &str| w.contains('-') || !w.is_ascii();
    first.chars().next().is_some_and(char::is_uppercase)
        && (shaped(first)
            || is_first_name(&first.to_lowercase())
            || rest
                .into_iter()
                .any(|w| shaped(w) || PARTICLES.contains(&w.to_lowercase().as_str())))
}

fn could_be_name(word: &str) -> bool {
    if word != "I" && word.chars().next().is_some_and(char::is_uppercase) {
        return true;
    }
    let lower = word.to_lowercase();
    is_first_name(&lower) || is_surname(&lower)
}

/// What an agent says when opening a contact: with no speaker given, a self-introduction in a
/// text like this is the agent's own name.
pub static GREETING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)thanks? (?:you )?for (?:calling|holding|waiting|contacting|choosing|your patience)|welcome to|you'?ve reached|you have reached|you'?re through to|you are (?:now )?(?:through to|chatting with|speaking with)|you'?re (?:now )?(?:chatting|speaking) with|how (?:can|may) i (?:help|assist)|i'?ll be (?:looking after|handling|helping|assisting)|\b(?:from|with|on) the [a-z ]{2,20}(?:team|department|desk)\b|\bi'?m a (?:supervisor|manager|specialist|representative|advisor|adviser|agent)|\b(?:case manager|supervisor|specialist|representative|advisor|adviser) (?:at|with|for|here)\b|transfer you|put you through|\bmy colleague",
    )
});
