//! Intent classification from rules that are data (the `cxone_intent_rules` table).
//!
//! A rule is a category, a pattern and a priority. The pattern is a word, a phrase or a regular
//! expression fragment; it is matched case-insensitively on word boundaries, so `return` matches
//! "return it" but not "returning" unless the pattern says `return(?:ing)?`. The matching rule
//! with the highest priority gives the primary category (ties: the lower id); all matching
//! categories are reported too.

use regex::{Regex, RegexSet};
use serde::Deserialize;

/// The category when no rule matches.
pub const FALLBACK_CATEGORY: &str = "general_inquiry";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IntentRule {
    #[serde(default)]
    pub id: i64,
    pub category: String,
    pub pattern: String,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("intent rule {id} ({category}): pattern '{pattern}' is not a valid regular expression: {problem}")]
pub struct RuleError {
    pub id: i64,
    pub category: String,
    pub pattern: String,
    pub problem: String,
}

/// Compiled rules, sorted best first.
#[derive(Debug, Clone)]
pub struct IntentRules {
    rules: Vec<IntentRule>,
    set: RegexSet,
}

/// The result of classifying one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent<'r> {
    pub category: &'r str,
    /// Every matching category, best first, without repeats.
    pub matches: Vec<&'r str>,
    /// The rule that decided `category`; None for the fallback.
    pub rule: Option<&'r IntentRule>,
}

fn wrap(pattern: &str) -> String {
    format!(r"(?i)\b(?:{pattern})\b")
}

impl IntentRules {
    pub fn compile(mut rules: Vec<IntentRule>) -> Result<Self, RuleError> {
        for r in &rules {
            // Checked one by one so that the error names the rule.
            Regex::new(&wrap(&r.pattern)).map_err(|e| RuleError {
                id: r.id,
                category: r.category.clone(),
                pattern: r.pattern.clone(),
                problem: e.to_string(),
            })?;
        }
        rules.sort_by_key(|r| (std::cmp::Reverse(r.priority), r.id));
        let set = RegexSet::new(rules.iter().map(|r| wrap(&r.pattern))).map_err(|e| RuleError {
            id: 0,
            category: String::new(),
            pattern: String::new(),
            problem: e.to_string(),
        })?;
        Ok(IntentRules { rules, set })
    }

    /// The rules the extension is seeded with (also `sql/seed/intent_rules.json`).
    pub fn seed() -> Self {
        let rules: Vec<IntentRule> = serde_json::from_str(crate::SEED_INTENT_RULES)
            .expect("seed intent rules are valid JSON (checked by tests)");
        Self::compile(rules).expect("seed intent rules compile (checked by tests)")
    }

    pub fn classify(&self, text: &str) -> Intent<'_> {
        let hits = self.set.matches(text);
        let mut matches: Vec<&str> = Vec::new();
        let mut rule = None;
        for i in hits.iter() {
            let r = &self.rules[i]; // set indexes follow the sorted rules: best first
            rule.get_or_insert(r);
            if !matches.contains(&r.category.as_str()) {
                matches.push(&r.category);
            }
        }
        Intent {
            category: rule.map_or(FALLBACK_CATEGORY, |r| r.category.as_str()),
            matches,
            rule,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_rules_match_words_not_substrings() {
        let rules = IntentRules::seed();
        let cases = [
            ("I need a full refund", "billing_dispute"),
            ("please CANCEL my plan", "billing_dispute"),
            ("I want to return it", "billing_dispute"),
            ("the app is broken", "technical_support"),
            ("I get an error on login", "technical_support"),
            ("can you help me", "technical_support"),
            ("returning customer here", "general_inquiry"), // 'return' only as a word
            ("the helpdesk was nice", "general_inquiry"),   // 'help' only as a word
            ("terrorism is not an error", "technical_support"),
            ("what are your opening hours", "general_inquiry"),
            ("refund please, the app is broken", "billing_dispute"), // priority decides
        ];
        for (text, want) in cases {
            assert_eq!(rules.classify(text).category, want, "{text}");
        }
        let both = rules.classify("refund please, the app is broken");
        assert_eq!(both.matches, vec!["billing_dispute", "technical_support"]);
        assert_eq!(
            both.rule.map(|r| r.pattern.as_str()),
            Some("refund(?:s|ed|ing)?")
        );
    }

    #[test]
    fn bad_pattern_names_the_rule() {
        let err = IntentRules::compile(vec![IntentRule {
            id: 7,
            category: "x".into(),
            pattern: "(unclosed".into(),
            priority: 1,
        }])
        .unwrap_err();
        assert!(err.to_string().contains("intent rule 7 (x)"), "{err}");
    }
}
