//! What the ingest trigger decides for one raw payload, as pure functions. The trigger (in the
//! extension) only adds what needs the database: replay detection and the writes.
//!
//! Order: parse → envelope (ids, event key) → [database: replay?] → map ([`map`]) → tag →
//! (redact) → chunk ([`finish`]) → queue rows.

use crate::chunk::{chunk, ChunkConfig};
use crate::envelope::Envelope;
use crate::intent::IntentRules;
use crate::mapping::{Mapping, Rendered};
use crate::redact::redact;
use crate::tag::tag_with_intent_text;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Everything the trigger needs, loaded once per statement.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub mapping_name: String,
    pub mapping: Mapping,
    pub rules: IntentRules,
    pub chunking: ChunkConfig,
    /// Store and queue only redacted text (setting `cxone.redact`).
    pub redact: bool,
}

impl IngestConfig {
    /// What a fresh install applies: the seeded `default` mapping and intent rules, chunks for
    /// the local model, redaction as given.
    pub fn seeded(redact: bool) -> Self {
        IngestConfig {
            mapping_name: "default".into(),
            mapping: Mapping::default_mapping(),
            rules: IntentRules::seed(),
            chunking: ChunkConfig::default(),
            redact,
        }
    }
}

/// The outcome recorded on `cxone_payloads` when nothing is queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotQueued {
    /// `skipped`: the payload is fine but holds no text the mapping can find.
    Skipped(String),
    /// `invalid`: the payload cannot be processed; the reason says why and what to do.
    Invalid(String),
}

impl NotQueued {
    /// The outcome and reason recorded on `cxone_payloads`.
    pub fn into_outcome(self) -> (&'static str, String) {
        match self {
            NotQueued::Skipped(r) => ("skipped", r),
            NotQueued::Invalid(r) => ("invalid", r),
        }
    }
}

/// The rows to queue in `conversation_embeddings`: one per chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub conversation_id: String,
    pub source_system: String,
    /// Chunk texts in order (usually one); redacted when `redact` is on.
    pub chunks: Vec<String>,
    pub metadata: Map<String, Value>,
    pub event_time: Option<DateTime<FixedOffset>>,
}

/// Parses the payload text exactly as stored. Only JSON objects can be mapped.
pub fn parse_payload(text: &str) -> Result<Value, NotQueued> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| NotQueued::Invalid(format!("payload is not JSON that can be read: {e}")))?;
    if !value.is_object() {
        return Err(NotQueued::Invalid(format!(
            "payload is a JSON {}, expected an object (send one event per row; the webhook splits arrays)",
            crate::json_kind(&value)
        )));
    }
    Ok(value)
}

/// A payload mapped to labelled text, not yet tagged or chunked: what [`finish`] needs. The
/// ingest trigger maps on the backend's main thread (the outcome depends on it) and may
/// finish on a helper thread, so this owns everything.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub conversation_id: String,
    pub rendered: Rendered,
    pub event_time: Option<DateTime<FixedOffset>>,
}

/// Maps and tags a parsed payload that is not a replay: [`map`] then [`finish`].
pub fn prepare(
    payload: &Value,
    envelope: &Envelope,
    cfg: &IngestConfig,
) -> Result<QueueRow, NotQueued> {
    map(payload, envelope, cfg).map(|m| finish(m, cfg))
}

/// Renders a payload with the mapping; every reason a payload is not queued for its content
/// is decided here.
pub fn map(payload: &Value, envelope: &Envelope, cfg: &IngestConfig) -> Result<Mapped, NotQueued> {
    let conversation_id = conversation_id(envelope, cfg)?;
    let mut rendered = cfg.mapping.render(payload);
    // PostgreSQL text and jsonb cannot hold NUL; the raw payload keeps it, derived text drops it.
    strip_nul(&mut rendered.text);
    for u in &mut rendered.units {
        strip_nul(&mut u.line);
    }
    for v in rendered.metadata.values_mut() {
        if let Value::String(s) = v {
            strip_nul(s);
        }
    }
    if rendered.text.is_empty() {
        return Err(NotQueued::Skipped(format!(
            "no text matched: mapping '{}' found no non-empty text at [{}]",
            cfg.mapping_name,
            cfg.mapping.field_paths().join(", ")
        )));
    }
    Ok(Mapped {
        conversation_id,
        rendered,
        event_time: envelope.event_time,
    })
}

/// The payload's conversation id; a payload without one is `invalid` (checked before mapping,
/// and cheaply, so that the ingest trigger can record it at once).
/// PostgreSQL text cannot hold NUL: it is dropped, as from all derived text.
pub fn conversation_id(envelope: &Envelope, cfg: &IngestConfig) -> Result<String, NotQueued> {
    let mut id = envelope.conversation_id.clone().ok_or_else(|| {
        NotQueued::Invalid(format!(
            "no conversation id: none of the paths [{}] of mapping '{}' holds a value; fix the payload or the mapping's \"conversation_id\" paths",
            cfg.mapping.conversation_id_paths().join(", "),
            cfg.mapping_name
        ))
    })?;
    strip_nul(&mut id);
    Ok(id)
}

/// Tags (PII, intent), redacts when configured, and chunks a mapped payload. Never fails.
pub fn finish(mapped: Mapped, cfg: &IngestConfig) -> QueueRow {
    let Mapped {
        conversation_id,
        rendered,
        event_time,
    } = mapped;
    let mut metadata = rendered.metadata;
    metadata.extend(tag_with_intent_text(
        &rendered.text,
        &rendered.intent_text,
        &cfg.rules,
    ));
    let mut units = rendered.units;
    if cfg.redact {
        for u in &mut units {
            if let Cow::Owned(r) = redact(&u.line[u.prefix_len..]) {
                u.line.truncate(u.prefix_len);
                u.line.push_str(&r);
            }
        }
        for v in metadata.values_mut() {
            if let Value::String(s) = v {
                if let Cow::Owned(r) = redact(s) {
                    *s = r;
                }
            }
        }
        metadata.insert("redacted".into(), true.into());
    }
    let chunks = chunk(&units, &cfg.chunking);
    metadata.insert("source".into(), cfg.mapping.source_system.clone().into());
    metadata.insert("conversation_id".into(), conversation_id.clone().into());
    metadata.insert("mapping".into(), cfg.mapping_name.clone().into());
    metadata.insert("chunk_count".into(), chunks.len().into());
    QueueRow {
        conversation_id,
        source_system: cfg.mapping.source_system.clone(),
        chunks,
        metadata,
        event_time,
    }
}

fn strip_nul(s: &mut String) {
    if s.contains('\0') {
        s.retain(|c| c != '\0');
    }
}

#[cfg(test)]
mod tests;
