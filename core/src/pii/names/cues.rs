//! The cues that give a name in a conversation turn ("my name is", "Mr.", "my wife,", "Hi
//! Priya,"): where the name starts, whose it is and how much the cue says by itself.

use super::lists::{FORM_LABELS, PEOPLE, RELATIVES, RELATIVE_ADJECTIVES, TITLES};
use crate::pii::words::Tok;

/// Who a cue says the name belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Role {
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
pub enum Strength {
    Strong,
    Relation,
    /// A title ("Mr.", "missus"): strong when written, a surname alone when said.
    Title,
    /// A title said to someone ("thank you misses okafor"): one surname, listed or not.
    Surname,
    Weak,
}

/// The cue that starts at token `i`: the index of the first token after it, whose name it
/// gives, and how much it says.
pub fn cue(t: &[Tok], i: usize, written: bool) -> Option<(usize, Role, Strength)> {
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
        // "name as on passport Kiri Ngata-Hohaia"
        let a = usize::from(w(1) == "as" && w(2) == "on");
        if w(1 + a) == "on" {
            // name on (the) account/card is|:
            let k = a + if w(2 + a) == "the" || w(2 + a) == "my" {
                3
            } else {
                2
            };
            if matches!(
                w(k),
                "account"
                    | "card"
                    | "policy"
                    | "booking"
                    | "reservation"
                    | "passport"
                    | "licence"
                    | "license"
                    | "ticket"
                    | "order"
                    | "parcel"
                    | "letter"
                    | "bill"
            ) {
                if verb(k + 1) {
                    return Some((i + k + 2, Other, Strong));
                }
                let named = written && t.get(i + k + 1).is_some_and(|x| x.capital);
                return named.then_some((i + k + 1, Other, Strong));
            }
        }
        // "the account's in my name nuala ni dhomhnaill"
        if own && matches!(prev(2), "in" | "under") {
            return Some((i + 1, Own, Strong));
        }
        // "first name Ebba", "name Mrs. Ada Obi": a written label with no verb
        let label = matches!(
            prev(1),
            "first" | "last" | "full" | "middle" | "given" | ","
        );
        // Said: "surname is o'sullivan first name padraig", the name ending the turn.
        let said_last = !written
            && t.get(i + 1).is_some_and(|x| x.word)
            && t.get(i + 2)
                .is_none_or(|x| !x.word || x.is_any(&["and", "surname", "last"]));
        return ((written || said_last) && (label || tok.is("surname"))).then_some((
            i + 1,
            Other,
            Strong,
        ));
    }
    if tok.is("this") && w(1) == "is" {
        return Some((i + 2, Own, Weak));
    }
    // "okay so that's priyanka raghunathan and ...": a name read back.
    if tok.is("that's") && !written {
        return Some((i + 1, Other, Weak));
    }
    // "you're through to jarrah", "you've got fenella": an agent's opening.
    if tok.is("through") && w(1) == "to" && matches!(prev(1), "you're" | "youre" | "through") {
        return Some((i + 2, Own, Weak));
    }
    if tok.is("got") && matches!(prev(1), "you've" | "youve") {
        return Some((i + 1, Own, Weak));
    }
    // "a lady called Deirdre", "someone named J. Pemberton"
    if tok.is_any(&["called", "named"]) && PEOPLE.contains(&prev(1)) {
        return Some((i + 1, Other, Relation));
    }
    // "everyone calls him bill", "she goes by Meg", "known as Tommy"
    if tok.is_any(&["calls", "call"]) && matches!(w(1), "him" | "her" | "me")
        || tok.is("goes") && w(1) == "by"
        || tok.is("known") && w(1) == "as"
    {
        return Some((i + 2, Other, Relation));
    }
    // "Traveller: Oluwaseun Bakare-Hughes"
    if written && tok.is_any(FORM_LABELS) && w(1) == ":" {
        return Some((i + 2, Other, Strong));
    }
    if tok.is_any(&["i'm", "it's", "im"]) {
        return Some((i + 1, Own, Weak));
    }
    // "she's Amara Okonjo-Reid": someone else introduced.
    if tok.is_any(&["she's", "he's"]) {
        return Some((i + 1, Other, Weak));
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
        let addressed = matches!(
            prev(1),
            "you" | "thanks" | "okay" | "ok" | "sorry" | "hi" | "hello" | "morning" | "afternoon"
        );
        let strength = match (ambiguous, addressed) {
            (false, _) => Strong,
            (true, true) => Surname,
            (true, false) => Title,
        };
        return Some((j, Other, strength));
    }
    // "my wife", "his wife, Hélène", "my late husband's name, Bill Hatcher"
    let owner = |k: usize| matches!(prev(k), "my" | "his" | "her" | "our" | "their" | "your");
    let owned = owner(1) || RELATIVE_ADJECTIVES.contains(&prev(1)) && owner(2);
    if owned && (t[i].is_any(RELATIVES) || relative_possessive(tok)) {
        let role = if tok.lower.starts_with("colleague") {
            Colleague
        } else {
            Other
        };
        // "my wife's email ...", "my dad's number": what is theirs follows, not their name.
        let theirs = ["email", "e-mail", "phone", "mobile", "number", "address"];
        if relative_possessive(tok) && theirs.contains(&w(1)) {
            // "my mother-in-law's phone, Wanjiru Kamau": whose it is, named after a comma
            return (written && w(2) == ",").then_some((i + 3, Other, Relation));
        }
        let mut j = i + 1;
        let named = w(1) == "name";
        if named || matches!(w(1), "is" | "account" | "policy" | "card") {
            j += 1;
        }
        // "my partner's name tomasz": the name is said to be one
        if named && relative_possessive(tok) && t.get(j).is_some_and(|x| x.word) {
            return Some((j, role, Strong));
        }
        if t.get(j).is_some_and(|t| t.is(",") || t.is(":")) {
            j += 1;
        }
        return Some((j, role, Relation));
    }
    if tok.is_any(&["under", "in"]) && (w(1) == "the" && w(2) == "name") {
        let j = if w(3) == "of" { i + 4 } else { i + 3 };
        return Some((j, Other, Strong));
    }
    if tok.is("under")
        && (matches!(prev(1), "is" | "was" | "it's" | "booked") || prev(1).ends_with("'s"))
    {
        return Some((i + 1, Other, Strong));
    }
    if tok.is_any(&[
        "holder",
        "cardholder",
        "beneficiary",
        "policyholder",
        "kontoinhaber",
        "inhaber",
        "titulaire",
        "titular",
    ]) {
        let j = if verb(1) || matches!(w(1), "," | "to" | "as") {
            i + 2
        } else {
            i + 1
        };
        return Some((j, Other, if written { Strong } else { Relation }));
    }
    if tok.is("behalf") && w(1) == "of" {
        return Some((i + 2, Other, Relation));
    }
    // "is that right Gerald?", "that's correct, Ms. Obi": a check addressed to someone
    if tok.is_any(&["right", "correct"]) && matches!(prev(1), "that" | "that's" | "is") {
        let j = if w(1) == "," { i + 2 } else { i + 1 };
        let ends = t.get(j + 1).is_none_or(|x| x.is_any(&["?", ".", "!"]));
        return ends.then_some((j, Addressee, Weak));
    }
    // Greetings and thanks addressed to someone: "Hi Priya,", "Thanks so much, Marcus."
    if tok.is_any(&[
        "hi", "hello", "hey", "hiya", "thanks", "cheers", "bye", "bonjour", "hola", "hallo",
        "g'day",
    ]) || tok.is("thank") && w(1) == "you"
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
