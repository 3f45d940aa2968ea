//! The fast counter against `tiktoken-rs`: real text, hand-picked edge cases, random ASCII and
//! Unicode, and long pieces of every shape (the heap merge).

use crate::tokens::tests::long_inputs;
use crate::tokens::{cl100k_reference, Tokenizer};
use proptest::prelude::*;

fn same(text: &str) {
    assert_eq!(
        Tokenizer::Cl100k.count(text),
        cl100k_reference(text),
        "{text:?}"
    );
}

#[test]
fn counts_banking77_and_the_fixtures_as_tiktoken_does() {
    for text in crate::tokens::reference_texts("\n\n") {
        same(&text);
    }
    for text in [
        "",
        " ",
        "  ",
        "a  b   c\t\td",
        "I'm sure you'll say it's 'quoted' ISN'T He'D 'RE 'Ve",
        "' '' 's'",
        "tab\there\r\nand\x0bvt\x0cff\x7fdel\x1f",
        "line\n\n  \n  next \r\n\r\n",
        "trailing spaces   ",
        " 12345 1234567 $100.00 (555) 010-0199",
        "e-mail: dana.whitfield@example.org, card 4111-1111-1111-1111!!!\n",
        "~`!@#$%^&*()_+-={}|[]\\:\";'<>?,./\n\r",
        &"x".repeat(150),
        &"ab1".repeat(60),
        "qzxqzxqzx jjjjjjjjjjjj",
    ] {
        same(text);
    }
}

#[test]
fn counts_unicode_edge_cases_as_tiktoken_does() {
    for text in [
        "café crème brûlée",
        "naïve\u{a0}spaces\u{a0}\u{a0}here\u{3000}\u{3000}x",
        "it'ſ and IT'ſ and 'ſx",
        "١٢٣٤٥ Ⅻ ½ ²³ 四五六",
        "中文日本語 한국어 Ελληνικά русский",
        "emoji 😀👍🏽 ‍ zwj\u{200d}x \u{fe0f}",
        "\u{85}nel\u{2028}ls\u{2029}ps \u{85}\u{85}x",
        "e\u{301}\u{301}\u{301} combining",
        "£100 €5 ¥3 — “quoted” ‘single’ …",
        "\u{a0}\n\u{a0}\n\u{a0}word",
        " \u{2003}word \u{2003}\u{2003}",
    ] {
        same(text);
    }
}

/// Pieces over 100 bytes are merged with a heap, like tiktoken does: equal on every shape.
#[test]
fn counts_long_inputs_as_tiktoken_does() {
    for (name, text) in long_inputs(24 * 1024) {
        assert_eq!(
            Tokenizer::Cl100k.count(&text),
            cl100k_reference(&text),
            "{name}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]
    #[test]
    fn counts_random_ascii_as_tiktoken_does(text in "[\\x00-\\x7f]{0,200}") {
        prop_assert_eq!(Tokenizer::Cl100k.count(&text), cl100k_reference(&text));
    }

    #[test]
    fn counts_word_like_ascii_as_tiktoken_does(
        text in "([a-zA-Z]{1,12}|[0-9]{1,5}|'[sStTmMdDrReEvVlL]{1,2}|[ \t\n\r\x0b\x0c]{1,4}|[.,!?$()'\"-]{1,3}){0,40}"
    ) {
        prop_assert_eq!(Tokenizer::Cl100k.count(&text), cl100k_reference(&text));
    }

    #[test]
    fn counts_random_unicode_as_tiktoken_does(text in "(?s).{0,120}") {
        prop_assert_eq!(Tokenizer::Cl100k.count(&text), cl100k_reference(&text));
    }

    #[test]
    fn counts_mixed_unicode_words_as_tiktoken_does(
        text in "([a-zA-Z]{1,10}|[£€éüßñſ’“”—ÀÉ中文日本١٢٣Ⅻ½\u{00a0}\u{2003}\u{3000}\u{85}\u{200b}\u{0301}]{1,4}|'[sſtTrReEvVlLmd]{1,2}|[0-9]{1,4}|[ \t\n\r.,!]{1,3}){0,30}"
    ) {
        prop_assert_eq!(Tokenizer::Cl100k.count(&text), cl100k_reference(&text));
    }
}
