//! Fuzz cxone_tag on any text.
#![no_main]
use cxone_core::intent::IntentRules;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static RULES: LazyLock<IntentRules> = LazyLock::new(IntentRules::seed);

fuzz_target!(|text: &str| {
    let _ = cxone_core::tag::tag(text, &RULES);
});
