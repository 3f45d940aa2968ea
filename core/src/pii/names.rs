//! Person names and agents' own names, found by the cues people use to give them in calls and
//! chats: self-introductions ("my name is", "this is ... calling", "Rafael speaking"), titles
//! ("Mr. Okonkwo", "missus abernathy"), the name on the account, relatives ("my wife, Yuki
//! Tanaka"), greetings addressed to someone ("Thanks so much, Marcus"). A name is never looked
//! for without a cue, so company, product and street names stay untouched; after a weak cue
//! ("it's", "i'm") a candidate needs a capital letter, a listed name or a following cue word.

use super::name_data::{is_first_name, is_surname};
use super::words::{cased, is_stop, tokens, Tok};
use crate::messages::Speaker;
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

/// What an agent says when opening a contact: with no speaker given, a self-introduction in a
/// text like this is the agent's own name.
static GREETING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)thanks? (?:you )?for (?:calling|holding|waiting|contacting|choosing|your patience)|welcome to|you'?ve reached|you have reached|you'?re through to|you are (?:now )?(?:through to|chatting with|speaking with)|you'?re (?:now )?(?:chatting|speaking) with|how (?:can|may) i (?:help|assist)|i'?ll be (?:looking after|handling|helping|assisting)|\b(?:from|with|on) the [a-z ]{2,20}(?:team|department|desk)\b|\bi'?m a (?:supervisor|manager|specialist|representative|advisor|adviser|agent)|\b(?:case manager|supervisor|specialist|representative|advisor|adviser) (?:at|with|for|here)\b|transfer you|put you through|\bmy colleague",
    )
});

/// Who a cue says the name belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The speaker themself ("my name is").
    Own,
    /// Someone talked about ("Mr. ...", "the name on the account is").
    Other,
    /// The speaker's colleague, an agent when the speaker is one.
    Colleague,
    /// The person spoken to ("Thanks, Marcus").
    Addressee,
}

/// How much a cue says by itself: a strong one takes any name-shaped words; a weak one needs
/// them confirmed (listed name, capital letter, or a cue word after them).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    Strong,
    Relation,
    Weak,
}

const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "mister", "missus", "mx", "miss", "dr", "doctor",
];
const RELATIVES: &[&str] = &[
    "wife",
    "husband",
    "partner",
    "son",
    "daughter",
    "mother",
    "mom",
    "mum",
    "father",
    "dad",
    "brother",
    "sister",
    "colleague",
    "spouse",
    "fiance",
    "fiancé",
    "fiancée",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "boss",
    "friend",
];
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
    if !GATE.is_match(text) && !super::spelled::may_hold(text) {
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

/// The cue that starts at token `i`: the index of the first token after it, whose name it
/// gives, and how much it says.
fn cue(t: &[Tok], i: usize, written: bool) -> Option<(usize, Role, Strength)> {
    use Role::*;
    use Strength::*;
    let w = |k: usize| t.get(i + k).map_or("", |t| t.lower.as_str());
    let prev = |k: usize| i.checked_sub(k).map_or("", |p| t[p].lower.as_str());
    let tok = &t[i];
    let verb = |k: usize| matches!(w(k), "is" | "was" | ":" | "-");
    // "my name is", "name's", "his name is", "first name is", "Name:", "the name on the card is"
    if tok.is_any(&["name", "surname", "names"]) || tok.is("name's") {
        let own = prev(1) == "my" && tok.lower.starts_with("name");
        let role = if own { Own } else { Other };
        if tok.is("name's") {
            return Some((i + 1, role, Strong));
        }
        if verb(1) {
            return Some((i + 2, role, Strong));
        }
        if w(1) == "on" {
            // name on (the) account/card is|:
            let k = if w(2) == "the" || w(2) == "my" { 3 } else { 2 };
            if matches!(
                w(k),
                "account" | "card" | "policy" | "booking" | "reservation"
            ) {
                return verb(k + 1).then_some((i + k + 2, Other, Strong));
            }
        }
        // "first name Ebba", "name Mrs. Ada Obi": a written label with no verb
        let label = matches!(
            prev(1),
            "first" | "last" | "full" | "middle" | "given" | ","
        );
        return (written && (label || tok.is("surname"))).then_some((i + 1, Other, Strong));
    }
    if tok.is("this") && w(1) == "is" {
        return Some((i + 2, Own, Weak));
    }
    if tok.is_any(&["i'm", "it's", "im"]) {
        return Some((i + 1, Own, Weak));
    }
    if (tok.is("i") || tok.is("it")) && w(1) == "am" || tok.is("it") && w(1) == "is" {
        return Some((i + 2, Own, Weak));
    }
    if tok.is_any(&["speaking", "speak", "talking", "chatting"]) && matches!(w(1), "with" | "to") {
        let you = (1..=3).any(|k| matches!(prev(k), "you're" | "you" | "youre"));
        return Some((i + 2, if you { Own } else { Other }, Strong));
    }
    if tok.is_any(TITLES) {
        let j = if w(1) == "." { i + 2 } else { i + 1 };
        let det = matches!(
            prev(1),
            "the" | "a" | "an" | "my" | "your" | "our" | "their" | "some" | "any" | "that"
        );
        let question = i == 1 && matches!(prev(1), "is" | "are" | "does" | "do" | "did");
        // Said titles also open product names ("mister muscle"); written ones are capitalised.
        let ambiguous = !written;
        if det || question {
            return None;
        }
        return Some((j, Other, if ambiguous { Relation } else { Strong }));
    }
    if prev(1) == "my" && t[i].is_any(RELATIVES) || relative_possessive(tok) && prev(1) == "my" {
        let role = if tok.lower.starts_with("colleague") {
            Colleague
        } else {
            Other
        };
        let mut j = i + 1;
        if w(1) == "name" || w(1) == "is" {
            j += 1;
        }
        if t.get(j).is_some_and(|t| t.is(",") || t.is(":")) {
            j += 1;
        }
        return Some((j, role, Relation));
    }
    if tok.is("under") && (w(1) == "the" && w(2) == "name") {
        let j = if w(3) == "of" { i + 4 } else { i + 3 };
        return Some((j, Other, Strong));
    }
    if tok.is("under")
        && (matches!(prev(1), "is" | "was" | "it's" | "booked") || prev(1).ends_with("'s"))
    {
        return Some((i + 1, Other, Strong));
    }
    if tok.is_any(&["holder", "cardholder", "beneficiary", "policyholder"]) {
        let j = if verb(1) || w(1) == "," { i + 2 } else { i + 1 };
        return Some((j, Other, if written { Strong } else { Relation }));
    }
    if tok.is("behalf") && w(1) == "of" {
        return Some((i + 2, Other, Relation));
    }
    // Greetings and thanks addressed to someone: "Hi Priya,", "Thanks so much, Marcus."
    if tok.is_any(&["hi", "hello", "hey", "thanks", "cheers", "bye"])
        || tok.is("thank") && w(1) == "you"
    {
        let mut j = if tok.is("thank") { i + 2 } else { i + 1 };
        if matches!(t.get(j).map(|t| t.lower.as_str()), Some("so" | "very"))
            && w(j - i + 1) == "much"
        {
            j += 2;
        }
        if t.get(j).is_some_and(|t| t.is(",")) {
            j += 1;
        }
        return Some((j, Addressee, Weak));
    }
    None
}

fn relative_possessive(tok: &Tok) -> bool {
    tok.lower
        .strip_suffix("'s")
        .is_some_and(|r| RELATIVES.contains(&r))
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

#[cfg(test)]
mod tests;
