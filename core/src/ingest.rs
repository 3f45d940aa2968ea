//! What the ingest trigger decides for one raw payload, as pure functions. The trigger (in the
//! extension) only adds what needs the database: replay detection and the writes.
//!
//! Order: [extension: size ([`payload_too_large`])] → parse → envelope ([`envelope`]: ids,
//! event key) → [database: replay?] → map ([`map`]) → tag → (redact) → chunk ([`finish`]) →
//! queue rows.
//!
//! With `redact`, nothing derived from a payload keeps detected PII: the text, the labels and
//! `[timestamp]` prefixes taken from it, the metadata copied from it, and the conversation id
//! (which becomes a pseudonym, in the event key too).

use crate::chunk::{chunk, ChunkConfig};
use crate::envelope::Envelope;
use crate::intent::IntentRules;
use crate::limits::Limits;
use crate::mapping::{Mapping, Rendered};
use crate::messages::Speaker;
use crate::outcome::Outcome;
use crate::pii::{find_pii, find_pii_in_spoken_turns, PiiMatch};
use crate::redact::{pseudonymise_id, redact_value, replace_matches, RedactTypes};
use crate::tag::tag_found;
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
    /// Which kinds redaction replaces (`cxone.redact_types`, `cxone.redact_agent_names`).
    pub redact_types: RedactTypes,
    /// Caps on the work one payload can cause (settings `cxone.max_payload_bytes`,
    /// `cxone.max_text_bytes`).
    pub limits: Limits,
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
            redact_types: RedactTypes::default(),
            limits: Limits::default(),
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
    pub fn into_outcome(self) -> (Outcome, String) {
        match self {
            NotQueued::Skipped(r) => (Outcome::Skipped, r),
            NotQueued::Invalid(r) => (Outcome::Invalid, r),
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

/// The reason a payload over `cxone.max_payload_bytes` is `invalid`; the extension checks the
/// size before parsing (the payload is stored all the same).
pub fn payload_too_large(bytes: usize, max: usize) -> NotQueued {
    NotQueued::Invalid(format!(
        "payload is {bytes} bytes, over cxone.max_payload_bytes = {max}; it is stored as sent; a superuser can raise the setting and insert it again"
    ))
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
    let mut rendered = cfg
        .mapping
        .render(payload, &cfg.limits)
        .map_err(|e| NotQueued::Invalid(format!("mapping '{}': {e}", cfg.mapping_name)))?;
    // PostgreSQL text and jsonb cannot hold NUL; the raw payload keeps it, derived text drops it.
    strip_nul(&mut rendered.text);
    for u in &mut rendered.units {
        u.prefix_len -= u.line[..u.prefix_len].matches('\0').count();
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

/// The envelope of a parsed payload as the trigger records it: with `redact`, the
/// conversation id in it, and in the event key formed from it, is [`stored_id`]'s; without,
/// it is [`Envelope::extract`]'s.
pub fn envelope(payload: &Value, cfg: &IngestConfig) -> Envelope {
    match cfg.redact {
        true => Envelope::extract_with(payload, &cfg.mapping, |id| stored_id(id, cfg)),
        false => Envelope::extract(payload, &cfg.mapping),
    }
}

/// A conversation id as stored: without NUL (PostgreSQL text cannot hold it, and it is dropped
/// from all derived text) and, with `redact`, pseudonymised when it holds detected PII (an
/// e-mail address or phone number, as on email and SMS channels). Stable, so rows of the same
/// conversation still group and supersede; idempotent, so applying it twice is harmless.
/// The extension applies it too to ids users pass (`cxone_forget`, `cxone_similar`).
pub fn stored_id(mut id: String, cfg: &IngestConfig) -> String {
    strip_nul(&mut id);
    if cfg.redact {
        if let Cow::Owned(p) = pseudonymise_id(&id) {
            return p;
        }
    }
    id
}

/// The payload's conversation id as stored ([`stored_id`]); a payload without one is
/// `invalid` (checked before mapping, and cheaply, so that the ingest trigger can record it at
/// once).
pub fn conversation_id(envelope: &Envelope, cfg: &IngestConfig) -> Result<String, NotQueued> {
    let id = envelope.conversation_id.clone().ok_or_else(|| {
        NotQueued::Invalid(format!(
            "no conversation id: none of the paths [{}] of mapping '{}' holds a value; fix the payload or the mapping's \"conversation_id\" paths",
            cfg.mapping.conversation_id_paths().join(", "),
            cfg.mapping_name
        ))
    })?;
    Ok(stored_id(id, cfg))
}

/// Who said a turn, from its label ("Agent: ", "[2024-03-06T08:01:12Z] Customer: "): names in
/// an agent's greeting are the agent's own. Unknown for other labels.
fn speaker_of(prefix: &str) -> Option<Speaker> {
    let label = prefix.trim_end().strip_suffix(':')?;
    let label = label.rsplit(']').next().unwrap_or(label).trim();
    Speaker::parse(&label.to_ascii_lowercase())
}

/// Tags (PII, intent), redacts when configured, and chunks a mapped payload. Never fails.
pub fn finish(mapped: Mapped, cfg: &IngestConfig) -> QueueRow {
    let Mapped {
        conversation_id,
        rendered,
        event_time,
    } = mapped;
    let mut metadata = rendered.metadata;
    let mut units = rendered.units;
    // The PII each unit holds, found once for tags and redaction: its label part (a
    // participant, a timestamp) on its own, so the label part stays the prefix that split
    // pieces repeat; its text as its speaker said it, with the other turns (a card number read
    // out over several turns).
    let turns: Vec<(&str, Option<Speaker>)> = units
        .iter()
        .map(|u| {
            let (prefix, text) = u.line.split_at(u.prefix_len);
            (text, speaker_of(prefix))
        })
        .collect();
    let in_texts = find_pii_in_spoken_turns(&turns);
    drop(turns);
    let in_prefixes: Vec<Vec<PiiMatch>> = units
        .iter()
        .map(|u| match u.prefix_len {
            0 => Vec::new(),
            n => find_pii(&u.line[..n]),
        })
        .collect();
    // Tags describe the text as sent: which PII it held, its length.
    let kinds = in_texts
        .iter()
        .chain(&in_prefixes)
        .flatten()
        .map(|m| m.kind);
    let tags = tag_found(&rendered.text, &rendered.intent_text, &cfg.rules, kinds);
    if cfg.redact {
        for ((u, in_text), in_prefix) in units.iter_mut().zip(in_texts).zip(in_prefixes) {
            let (prefix, text) = u.line.split_at(u.prefix_len);
            let prefix = replace_matches(prefix, in_prefix, cfg.redact_types);
            let text = replace_matches(text, in_text, cfg.redact_types);
            if matches!(prefix, Cow::Owned(_)) || matches!(text, Cow::Owned(_)) {
                let line = format!("{prefix}{text}");
                u.prefix_len = prefix.len();
                u.line = line;
            }
        }
        metadata.values_mut().for_each(redact_value);
    }
    metadata.extend(tags);
    if cfg.redact {
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
