//! Words of a conversation turn as the name and address detectors read them: byte offsets,
//! a lower-case form (curly apostrophes made straight, as speech-to-text and phones mix them),
//! and the common words that are never a name, which is what lets lower-case speech-to-text
//! ("this is maria gonzalez calling") be read without capital letters.

// Fx hashing: every word of a turn read for names is looked up here.
use rustc_hash::FxHashSet as HashSet;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub start: usize,
    pub end: usize,
    /// Lower case, `’` as `'`; a punctuation token is its character.
    pub lower: String,
    pub word: bool,
    /// Starts with an upper-case letter.
    pub capital: bool,
    /// Two or more letters, all upper case ("SSN", "JOHANSSON").
    pub all_caps: bool,
}

// Inlined: the name and address rules ask these of every token, many times over.
impl Tok {
    #[inline]
    pub fn is(&self, w: &str) -> bool {
        self.lower == w
    }
    #[inline]
    pub fn is_any(&self, ws: &[&str]) -> bool {
        ws.contains(&self.lower.as_str())
    }
    #[inline]
    pub fn digit(&self) -> bool {
        self.lower.starts_with(|c: char| c.is_ascii_digit())
    }
}

/// Words are runs of letters and digits, joined by an apostrophe, hyphen or slash between two of
/// them ("O'Brien", "Eze-Williams", "221-H", "84/92"); every other non-space character is a
/// punctuation token of its own.
pub fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(text.len() / 4);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() {
                    end = j + d.len_utf8();
                    chars.next();
                } else if matches!(d, '\'' | '’' | '-' | '/')
                    && text[j + d.len_utf8()..].starts_with(char::is_alphanumeric)
                {
                    chars.next();
                } else {
                    break;
                }
            }
            let s = &text[i..end];
            out.push(Tok {
                start: i,
                end,
                lower: lower(s),
                word: true,
                capital: c.is_uppercase(),
                all_caps: s.chars().filter(|c| c.is_alphabetic()).count() > 1
                    && !s.chars().any(char::is_lowercase),
            });
        } else if !c.is_whitespace() {
            out.push(Tok {
                start: i,
                end: i + c.len_utf8(),
                lower: c.to_string(),
                word: false,
                capital: false,
                all_caps: false,
            });
        }
    }
    out
}

/// `s` in lower case with `’` as `'`, in one allocation (every token of every turn read).
fn lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let lower = s.to_lowercase();
    if lower.contains('’') {
        lower.replace('’', "'")
    } else {
        lower
    }
}

/// Text written with capital letters somewhere: chat or written text, where a name is
/// capitalised; otherwise speech-to-text, where nothing is.
pub fn cased(text: &str) -> bool {
    text.chars().any(char::is_uppercase)
}

/// Words that are not names: function words, common verbs, adjectives and fillers that follow
/// "i'm" or "this is", and the words of company and team names ("Northwind Bank").
static STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    "a an the and or but so if then than that this these those there here it it's its is are was
    were be been being am do does did done have has had having will would can could shall should
    may might must not no yes yeah yep yup nope ok okay oh um uh er erm hmm well just only also
    still even really very quite pretty too all any some every each other another such same
    i i'm i've i'll i'd me my mine myself you you're you've you'll your yours he he's him his she
    she's her hers we we're our us they they're their them who whom whose what which where when
    why how hi hello hey thanks thank please sorry sure right fine good great bad nice new old
    wrong correct calling call called speaking speak spoke talking chatting looking trying going
    gonna wanna having getting waiting writing ringing phoning contacting reaching following
    checking hoping wondering about from with without for to of in on at by as into onto over
    under up down out off again back away today tomorrow yesterday now later soon already
    ever never always sometimes usually name names named spelled spelt spell first last full
    middle maiden surname account card holder number one someone somebody anyone nobody
    customer client member user guest caller agent manager supervisor representative rep team
    department desk support service services help bank banking energy insurance telecom mobile
    wireless broadband airlines airways travel store shop company office branch group inc ltd
    llc corp billing sales claims fraud care center centre line chat human person lady guy man
    woman sir madam ma'am mister mr mrs ms miss dr doctor frustrated annoyed upset angry
    confused happy glad afraid worried calling ridiculous terrible awful crazy insane unacceptable
    new actually probably definitely honestly basically literally currently finally afraid
    afternoon morning evening night monday tuesday wednesday thursday friday saturday sunday
    january february march april june july august september october november december
    outside inside home work traveling travelling moving moved married divorced retired
    the same one two three four five six seven eight nine ten don't can't won't isn't wasn't
    didn't doesn't haven't hasn't aren't let let's said says say told tell asked ask need needs
    want wants like know think got get make made see seen take took give gave come came go went
    everything anything nothing something cheers perfect lovely brilliant awesome excellent
    cool amazing true done"
        .split_whitespace()
        .collect()
});

pub fn is_stop(lower: &str) -> bool {
    STOP.contains(lower)
}

/// A word that is a number said aloud ("oh" for zero, "double"), as speech-to-text writes
/// house numbers and codes.
pub fn number_word(lower: &str) -> bool {
    matches!(
        lower,
        "zero"
            | "oh"
            | "o"
            | "one"
            | "two"
            | "three"
            | "four"
            | "five"
            | "six"
            | "seven"
            | "eight"
            | "nine"
            | "ten"
            | "eleven"
            | "twelve"
            | "thirteen"
            | "fourteen"
            | "fifteen"
            | "sixteen"
            | "seventeen"
            | "eighteen"
            | "nineteen"
            | "twenty"
            | "thirty"
            | "forty"
            | "fifty"
            | "sixty"
            | "seventy"
            | "eighty"
            | "ninety"
            | "hundred"
            | "thousand"
            | "double"
            | "triple"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_inner_apostrophes_and_hyphens() {
        let t = tokens("Hi, I’m Ngozi Eze-Williams (O'Brien) at 221-H.");
        let words: Vec<&str> = t.iter().map(|t| t.lower.as_str()).collect();
        assert_eq!(
            words,
            [
                "hi",
                ",",
                "i'm",
                "ngozi",
                "eze-williams",
                "(",
                "o'brien",
                ")",
                "at",
                "221-h",
                "."
            ]
        );
        assert!(t[3].capital && t[3].word && !t[1].word);
        assert_eq!(&"Hi, I’m Ngozi"[t[3].start..t[3].end], "Ngozi");
    }

    #[test]
    fn stop_words_and_number_words() {
        assert!(is_stop("calling") && is_stop("bank") && !is_stop("maria"));
        assert!(number_word("oh") && number_word("twenty") && !number_word("maple"));
        assert!(cased("Hi there") && !cased("hi there 42"));
    }
}
