//! The WordPiece counter against the `tokenizers` crate: real text, hand-picked edge cases,
//! random ASCII and Unicode, and long inputs.

use crate::tokens::tests::long_inputs;
use crate::tokens::{minilm_reference, Tokenizer};
use proptest::prelude::*;

fn same(text: &str) {
    assert_eq!(
        Tokenizer::MiniLm.count(text),
        minilm_reference(text),
        "{text:?}"
    );
}

#[test]
fn counts_banking77_and_the_fixtures_as_tokenizers_does() {
    for text in crate::tokens::reference_texts("") {
        same(&text);
    }
    for text in [
        "",
        " ",
        "a\u{0}b",
        "tab\there\r\nand\x0bvt\x0cff\x7fdel",
        "UPPER lower MiXeD",
        "e-mail: dana.whitfield@example.org, card 4111-1111-1111-1111!!!",
        "[CLS] [SEP] [UNK] [PAD] ##ing ##",
        "x[CLS]y[SEP][MASK]z[[CLS]] [CLS [MASK",
        &"x".repeat(100),
        &"x".repeat(101),
        &format!("{} tail", "ab".repeat(80)),
        "qzxqzxqzx jjjjjjjjjjjj",
        "~`!@#$%^&*()_+-={}|[]\\:\";'<>?,./",
    ] {
        same(text);
    }
}

#[test]
fn counts_unicode_edge_cases_as_tokenizers_does() {
    for text in [
        "café CRÈME brûlée Ångström ÉCOLE",
        "İstanbul ǅ ﬁne ß ẞ Σίσυφος",
        "e\u{301}\u{301}\u{301}\u{327} a\u{0}\u{fffd}b soft\u{ad}hyphen zero\u{200b}width",
        "中文日本語한국어 Ελληνικά русский",
        "emoji 😀👍🏽 zwj\u{200d}x \u{fe0f}",
        "\u{85}nel\u{2028}ls\u{2029}ps\u{a0}nbsp\u{3000}ideo",
        "£100 €5 ¥3 — “quoted” ‘single’ … ¿qué? ¡sí!",
        "é[CLS]é [SEP]ü",
        &"é".repeat(100),
        &"é".repeat(101),
        &format!("{}é", "a".repeat(99)),
        &"ｆｕｌｌｗｉｄｔｈ".repeat(3),
    ] {
        same(text);
    }
}

#[test]
fn counts_long_inputs_as_tokenizers_does() {
    for (name, text) in long_inputs(24 * 1024) {
        assert_eq!(
            Tokenizer::MiniLm.count(&text),
            minilm_reference(&text),
            "{name}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]
    #[test]
    fn counts_random_ascii_as_tokenizers_does(text in "[\\x00-\\x7f]{0,200}") {
        prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
    }

    #[test]
    fn counts_random_unicode_as_tokenizers_does(text in "(?s).{0,120}") {
        prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
    }

    #[test]
    fn counts_mixed_unicode_text_as_tokenizers_does(
        text in "([a-zA-Z]{1,10}|[£€éüßñ’“”—ÀÉİ中文日本\u{00a0}\u{2003}\u{200b}\u{0301}\u{0327}]{1,3}|\\[(CLS|SEP|UNK)\\]|[ \t\n\r\x0b\x0c.,]{1,2}){0,30}"
    ) {
        prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
    }

    #[test]
    fn counts_random_words_as_tokenizers_does(
        text in "([a-zA-Z]{1,14}|[0-9]{1,6}|[ .,!?'\\-]{1,2}|\\n){0,40}"
    ) {
        prop_assert_eq!(Tokenizer::MiniLm.count(&text), minilm_reference(&text));
    }
}
