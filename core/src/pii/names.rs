//! Person names and agents' own names, found by the cues people use to give them in calls and
//! chats: self-introductions ("my name is", "this is ... calling", "Rafael speaking"), titles
//! ("Mr. Okonkwo", "missus abernathy"), the name on the account, relatives ("my wife, Yuki
//! Tanaka"), greetings addressed to someone ("Thanks so much, Marcus"). A name is never looked
//! for without a cue, so company, product and street names stay untouched; after a weak cue
//! ("it's", "i'm") a candidate needs a capital letter, a listed name or a following cue word.

use super::name_data::{is_first_name, is_surname};
use super::words::{cased, is_stop, tokens, Tok};
use crate::messages::Speaker;
use cues::{cue, Role, Strength};
use regex::Regex;
use std::sync::LazyLock;

/// A name found: byte offsets, and whether it is an agent's own name (kept by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameSpan {
    pub start: usize,
    pub end: usize,
    pub agent: bool,
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("built-in name pattern compiles")
}

/// Every cue below contains one of these words: a text without any is not tokenised at all.
static GATE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?-u:\b)(?:names?|name's|surname|this is|it'?s|it’s|it is|i'?m|i’m|i am|speak(?:ing)?|talking|chatting|mrs?|ms|miss|mister|missus|dr|doctor|under|holder|cardholder|beneficiary|behalf|here|colleague|wife|husband|partner|son|daughter|mother|mom|mum|father|dad|brother|sister|hi|hello|hey|thanks|thank you|cheers)(?-u:\b)",
    )
});

/// Cues so common in written turns ("hi", "thanks", "it's", "here") that they are worth the
/// full reading only when a word near them could be a name: capitalised, or a listed name.
const WEAK: &[&str] = &[
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
fn promising(text: &str) -> bool {
    let mut cues = GATE.find_iter(text).peekable();
    if cues.peek().is_none() {
        return false;
    }
    if !text.chars().any(char::is_uppercase) || GREETING.is_match(text) {
        return true;
    }
    let word = |c: char| c.is_alphabetic() || c == '\'' || c == '’' || c == '-';
    cues.any(|m| {
        let cue = m.as_str().to_lowercase();
        if !WEAK.contains(&cue.as_str()) {
            return true;
        }
        let after = text[m.end()..]
            .split(|c: char| !word(c))
            .filter(|w| !w.is_empty())
            .take(3);
        // Not across a label ("Agent: Thanks"): the label is no name.
        let head = text[..m.start()].trim_end();
        let before = (!head.ends_with(':'))
            .then(|| head.rsplit(|c: char| !word(c)).find(|w| !w.is_empty()))
            .flatten();
        after.chain(before).any(could_be_name)
    })
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
static GREETING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)thanks? (?:you )?for (?:calling|holding|waiting|contacting|choosing|your patience)|welcome to|you'?ve reached|you have reached|you'?re through to|you are (?:now )?(?:through to|chatting with|speaking with)|you'?re (?:now )?(?:chatting|speaking) with|how (?:can|may) i (?:help|assist)|i'?ll be (?:looking after|handling|helping|assisting)|\b(?:from|with|on) the [a-z ]{2,20}(?:team|department|desk)\b|\bi'?m a (?:supervisor|manager|specialist|representative|advisor|adviser|agent)|\b(?:case manager|supervisor|specialist|representative|advisor|adviser) (?:at|with|for|here)\b|transfer you|put you through|\bmy colleague",
    )
});

const PARTICLES: &[&str] = &[
    "van", "der", "de", "del", "della", "da", "di", "du", "la", "le", "von", "el", "al", "bin",
    "ben", "st",
];
/// Words that confirm the name right before them after a weak cue ("this is olumide from ...").
const AFTER: &[&str] = &[
    "speaking", "calling", "here", "from", "again", "how", "and", "i", "i'm", "my", "born", "at",
];
/// The first of `AFTER` confirm even a single unlisted word ("this is sunita how can i help").
const STRONG_AFTER: usize = 6;
/// Words of company names: a run followed by one is a company ("This is Northwind Bank").
const COMPANY: &[&str] = &[
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

/// Names in one turn. `speaker` decides whose a self-introduction is; `None` (unknown) makes it
/// an agent's own name only in a text that reads as an agent's greeting.
pub fn find_names(text: &str, speaker: Option<Speaker>, out: &mut Vec<NameSpan>) {
    if !promising(text) && !super::spelled::may_hold(text) {
        return;
    }
    let t = tokens(text);
    let written = cased(text);
    let own_is_agent = match speaker {
        Some(Speaker::Agent | Speaker::Bot) => true,
        Some(Speaker::Customer | Speaker::Survey) => false,
        None => GREETING.is_match(text),
    };
    let agent = |role: Role| match role {
        Role::Own | Role::Colleague => own_is_agent,
        Role::Other => false,
        Role::Addressee => speaker == Some(Speaker::Customer),
    };
    let mut found: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let Some((j, role, strength)) = cue(&t, i, written) else {
            i += 1;
            continue;
        };
        match run(&t, j, written, strength) {
            Some(end) => {
                // "Hi, Grace here": a greeting, then the speaker's own name
                let own = t.get(end).is_some_and(|n| n.is_any(&["here", "speaking"]));
                let role = if role == Role::Addressee && own {
                    Role::Own
                } else {
                    role
                };
                found.push((j, end, agent(role)));
                i = end;
            }
            None => i += 1,
        }
    }
    before_cue_words(&t, written, &mut |a, b| {
        found.push((a, b, agent(Role::Own)))
    });
    for &(a, b, is_agent) in &found {
        repeats(&t, a, &found, &mut |x, y| {
            found_push(out, &t, x, y, is_agent)
        });
        found_push(out, &t, a, b, is_agent);
    }
    super::spelled::find_spelled(&t, &mut |start, end| {
        if !out.iter().any(|n| n.start <= start && n.end >= end) {
            out.push(NameSpan {
                start,
                end,
                agent: false,
            });
        }
    });
}

