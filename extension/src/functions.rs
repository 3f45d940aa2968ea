//! SQL functions over the pure core. Each is a one-line shell; errors are raised here, once,
//! with a SQLSTATE that means something (22023: bad argument).

use crate::config;
use crate::error::sqlstate;
use cxone_core::intent::{IntentRule, IntentRules};
use cxone_core::mapping::Mapping;
use pgrx::prelude::*;
use pgrx::JsonB;

fn bad_argument(message: String) -> ! {
    ereport!(ERROR, sqlstate::BAD_ARGUMENT, message);
}

fn parse_mapping(mapping: &serde_json::Value) -> Mapping {
    Mapping::parse(mapping).unwrap_or_else(|e| bad_argument(e.to_string()))
}

/// Labelled text from a payload by a mapping (either form); NULL when no path matched any text.
#[pg_extern(immutable, strict, parallel_safe)]
fn cxone_map(payload: JsonB, mapping: JsonB) -> Option<String> {
    let rendered = parse_mapping(&mapping.0)
        .render(&payload.0, &crate::guc::limits())
        .unwrap_or_else(|e| {
            ereport!(ERROR, sqlstate::OVER_A_CAP, e.to_string());
        });
    Some(rendered.text).filter(|t| !t.is_empty())
}

/// Semantic metadata of a text: PII found, intent by the rules in cxone_intent_rules, length.
/// Stable, not immutable: the intent rules are a table that can change.
#[pg_extern(stable, strict, parallel_safe)]
fn cxone_tag(text: &str) -> JsonB {
    let rules = config::intent_rules();
    JsonB(serde_json::Value::Object(cxone_core::tag::tag(
        text, &rules,
    )))
}

/// The text with detected PII replaced by typed placeholders ([EMAIL], [NAME], [CARD], ...):
/// the types of `cxone.redact_types`, agents' own names only with `cxone.redact_agent_names`.
/// Stable: it follows those settings.
#[pg_extern(stable, strict, parallel_safe)]
fn cxone_redact(text: &str) -> String {
    cxone_core::redact::redact_with(text, None, crate::guc::redact_types()).into_owned()
}

/// True for a valid mapping; otherwise an error (22023) naming the bad path. Used by the
/// CHECK constraint of cxone_mappings so a bad mapping is refused when saved.
#[pg_extern(immutable, strict, parallel_safe)]
fn cxone_mapping_check(mapping: JsonB) -> bool {
    parse_mapping(&mapping.0);
    true
}

/// True for a valid intent pattern; otherwise an error (22023) explaining why.
#[pg_extern(immutable, strict, parallel_safe)]
fn cxone_intent_pattern_check(pattern: &str) -> bool {
    let rule = IntentRule {
        id: 0,
        category: "check".into(),
        pattern: pattern.into(),
        priority: 0,
    };
    IntentRules::compile(vec![rule]).unwrap_or_else(|e| bad_argument(e.to_string()));
    true
}

/// The seed data shipped with the extension: 'default_mapping' or 'intent_rules'.
#[pg_extern(immutable, strict, parallel_safe)]
fn _cxone_seed(name: &str) -> JsonB {
    let text = match name {
        "default_mapping" => cxone_core::DEFAULT_MAPPING,
        "intent_rules" => cxone_core::SEED_INTENT_RULES,
        other => bad_argument(format!("no seed named '{other}'")),
    };
    JsonB(serde_json::from_str(text).unwrap_or_else(|e| bad_argument(e.to_string())))
}

/// A conversation id as the ingest trigger stores it: with `cxone.redact` on, an id that holds
/// PII (an e-mail address or phone number, as on email and SMS channels) is stored as its
/// `pii-` pseudonym. `cxone_forget` and `cxone_similar` accept either form through it.
#[pg_extern(stable, strict, parallel_safe)]
fn cxone_stored_id(conversation_id: &str) -> String {
    let cfg = cxone_core::ingest::IngestConfig::seeded(crate::guc::redact());
    cxone_core::ingest::stored_id(conversation_id.to_string(), &cfg)
}

/// `cxone.boilerplate_min_conversations` as the queue's claim may trust it (the default unless
/// a superuser set it): read by `cxone_queue_claim` (sql/boilerplate.sql).
#[pg_extern(stable, parallel_safe)]
fn _cxone_boilerplate_min_conversations() -> i32 {
    crate::guc::boilerplate_min_conversations()
}

/// `cxone.payload_retention_days` as the retention clock may trust it (0 unless a superuser
/// set it): read by `cxone_retention_due` (sql/retention.sql).
#[pg_extern(stable, parallel_safe)]
fn _cxone_payload_retention_days() -> i32 {
    crate::guc::payload_retention_days()
}
