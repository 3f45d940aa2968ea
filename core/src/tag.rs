//! `cxone_tag`: the semantic metadata stored with every conversation row.

use crate::intent::IntentRules;
use crate::pii::{find_pii, PiiKind};
use serde_json::{json, Map, Value};

/// Tags one text: the original keys (`source`, `content_length`, `contains_pii`,
/// `intent_category`) plus `pii_types`, `pii_counts`, `intent_matches` and `intent_rule`.
pub fn tag(text: &str, rules: &IntentRules) -> Map<String, Value> {
    tag_found(text, text, rules, find_pii(text).iter().map(|m| m.kind))
}

/// As [`tag`], with the PII already found in `text` (the kind of each match), and the intent
/// decided by `intent_text` (the customer's turns) when it is not empty.
pub fn tag_found(
    text: &str,
    intent_text: &str,
    rules: &IntentRules,
    found: impl IntoIterator<Item = PiiKind>,
) -> Map<String, Value> {
    let found: Vec<PiiKind> = found.into_iter().collect();
    let mut counts = Map::new();
    for kind in PiiKind::ALL {
        let n = found.iter().filter(|&&k| k == kind).count();
        if n > 0 {
            counts.insert(kind.as_str().into(), n.into());
        }
    }
    let intent = rules.classify(if intent_text.is_empty() {
        text
    } else {
        intent_text
    });
    let mut out = Map::new();
    out.insert("source".into(), "cxone".into());
    out.insert("content_length".into(), text.chars().count().into());
    out.insert("contains_pii".into(), (!found.is_empty()).into());
    out.insert(
        "pii_types".into(),
        counts.keys().cloned().collect::<Vec<_>>().into(),
    );
    out.insert("pii_counts".into(), Value::Object(counts));
    out.insert("intent_category".into(), intent.category.into());
    out.insert("intent_matches".into(), intent.matches.clone().into());
    out.insert(
        "intent_rule".into(),
        intent
            .rule
            .map_or(Value::Null, |r| json!({"id": r.id, "pattern": r.pattern})),
    );
    out
}
