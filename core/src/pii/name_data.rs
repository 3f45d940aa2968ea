//! The first names and surnames that confirm a person-name candidate after a weak cue: the most
//! common names of the US Census Bureau's 1990 lists (public domain), made by
//! `scripts/pii_names.sh` into `core/data/names/` (its README says how and under what licence).

// Fx hashing: the lists are asked about most words of most turns, and SipHash's resistance to
// crafted keys buys nothing for a fixed list.
use rustc_hash::FxHashSet as HashSet;
use std::sync::LazyLock;

static FIRST: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/names/first_names.txt")
        .lines()
        .collect()
});
static SURNAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/names/surnames.txt")
        .lines()
        .collect()
});

/// `lower` is a lower-case word.
pub fn is_first_name(lower: &str) -> bool {
    FIRST.contains(lower)
}

/// `lower` is a lower-case word.
pub fn is_surname(lower: &str) -> bool {
    SURNAMES.contains(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_are_listed_and_common_words_mostly_not() {
        for name in ["mary", "james", "maria", "david", "jennifer"] {
            assert!(is_first_name(name), "{name}");
        }
        for name in ["smith", "garcia", "nguyen", "johnson"] {
            assert!(is_surname(name), "{name}");
        }
        for word in ["the", "calling", "sorry", "account", "Mary"] {
            assert!(!is_first_name(word), "{word}");
        }
    }
}
