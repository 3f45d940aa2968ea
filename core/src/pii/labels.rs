//! The words that say what a number is ("account number", "security code", "sort code",
//! "passport", "routing", "my pin") or that it is something that is not PII ("order",
//! "tracking", "SKU", "lot number"), and which of them names a given number: the nearest before
//! it across a few words without digits, or else one right after it ("... for the routing
//! number", "... that's my pin").

use regex::Regex;
use std::sync::LazyLock;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Label {
    SsnLast4,
    Pin,
    Password,
    Cvv,
    Expiry,
    Routing,
    SortCode,
    Iban,
    Passport,
    Licence,
    Account,
    Card,
    Ssn,
    Phone,
    Dob,
    /// An IP address ("WAN IP", "IP address"): found by its shape (ip.rs); named here so the
    /// words before it ("the status page shows WAN IP ...") do not call it something else.
    Ip,
    /// An order, case, ticket, tracking, model... number: not PII, whatever its shape.
    Other,
    /// An amount, balance, fee or charge: not PII, but no name for a card number ("charge it
    /// to 4012...").
    Amount,
    /// Words that look like a label but are not one ("on the account"): read over.
    Skip,
}

/// Label phrases, most specific first: at one position the first that matches wins.
const LABELS: &[(Label, &str)] = &[
    (
        Label::Skip,
        r"(?:on|to|in|with|under|from|onto|for) (?:the|my|your|this|that|our) account|(?:for|on|in|with|into) (?:tele)?phone banking|(?:for|on|in|with|into) online banking",
    ),
    (
        Label::Other,
        r"(?:account|card|visa|mastercard|amex) ending(?: in)?|ending in|ends in",
    ),
    (
        Label::SsnLast4,
        r"last (?:4|four)(?: digits)? (?:of|on) (?:my |the |your |his |her )?(?:ssn|social(?: security)?(?: number)?)",
    ),
    // "date of birth ... and the last four 1676": said alone in identity checks, the last
    // four are the SSN's; "the last four of the card" gives the card's label after it.
    (Label::SsnLast4, r"last (?:4|four)(?: digits)?"),
    (
        Label::Other,
        r"sim pin|pin (?:pad|reminder|attempts?|reset)|puk|error code|zip code|post ?code|agent (?:id|number)|check number|cheque number|(?:customer|utility|gas|electric(?:ity)?|energy|broadband|water|mobile|phone) account(?: (?:number|no|num))?|account(?: number)? on (?:the|my|your) (?:bill|invoice)|helpline|help line|freephone|toll[- ]free",
    ),
    (
        Label::Pin,
        r"(?:alarm|door|gate|access|entry|keypad|key ?safe|lockbox|garage|voicemail) (?:code|pin|number|passcode)",
    ),
    (
        Label::Pin,
        r"(?:tele)?phone banking (?:passcode|pass code|pin|code|number)|personal identification number|security number|memorable number|pin(?: number| code)?",
    ),
    (
        Label::Password,
        r"(?:voice |verbal |online banking |telephone banking |phone banking |security |account )?(?:passcode|pass code|password|passphrase|pass phrase|memorable word|secret word)",
    ),
    (
        Label::Cvv,
        r"cvv2?|cvc2?|cv2|csc|c v [vc]|card (?:verification|security) (?:code|value|number)|security code|front code|verification code|[34][- ]?digit (?:security )?(?:code|number)|(?:code|digits|numbers?) on the (?:back|front|signature strip)|cid|signature strip|on the back(?: of (?:the|my) card)?",
    ),
    (
        Label::Expiry,
        r"exp(?:iry|iration)?(?: date)?|expires?|expiring|valid (?:thru|through|until|till|to)|good (?:thru|through)|runs out|mm ?/ ?yy(?:yy)?",
    ),
    (
        Label::Routing,
        r"(?:aba |ach |wire |transit )?routing(?: (?:and )?transit)?(?: (?:number|no|num))?|aba(?: number)?|rtn|ach|transit number|(?:my|the|your|a) (?:checks?|cheques?)",
    ),
    (
        Label::SortCode,
        r"sort(?:ing)?(?: code)?|bsb(?: number)?|b s b",
    ),
    (Label::Iban, r"iban"),
    (
        Label::Passport,
        r"passport(?: (?:number|no|num))?|pp (?:number|no|num)|reisepass(?:-?nr)?|passeport|pasaporte|paspoort",
    ),
    (
        Label::Licence,
        r"(?:driver'?s?'?|driving) licen[cs]e(?: (?:number|no|num))?|licen[cs]e(?: (?:number|no|num))?|dl|d l(?: number)?|f(?:ü|ue)hrerschein(?:-?nr)?|permis de conduire|rijbewijs",
    ),
    (
        Label::Account,
        r"(?:bank |checking |savings |current |business |personal |joint |deposit )?(?:account|acct|acc|a/c)(?: (?:number|no|num))?|checking|savings",
    ),
    (
        Label::Card,
        r"(?:credit |debit )?card(?: number)?|long number",
    ),
    (
        Label::Ssn,
        r"ssn(?: number)?|s s n|ss number|social security(?: (?:number|no|num))?|social(?: insurance)?(?: number)?|sin(?: number)?|national insurance(?: number| no)?|ni number|nino|tax id|itin",
    ),
    (
        Label::Dob,
        r"date of birth|d\.? ?o\.? ?b|birth ?date|birthday|born",
    ),
    (
        Label::Other,
        r"(?:order|tracking|ticket|case|invoice|reference|ref|confirmation|claim|lot|part|serial|model|sku|product|item|transaction|receipt|booking|purchase order|po|policy|meter|membership|loyalty|reward|voucher|promo|coupon|flight|room|seat|gate|version|build|firmware|batch|registration|parcel|shipment|badge|extension|ext|page|section|chapter|channel|error|code|id)(?: (?:number|no|num|id|code|reference))?|(?:customer|user|student|patient|employee|member) (?:number|no|num|id)",
    ),
    (
        Label::Ip,
        r"(?:wan |lan |public |private |static )?ip(?: address)?",
    ),
    (
        Label::Amount,
        r"balance|amount|total|limit|fee|price|cost|payment|refund|charge",
    ),
    (
        Label::Phone,
        r"(?:home |work |office |cell |mobile |contact |callback |best )?(?:phone|number|line)|cell|mobile|landline|telephone|call (?:me|you)(?: back)?(?: on| at)?|text me|reach me|ring me|whatsapp(?: me)?|area code|tel",
    ),
];

