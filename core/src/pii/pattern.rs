//! The built-in PII patterns are compiled through here, once per process (in `LazyLock`s).

use regex::Regex;

/// `pattern` compiled with ASCII word boundaries: every PII pattern is about ASCII digits and
/// words, and a Unicode `\b` makes the regex crate leave its fast engine for a slow one on any
/// text with a non-ASCII character (a curly apostrophe is enough).
pub fn re(pattern: &str) -> Regex {
    let ascii = pattern.replace(r"\b", r"(?-u:\b)");
    // The patterns are constants checked by the tests; failing here is a programming error.
    Regex::new(&ascii).expect("built-in PII pattern compiles")
}
