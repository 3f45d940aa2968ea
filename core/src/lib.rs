//! Pure Rust core of cxone_vector, shared by the PostgreSQL extension and the sidecar.
//! Nothing here calls PostgreSQL: every function is plain Rust with plain tests.
//!
//! - [`path`]: dot paths into payloads; [`mapping`]: the mapping language;
//! - [`envelope`]: conversation id, event key (replays), event time; [`timestamp`];
//! - [`pii`]: PII detection; [`intent`]: intent rules; [`tag`]: `cxone_tag`;
//! - [`redact`]: `cxone_redact`; [`pci_mask`]: card data masked in raw payloads (PCI mode);
//! - [`tokens`]: the models' tokenizers; [`chunk`]: chunking;
//! - [`ingest`]: the per-payload decisions of the ingest trigger; [`limits`]: its caps.
//! - [`messages`]: CXone message and case events; [`conversation`]: messages assembled into
//!   conversations, and when, by a mapping's [`message_rules`];
//! - [`supersede`]: which of a statement's payloads are queued or superseded on arrival;
//! - [`outcome`]: a payload's outcome and a queue row's status, as the database stores them.

pub mod chunk;
pub mod cl100k;
pub mod conversation;
pub mod envelope;
pub mod ingest;
pub mod intent;
pub mod limits;
pub mod mapping;
pub mod message_rules;
pub mod messages;
pub mod outcome;
pub mod path;
pub mod pci_mask;
pub mod pii;
pub mod redact;
pub mod supersede;
pub mod tag;
pub mod timestamp;
pub mod tokens;
pub mod wordpiece;

/// The channel the extension NOTIFYs when rows are queued and the sidecar LISTENs on: the one
/// name both sides use.
pub const NOTIFY_CHANNEL: &str = "cxone_vector_pending";

/// The mapping the extension is seeded with as `default`; handles both CXone fixture shapes.
pub const DEFAULT_MAPPING: &str = include_str!("../../sql/seed/default_mapping.json");
/// The intent rules the extension is seeded with.
pub const SEED_INTENT_RULES: &str = include_str!("../../sql/seed/intent_rules.json");

/// "object", "array", "string", ... for messages about what a value is.
pub fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