/// Each label's pattern alone, matching a whole text.
static EACH_LABEL: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    LABELS
        .iter()
        .map(|(_, p)| super::pattern::re(&format!(r"(?i)^(?:{p})$")))
        .collect()
});

static LABEL_RE: LazyLock<Regex> = LazyLock::new(|| {
    let alts: Vec<String> = LABELS.iter().map(|(_, p)| format!("({p})")).collect();
    super::pattern::re(&format!(r"(?i)(?-u:\b)(?:{})(?-u:\b)", alts.join("|")))
});

#[derive(Clone, Copy, Debug)]
pub struct Found {
    pub label: Label,
    pub start: usize,
    pub end: usize,
}

/// Every label phrase in `t`, in order.
pub fn labels(t: &str) -> Vec<Found> {
    // The combined search finds where labels are; which one each is, by the first label whose
    // own pattern matches the whole found text (the one the combined search preferred). Capture
    // groups would say it too, but the regex crate finds them far more slowly.
    let mut out: Vec<Found> = Vec::new();
    for m in LABEL_RE.find_iter(t) {
        let Some(i) = EACH_LABEL.iter().position(|r| r.is_match(m.as_str())) else {
            continue;
        };
        let found = Found {
            label: LABELS[i].0,
            start: m.start(),
            end: m.end(),
        };
        // "the model number on the back": where a thing is, not a security code.
        let placed = m.as_str().len() > 7 && m.as_str()[..7].eq_ignore_ascii_case("on the ");
        let after_label = out.last().is_some_and(|l| {
            l.label.not_pii() && t[l.end..found.start].split_whitespace().count() <= 1
        });
        if placed && after_label {
            continue;
        }
        out.push(found);
    }
    out
}

/// The label phrases of `t` near its numbers: those within reach of a digit (120 bytes before
/// it, 100 after), in order. What `label_of` can use, without searching the rest of a long
/// rendered transcript whose other lines hold only their timestamps.
pub fn labels_near_numbers(t: &str) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let mut runs = super::checks::number_runs(t).peekable();
    while let Some((s, mut e)) = runs.next() {
        // One window for numbers close together: one sentence, or a number read in parts.
        while let Some(&(_, next_end)) = runs.peek().filter(|r| r.0 <= e + 220) {
            e = next_end;
            runs.next();
        }
        let (mut from, mut to) = (s.saturating_sub(120), (e + 100).min(t.len()));
        while !t.is_char_boundary(from) {
            from -= 1;
        }
        while !t.is_char_boundary(to) {
            to += 1;
        }
        let from = out.last().map_or(from, |l| from.max(l.end));
        out.extend(labels(&t[from..to]).into_iter().map(|l| Found {
            start: l.start + from,
            end: l.end + from,
            ..l
        }));
    }
    out
}

