//! Person names and agents' own names, found by the cues people use to give them in calls and
//! chats: self-introductions ("my name is", "this is ... calling", "Rafael speaking"), titles
//! ("Mr. Okonkwo", "missus abernathy"), the name on the account, relatives ("my wife, Yuki
//! Tanaka"), greetings addressed to someone ("Thanks so much, Marcus"), and what surrounds a
//! name (names/around.rs: "... speaking", "to Ngozi Adeyemi-Clarke"). A name is never looked
//! for without a cue, so company, product and street names stay untouched; after a weak cue
//! ("it's", "i'm") a candidate needs a capital letter, a listed name or a following cue word.

use super::name_data::{is_first_name, is_surname};
use super::words::{cased, is_stop, tokens, Tok};
use crate::messages::Speaker;
use cues::{cue, Role, Strength};
use gate::{promising, GREETING};
use shape::{listed, namey, COMPANY, PARTICLES};

/// A name found: byte offsets, and whether it is an agent's own name (kept by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameSpan {
    pub start: usize,
    pub end: usize,
    pub agent: bool,
}

/// Words that confirm the name right before them after a weak cue ("this is olumide from ...").
const AFTER: &[&str] = &[
    "speaking", "calling", "writing", "here", "from", "again", "how", "you've", "you're", "and",
    "i", "i'm", "my", "born", "at", "that's", "thats",
];
/// Listed names that are also plain words after "it's": "sorry it's long", "it's fine".
const PLAIN: &[&str] = &[
    "long", "short", "fine", "grand", "young", "rich", "sharp", "bright", "free", "early", "late",
    "ready", "sure", "true", "clear", "busy", "gone", "done", "due", "over", "open", "closed",
    "cheap", "dear", "fair", "mint", "sterling", "golden",
];

