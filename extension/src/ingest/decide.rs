//! What one payload is, decided on the row trigger's own thread without SQL: invalid (and
//! why), text to queue (mapped, tagged and chunked now or on the helper thread), a message or
//! case event to record in its conversation, or only an event key to register (a later replay
//! of it is still a replay). What the database must do is returned as [`Pending`], for the end
//! of the statement.

use crate::config;
use crate::guc;
use crate::ingest::buffer::Pending;
use crate::ingest::helper::{self, Queued, Work};
use crate::ingest::outcome::Outcome;
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{conversation_id, parse_payload, stored_id, IngestConfig, NotQueued};
use cxone_core::messages::Event;

/// What is written on the payload row.
pub struct Recorded {
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub conversation_id: Option<String>,
    pub event_key: Option<String>,
    pub mapping: Option<String>,
}

/// The outcome recorded at once, and what is left for the end of the statement (registering
/// the event key, queueing). With `on_helper`, mapping, tagging and chunking go to the helper
/// thread, and a payload with no text is found `skipped` when the statement ends.
pub fn decide(payload_id: i64, raw: &str, on_helper: bool) -> (Recorded, Option<Pending>) {
    let cfg = match config::ingest_config() {
        Ok(cfg) => cfg,
        Err(reason) => return (not_queued(NotQueued::Invalid(reason), None, None), None),
    };
    let mapping = Some(cfg.mapping_name.clone());
    let (max_payload, _) = guc::limits_settings();
    if raw.len() > usize::try_from(max_payload).unwrap_or(usize::MAX) {
        let reason = format!(
            "payload is {} bytes, over cxone.max_payload_bytes = {max_payload}; it is stored as sent; a superuser can raise the setting and insert it again",
            raw.len()
        );
        let r = Recorded {
            mapping,
            ..not_queued(NotQueued::Invalid(reason), None, None)
        };
        return (r, None);
    }
    let payload = match parse_payload(raw) {
        Ok(p) => p,
        Err(n) => {
            let r = Recorded {
                mapping,
                ..not_queued(n, None, None)
            };
            return (r, None);
        }
    };
    let env = cxone_core::ingest::envelope(&payload, &cfg);
    if cfg.mapping.messages.is_some() {
        match read_event(&payload, &env, &cfg) {
            Ok(Some(event)) => return recorded(payload_id, event, env.event_key, mapping, raw),
            Ok(None) => {}
            Err(reason) => {
                let key = env.event_key.map(|key| Pending {
                    payload_id,
                    event_key: Some(key.clone()),
                    queue: None,
                    record: None,
                    text_bytes: 0,
                });
                let r = Recorded {
                    mapping,
                    ..not_queued(
                        NotQueued::Invalid(reason),
                        None,
                        key.as_ref().and_then(|k| k.event_key.clone()),
                    )
                };
                return (r, key);
            }
        }
    }
    let conversation = conversation_id(&env, &cfg);
    let event_key = env.event_key.clone();
    // Not queued for its content; a replay of an earlier event is still a replay.
    let key_only = |n: NotQueued, conversation: Option<String>| {
        let pending = event_key.clone().map(|key| Pending {
            payload_id,
            event_key: Some(key),
            queue: None,
            record: None,
            text_bytes: 0,
        });
        let r = Recorded {
            mapping: mapping.clone(),
            ..not_queued(n, conversation, event_key.clone())
        };
        (r, pending)
    };
    let conversation = match conversation {
        Ok(c) => c,
        Err(n) => return key_only(n, None),
    };
    let work = Work {
        payload,
        envelope: env,
    };
    let queue = if on_helper {
        helper::submit(cfg.clone(), work)
    } else {
        match helper::prepare_now(&cfg, work) {
            Ok(p) => Queued::Ready(p),
            Err(n) => return key_only(n, Some(conversation)),
        }
    };
    let r = Recorded {
        outcome: Outcome::Queued,
        reason: None,
        conversation_id: Some(conversation),
        event_key: event_key.clone(),
        mapping: mapping.clone(),
    };
    let p = Pending {
        payload_id,
        event_key,
        queue: Some(queue),
        record: None,
        text_bytes: raw.len(),
    };
    (r, Some(p))
}

/// The payload's messages, or its case facts when it is a case event whose text the mapping
/// does not find (a `CaseStatusChanged` with a `data.transcript[]` is mapped as a whole).
fn read_event(
    payload: &serde_json::Value,
    env: &Envelope,
    cfg: &IngestConfig,
) -> Result<Option<Event>, String> {
    // What `map` would call "no text matched" (it has the conversation id, finds no text),
    // asked without rendering, and only of case events: a payload with text is rendered once,
    // on its own path.
    let mapped_whole = || env.conversation_id.is_none() || cfg.mapping.finds_text(payload);
    cxone_core::messages::read(payload, &|id| stored_id(id, cfg), &mapped_whole)
}

/// A message or case event: `recorded` now, written into its conversation when the statement
/// ends.
fn recorded(
    payload_id: i64,
    event: Event,
    event_key: Option<String>,
    mapping: Option<String>,
    raw: &str,
) -> (Recorded, Option<Pending>) {
    let conversation = event
        .messages
        .first()
        .map(|m| m.conversation_id.clone())
        .or_else(|| event.case.as_ref().map(|c| c.conversation_id.clone()));
    let reason = match (event.messages.as_slice(), &event.case) {
        ([m], _) => format!(
            "message {} ({}) recorded in conversation {}",
            m.id,
            m.speaker.as_str(),
            m.conversation_id
        ),
        ([], Some(c)) => format!(
            "case status '{}' recorded for conversation {}",
            c.status.as_deref().unwrap_or("unknown"),
            c.conversation_id
        ),
        (ms, _) => format!("{} messages recorded", ms.len()),
    };
    let r = Recorded {
        outcome: Outcome::Recorded,
        reason: Some(reason),
        conversation_id: conversation,
        event_key: event_key.clone(),
        mapping,
    };
    let p = Pending {
        payload_id,
        event_key,
        queue: None,
        record: Some(Box::new(event)),
        text_bytes: raw.len(),
    };
    (r, Some(p))
}

fn not_queued(
    n: NotQueued,
    conversation_id: Option<String>,
    event_key: Option<String>,
) -> Recorded {
    let (outcome, reason) = n.into_outcome();
    Recorded {
        outcome,
        reason: Some(reason),
        conversation_id,
        event_key,
        mapping: None,
    }
}
