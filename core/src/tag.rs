//! `cxone_tag`: the semantic metadata stored with every conversation row.

use crate::intent::IntentRules;
use crate::pii::{find_pii, PiiKind};
use serde_json::{json, Map, Value};

/// Tags one text: the original keys (`source`, `content_length`, `contains_pii`,
/// `intent_category`) plus `pii_types`, `pii_counts`, `intent_matches` and `intent_rule`.
pub fn tag(text: &str, rules: &IntentRules) -> Map<String, Value> {
    tag_with_intent_text(text, text, rules)
}

/// As [`tag`], with the intent decided by `intent_text` (the customer's turns) when it is not
/// empty; PII and length are always of the whole text.
pub fn tag_with_intent_text(
    text: &str,
    intent_text: &str,
    rules: &IntentRules,
) -> Map<String, Value> {
    let pii = find_pii(text);
    let mut counts = Map::new();
    for kind in PiiKind::ALL {
        let n = pii.iter().filter(|m| m.kind == kind).count();
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
    out.insert("contains_pii".into(), (!pii.is_empty()).into());
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