fn found_push(out: &mut Vec<NameSpan>, t: &[Tok], a: usize, b: usize, agent: bool) {
    let (start, end) = (t[a].start, t[b - 1].end);
    if !out.iter().any(|n| n.start <= start && n.end >= end) {
        out.push(NameSpan { start, end, agent });
    }
}

/// A word that can be part of a name: not a common word, and in written text capitalised.
fn namey(tok: &Tok, written: bool) -> bool {
    // "SSN", "PIN", "USA": short capitals are acronyms, not names
    let acronym = tok.all_caps && tok.lower.chars().count() <= 4 && !listed(tok);
    tok.word
        && !tok.digit()
        && !is_stop(&tok.lower)
        && !tok.lower.split('-').all(|p| p.chars().count() == 1)
        && !acronym
        && (tok.lower.chars().count() > 1 || written && tok.capital)
        && (!written || tok.capital)
}

fn listed(tok: &Tok) -> bool {
    is_first_name(&tok.lower) || is_surname(&tok.lower)
}

/// The name that starts at token `j`, as the end index of its tokens, if the cue's strength is
/// met. Up to four words, with particles inside ("Van der Merwe", "el amrani").
fn run(t: &[Tok], j: usize, written: bool, strength: Strength) -> Option<usize> {
    let first = t.get(j).filter(|x| namey(x, written))?;
    let mut end = j + 1;
    while end < t.len() && end - j < 4 && !t[end].is_any(AFTER) {
        if namey(&t[end], written) {
            end += 1;
        } else if t[end].is_any(PARTICLES) && t.get(end + 1).is_some_and(|x| namey(x, written)) {
            end += 2;
        } else {
            break;
        }
    }
    let next = t.get(end);
    if next.is_some_and(|n| n.is_any(COMPANY)) {
        return None;
    }
    // "Van der Merwe, Annelie." — a surname, then the given name after a comma
    if written && next.is_some_and(|n| n.is(",")) {
        let given = t.get(end + 1).filter(|x| namey(x, written));
        let closes = t.get(end + 2).is_none_or(|x| !x.word);
        if given.is_some() && closes && strength == Strength::Strong {
            end += 2;
        }
    }
    let len = end - j;
    let listed_any = t[j..end].iter().any(listed);
    let confirmed_after = next.is_none_or(|n| !n.word || n.is_any(AFTER));
    let ok = match strength {
        Strength::Strong => true,
        Strength::Relation if written => true,
        Strength::Relation => listed(first) || len >= 2 && confirmed_after,
        Strength::Weak if written => {
            len >= 2 || listed_any || confirmed_after && !demonym(&first.lower)
        }
        Strength::Weak => {
            is_first_name(&first.lower)
                || len >= 2 && (listed_any || confirmed_after)
                || next.is_some_and(|n| n.is_any(&AFTER[..STRONG_AFTER]))
        }
    };
    ok.then_some(end)
}

/// "I'm Canadian", "I'm Scottish", "I'm Japanese": nationality words look like names.
fn demonym(lower: &str) -> bool {
    ["ian", "ish", "ese", "ic", "ean"]
        .iter()
        .any(|s| lower.ends_with(s))
        && !is_first_name(lower)
}

/// A name right before "speaking" or "here" at the start of a clause: "Rafael speaking.",
/// "Hi, Grace here from billing".
fn before_cue_words(t: &[Tok], written: bool, push: &mut impl FnMut(usize, usize)) {
    for (k, tok) in t.iter().enumerate() {
        if !tok.is_any(&["speaking", "here"]) || k == 0 {
            continue;
        }
        let mut a = k;
        while a > 0 && k - a < 3 && namey(&t[a - 1], written) {
            a -= 1;
        }
        let clause_start = a == 0
            || !t[a - 1].word
            || t[a - 1].is_any(&["hi", "hello", "hey", "morning", "afternoon", "evening"]);
        let sure = written || t[a..k].iter().any(|x| is_first_name(&x.lower));
        if a < k && clause_start && sure {
            push(a, k);
        }
    }
}

/// Later mentions of a name already found ("it's santiago from the other day santiago
/// herrera"), with the name-shaped words right after them.
fn repeats(
    t: &[Tok],
    a: usize,
    found: &[(usize, usize, bool)],
    push: &mut impl FnMut(usize, usize),
) {
    for k in 0..t.len() {
        let inside = found.iter().any(|&(x, y, _)| (x..y).contains(&k));
        // The first name again, with a surname after it: a lone repeated word may be part of
        // something else ("p moyo at example dot com").
        if inside || t[a].lower != t[k].lower {
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

mod cues;
#[cfg(test)]
mod tests;