/// Words after a relative's one-word name that show it is one: what the relative did.
const RELATION_NEXT: &[&str] = &[
    "took", "set", "said", "says", "has", "had", "was", "is", "will", "did", "does", "called",
    "rang", "paid", "made", "signed", "opened", "booked", "wants", "needs", "lives", "handles",
    "and", "who", "usually", "normally", "might",
];
/// The first of `AFTER` confirm even a single unlisted word ("this is sunita how can i help").
const STRONG_AFTER: usize = 9;
/// Names in one turn. `speaker` decides whose a self-introduction is; `None` (unknown) makes it
/// an agent's own name only in a text that reads as an agent's greeting.
pub fn find_names(text: &str, speaker: Option<Speaker>, out: &mut Vec<NameSpan>) {
    if !promising(text) && !super::spelled::may_hold(text) {
        return;
    }
    let t = tokens(text);
    let written = cased(text);
    let mut greeting = None;
    let mut is_greeting = || *greeting.get_or_insert_with(|| GREETING.is_match(text));
    let own_is_agent = match speaker {
        Some(Speaker::Agent | Speaker::Bot) => true,
        Some(Speaker::Customer | Speaker::Survey) => false,
        None => is_greeting(),
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
        // In an agent's greeting ("thanks for holding this is kev on the fraud line") the
        // name after "this is" or "you're through to" needs no confirming (after "i'm" or
        // "it's" a verb may follow: "i'm transferring you").
        let this_is = t[i].is_any(&["this", "through"])
            && t.get(j).is_some_and(|x| !x.lower.ends_with("ing"));
        // "this is mihai at harbour health": a name, then where its owner works.
        let at_work = t.get(j + 1).is_some_and(|x| x.is("at"))
            && t.get(j).is_some_and(|x| !adjective(&x.lower));
        let strength = if this_is && strength == Strength::Weak && (at_work || is_greeting()) {
            Strength::Strong
        } else {
            strength
        };
        let said_to = (role == Role::Addressee && !written)
            .then(|| addressed(&t, j))
            .flatten();
        match run(&t, j, written, strength).or(said_to) {
            Some((j, end)) => {
                // "Hi, Grace here", "Hello, Beatrix from the billing team": a greeting, then
                // the speaker's own name
                let own = t
                    .get(end)
                    .is_some_and(|n| n.is_any(&["here", "speaking", "calling", "writing", "from"]));
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
    around::before_cue_words(&t, written, &mut |a, b| {
        found.push((a, b, agent(Role::Own)))
    });
    let mut other = |a, b| {
        if !found.iter().any(|&(x, y, _)| x < b && a < y) {
            found.push((a, b, false));
        }
    };
    around::after_preposition(&t, written, &mut other);
    around::possessive_name(&t, written, &mut other);
    beside::before_bank_details(&t, written, &mut other);
    beside::before_relation(&t, written, &mut other);
    beside::called_first(&t, written, &mut |a, b| {
        if !found.iter().any(|&(x, y, _)| x < b && a < y) {
            found.push((a, b, agent(Role::Addressee)));
        }
    });
    let firsts: Vec<(usize, usize, bool)> = found.clone();
    for (a, b, is_agent) in firsts {
        beside::joined(&t, (a, b), written, &mut |x, y| {
            if !found.iter().any(|&(p, q, _)| p < y && x < q) {
                found.push((x, y, is_agent));
            }
        });
    }
    for &(a, b, is_agent) in &found {
        around::repeats(&t, (a, b), &found, &mut |x, y| {
            found_push(out, &t, x, y, is_agent)
        });
        // "ravi r a v i": the spelling that follows a name is part of it.
        let b = beside::spelling_end(&t, a, b).unwrap_or(b);
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

/// The name that starts at token `j` (after a hesitation), as the range of its tokens, if the
/// cue's strength is met. Up to four words, with particles inside ("Van der Merwe", "el amrani").
fn run(t: &[Tok], j: usize, written: bool, strength: Strength) -> Option<(usize, usize)> {
    // "Mr. van der Berg": particles may open a surname
    let mut k = j;
    // "it's uh kwame mensah": a hesitation before the name
    if t.get(k)
        .is_some_and(|x| x.is_any(&["uh", "um", "er", "erm"]))
    {
        k += 1;
    }
    let j = k;
    while k < t.len() && k - j < 2 && t[k].is_any(PARTICLES) {
        k += 1;
    }
    // "someone called J. Pemberton": an initial opens a written name
    let initial = written
        && t.get(k)
            .is_some_and(|x| x.capital && x.lower.chars().count() == 1)
        && t.get(k + 1).is_some_and(|x| x.is("."))
        && t.get(k + 2).is_some_and(|x| namey(x, written));
    if initial {
        k += 2;
    }
    let first = t.get(k).filter(|x| namey(x, written))?;
    // "misses okafor bear with me": after a title said aloud, one surname unless a listed
    // first name comes first.
    if strength == Strength::Surname && !written {
        return Some((j, k + 1));
    }
    if strength == Strength::Title && !written && !is_first_name(&first.lower) {
        let next_plain = t.get(k + 1).is_none_or(|x| !x.word || is_stop(&x.lower));
        return (is_surname(&first.lower) || next_plain).then_some((j, k + 1));
    }
    let mut end = k + 1;
    let relation_said = strength == Strength::Relation && !written;
    while end < t.len()
        && end - j < 4
        && !t[end].is_any(AFTER)
        && !(relation_said && t[end].is_any(RELATION_NEXT))
    {
        if namey(&t[end], written) {
            end += 1;
        } else if t[end].is_any(PARTICLES) && t.get(end + 1).is_some_and(|x| namey(x, written)) {
            end += 2;
        } else if t[end].is(".")
            && t[end - 1].lower.chars().count() == 1
            && t.get(end + 1).is_some_and(|x| namey(x, written))
        {
            // "J. Pemberton"
            end += 2;
        } else if t[end].is_any(&["uh", "um", "er", "erm"])
            && t.get(end + 1)
                .is_some_and(|x| namey(x, written) && !x.is_any(AFTER))
        {
            // "tomasz uh wisniewski"
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
        // "my son lukas set it up", "calling for my mum funmilayo"
        Strength::Relation if !written && len == 1 => {
            listed(first)
                || next.is_none_or(|n| !n.word || n.is_any(RELATION_NEXT))
                    && !adjective(&first.lower)
        }
        Strength::Relation | Strength::Title | Strength::Surname if written => true,
        Strength::Relation | Strength::Title | Strength::Surname => {
            listed(first) || len >= 2 && confirmed_after
        }
        Strength::Weak if written => {
            len >= 2 || listed_any || confirmed_after && !demonym(&first.lower)
        }
        Strength::Weak => {
            is_first_name(&first.lower) && !PLAIN.contains(&first.lower.as_str())
                || len >= 2 && (listed_any || confirmed_after)
                || next.is_some_and(|n| n.is_any(&AFTER[..STRONG_AFTER]))
                || beside::spelling_end(t, j, end).is_some()
        }
    };
    ok.then_some((j, end))
}

/// Words after a name said to someone that show it was one: "cheers wiremu appreciate it",
/// "hiya sinead it's niamh here", "hi rajdeep yeah ...".
const AFTER_ADDRESSED: &[&str] = &[
    "it's",
    "its",
    "this",
    "i'm",
    "im",
    "yeah",
    "yes",
    "appreciate",
    "thanks",
    "thank",
    "can",
    "could",
    "would",
    "how",
    "i",
    "you",
    "that's",
    "just",
    "quick",
    "sorry",
    "good",
];

/// Words said after a greeting that are no name.
const NOT_ADDRESSED: &[&str] = &[
    "there", "mate", "again", "anyway", "everyone", "all", "guys", "folks", "both", "love", "dear",
    "buddy", "man", "sir", "madam", "team", "lads", "pal", "so", "very", "a", "lot", "for",
];

/// A one-word name said to someone after a greeting or thanks (token `j`), as its range.
fn addressed(t: &[Tok], j: usize) -> Option<(usize, usize)> {
    let name = t
        .get(j)
        .filter(|x| namey(x, false) && !x.is_any(NOT_ADDRESSED))?;
    let next = t.get(j + 1);
    let shown = next.is_none_or(|n| n.is(",") || n.is_any(AFTER_ADDRESSED));
    (shown && !adjective(&name.lower)).then_some((j, j + 1))
}

/// Words shaped like adjectives and adverbs ("ridiculous", "lovely", "amazing"), not names.
fn adjective(lower: &str) -> bool {
    [
        "ous", "ful", "ble", "ing", "ly", "ed", "ive", "est", "ent", "ant",
    ]
    .iter()
    .any(|s| lower.ends_with(s))
        && !is_first_name(lower)
}

/// "I'm Canadian", "I'm Scottish", "I'm Japanese": nationality words look like names.
fn demonym(lower: &str) -> bool {
    ["ian", "ish", "ese", "ic", "ean"]
        .iter()
        .any(|s| lower.ends_with(s))
        && !is_first_name(lower)
}

mod around;
mod beside;
mod cues;
mod gate;
mod lists;
mod shape;
#[cfg(test)]
mod tests;
