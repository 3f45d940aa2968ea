//! The built-in PII patterns are compiled through here, once per process (in `LazyLock`s).

use regex::Regex;

pub fn re(pattern: &str) -> Regex {
    // The patterns are constants checked by the tests; failing here is a programming error.
    Regex::new(pattern).expect("built-in PII pattern compiles")
}