/// Between a label and its number: a few words, no digits, no end of a question or sentence
/// (the dot of "no. 103463201" right after the label is an abbreviation's).
fn gap_ok(gap: &str, max_words: usize) -> bool {
    if gap.len() > 48 || gap.contains(|c: char| c.is_ascii_digit() || matches!(c, '!' | ';')) {
        return false;
    }
    let rest = gap.strip_prefix('.').unwrap_or(gap);
    // "the code on the back? ... got it, 664": a question, and its answer right after it.
    let asked = match rest.split_once('?') {
        Some((q, a)) => {
            let answer = a.trim_start_matches([' ', '.']);
            let short = answer.split_whitespace().count() <= 3;
            if !short || answer.contains(['?', '.']) {
                return false;
            }
            q
        }
        None => rest,
    };
    !asked.contains(". ") && asked.split_whitespace().count() <= max_words
}

/// The label that names the number at `start..end`, if any.
pub fn label_of(t: &str, labels: &[Found], start: usize, end: usize) -> Option<Found> {
    let before = labels
        .iter()
        .rev()
        .filter(|l| l.label != Label::Skip)
        .find(|l| l.end <= start);
    if let Some(l) = before {
        // A label of something else names only a number close after it ("part no. 310-...").
        let reach = if l.label.not_pii() { 3 } else { 6 };
        if gap_ok(&t[l.end..start], reach) {
            return Some(
                qualified(t, labels, l)
                    .or_else(|| topic(t, labels, l))
                    .unwrap_or(*l),
            );
        }
    }
    // After the number, only a PII label counts: "4471 ... customer" says nothing.
    let after = labels
        .iter()
        .find(|l| l.start >= end && !matches!(l.label, Label::Skip) && !l.label.not_pii())?;
    gap_ok(&t[end..after.start], 3).then_some(*after)
}

/// "The SSN on the claim should be ...": a label of something else inside a phrase that
/// qualifies a PII label before it ("on the claim", "for the refund") leaves the number to it.
fn qualified(t: &str, labels: &[Found], l: &Found) -> Option<Found> {
    if !l.label.not_pii() {
        return None;
    }
    let head = t[..l.start].trim_end().to_ascii_lowercase();
    let det = head.rsplit(' ').next()?;
    let rest = head[..head.len() - det.len()].trim_end();
    let prep = rest.rsplit(' ').next()?;
    let qualifies = matches!(det, "the" | "my" | "your" | "this" | "that")
        && matches!(prep, "on" | "for" | "of" | "from" | "in" | "with" | "to");
    let pii = labels
        .iter()
        .rev()
        .find(|p| p.end <= l.start && p.label != Label::Skip)?;
    let close = t[pii.end..l.start].split_whitespace().count() <= 2;
    (qualifies && close && !pii.label.not_pii()).then_some(*pii)
}

/// "I renewed my passport so the number is now ...": a bare "number" after a PII label a few
/// words before it is that label's number.
fn topic(t: &str, labels: &[Found], l: &Found) -> Option<Found> {
    if l.label != Label::Phone || !t[l.start..l.end].eq_ignore_ascii_case("number") {
        return None;
    }
    let pii = labels
        .iter()
        .rev()
        .find(|p| p.end <= l.start && p.label != Label::Skip)?;
    let gap = &t[pii.end..l.start];
    let close = gap.split_whitespace().count() <= 4 && gap_ok(gap, 4);
    (close && !pii.label.not_pii() && pii.label != Label::Phone).then_some(*pii)
}

impl Label {
    /// A label of something that is not PII: an identifier of something else or an amount.
    pub fn not_pii(self) -> bool {
        matches!(self, Label::Other | Label::Amount)
    }
}

/// True when the words before `start` say the number there is something that is not PII
/// (order, tracking, model, version number, amount...).
pub fn named_other(t: &str, labels: &[Found], start: usize, end: usize) -> bool {
    label_of(t, labels, start, end).is_some_and(|l| l.label.not_pii())
}

/// True when the words before `start` call the number an identifier of something else: an
/// amount word does not ("charge it to 4012 8888 ...").
pub fn named_other_id(t: &str, labels: &[Found], start: usize, end: usize) -> bool {
    label_of(t, labels, start, end).is_some_and(|l| l.label == Label::Other)
}

/// Words between two numbers that make the second the same kind of number: taking the first
/// back ("no sorry", "wait no", "i mean", "not", "that's the old one it's") or giving someone
/// else's ("; mine is", "and his is").
pub fn correction(gap: &str) -> bool {
    // Seven short words at most: a longer stretch is no correction, and needs no reading.
    if gap.len() > 60 {
        return false;
    }
    let words: Vec<String> = gap
        .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let key = [
        "sorry", "no", "wait", "mean", "actually", "mine", "his", "hers", "not", "old", "new",
        "instead",
    ];
    let filler = [
        "i", "it's", "its", "oh", "um", "uh", "and", "is", "it", "that's", "the", "one", "was",
        "now",
    ];
    !words.is_empty()
        && words.len() <= 7
        && words.iter().any(|w| key.contains(&w.as_str()))
        && words
            .iter()
            .all(|w| key.contains(&w.as_str()) || filler.contains(&w.as_str()))
}
