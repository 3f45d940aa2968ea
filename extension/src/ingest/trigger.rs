//! The ingest trigger on `cxone_payloads` (BEFORE INSERT, FOR EACH ROW).
//!
//! It never fails an INSERT because of what a payload contains: every decision about content is
//! made by `cxone_core::ingest` and recorded on the row itself (outcome, reason, conversation
//! id, event key). It runs no SQL per row: what the database must do (register the event key,
//! supersede older rows, queue the text) is buffered ([`crate::ingest_buffer`]) for
//! [`crate::ingest_flush`], which does it for the whole statement at its end. Here it parses
//! the payload and reads its envelope (what the row records); mapping, tagging, redaction and
//! chunking go to the backend's helper thread ([`crate::ingest_helper`]) when the table has
//! the statement trigger, else they are done here. A payload found at the end to be a replay,
//! superseded on arrival or (from the helper) without text gets its outcome corrected then;
//! until the statement ends (and so in `RETURNING`) it reads `queued`.

use crate::config;
use crate::guc;
use crate::ingest_buffer::{self, Pending};
use crate::ingest_helper::{self, Queued, Work};
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{conversation_id, parse_payload, stored_id, IngestConfig, NotQueued};
use cxone_core::messages::Event;
use pgrx::prelude::*;
use pgrx::spi::SpiError;
use pgrx::PgTupleDesc;
use std::borrow::Cow;
use std::num::NonZeroUsize;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cxone_vector ingest: {0}")]
    Spi(#[from] SpiError),
    #[error("cxone_vector ingest: tagging a payload failed on the ingest helper thread (the server log has the panic); the statement is rolled back and nothing was written. Retry with SET cxone.ingest_helper_thread = off to see the error in the session, and report it")]
    Helper,
    #[error("cxone_vector: {0}")]
    Config(String),
    #[error("cxone_vector ingest: attach _cxone_ingest() as a BEFORE INSERT FOR EACH ROW trigger on a table with the columns of cxone_payloads")]
    Misuse,
}

/// What is written on the payload row.
struct Recorded {
    outcome: &'static str,
    reason: Option<String>,
    conversation_id: Option<String>,
    event_key: Option<String>,
    mapping: Option<String>,
}

/// The columns the trigger reads and writes, in this order.
const COLUMNS: [&str; 7] = [
    "id",
    "payload",
    "outcome",
    "reason",
    "conversation_id",
    "event_key",
    "mapping",
];

#[pg_trigger]
fn _cxone_ingest<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, IngestError> {
    let data = trigger.trigger_data();
    let row = trigger.new().ok_or(IngestError::Misuse)?;
    // SAFETY: a row trigger's TriggerData has a valid, open relation and (for INSERT) the new
    // tuple; attribute numbers come from that relation's descriptor.
    unsafe {
        let rel = data.tg_relation;
        let tupdesc = (*rel).rd_att;
        let tuple = data.tg_trigtuple;
        let attnos = attnos(tupdesc)?;
        let [id_at, payload_at, outcome_at, ..] = attnos;
        // A row that arrives with an outcome is a restore (pg_dump data): keep it as it is.
        if pgrx::heap_getattr_raw(tuple, outcome_at, tupdesc).is_some() {
            return Ok(Some(row));
        }
        let id = pgrx::heap_getattr_raw(tuple, id_at, tupdesc)
            .and_then(|d| i64::from_datum(d, false))
            .ok_or(IngestError::Misuse)?;
        // Borrowed from the (detoasted) datum, which lives until the trigger returns.
        let raw = pgrx::heap_getattr_raw(tuple, payload_at, tupdesc).map(|d| {
            let v = pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr());
            let bytes = pgrx::varlena_to_byte_slice(v);
            // from_utf8 checks valid text (all of it, in a UTF-8 database) much faster.
            std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .unwrap_or_else(|_| String::from_utf8_lossy(bytes))
        });
        // The helper thread can only hand results to a statement trigger that collects them;
        // the first rows of a statement are done here (a one-row INSERT would only pay for
        // the hand-over).
        let collected = ingest_buffer::has_flush_trigger(rel);
        let helper = collected
            && guc::ingest_helper_thread()
            && ingest_buffer::buffered() >= ingest_helper::INLINE_FIRST;
        let (mut r, pending) = decide(id, raw.as_deref().unwrap_or(""), helper);
        if let Some(p) = pending {
            if let Some((outcome, reason)) = ingest_buffer::push(rel, p, collected)? {
                r.outcome = outcome;
                r.reason = Some(reason);
            }
        }
        let modified = with_recorded(tuple, tupdesc, &attnos, r);
        Ok(Some(PgHeapTuple::from_heap_tuple(
            PgTupleDesc::from_pg_unchecked(tupdesc),
            modified,
        )))
    }
}

/// A copy of `tuple` with the five recorded columns set, in one `heap_modify_tuple`.
///
/// # Safety
/// `tuple` and `tupdesc` must be the trigger's new tuple and its descriptor, `attnos` from
/// [`attnos`] on that descriptor.
unsafe fn with_recorded(
    tuple: pg_sys::HeapTuple,
    tupdesc: pg_sys::TupleDesc,
    attnos: &[NonZeroUsize; 7],
    r: Recorded,
) -> pg_sys::HeapTuple {
    let natts = (*tupdesc).natts as usize;
    let mut values = vec![pg_sys::Datum::from(0); natts];
    let mut nulls = vec![true; natts];
    let mut replace = vec![false; natts];
    let texts = [
        Some(r.outcome.to_string()),
        r.reason,
        r.conversation_id,
        r.event_key,
        r.mapping,
    ];
    for (at, text) in attnos[2..].iter().zip(texts) {
        let i = at.get() - 1;
        replace[i] = true;
        if let Some(d) = text.and_then(IntoDatum::into_datum) {
            values[i] = d;
            nulls[i] = false;
        }
    }
    pg_sys::heap_modify_tuple(
        tuple,
        tupdesc,
        values.as_mut_ptr(),
        nulls.as_mut_ptr(),
        replace.as_mut_ptr(),
    )
}

/// The attribute numbers of [`COLUMNS`] in the trigger's table.
///
/// # Safety
/// `tupdesc` must be a valid tuple descriptor.
unsafe fn attnos(tupdesc: pg_sys::TupleDesc) -> Result<[NonZeroUsize; 7], IngestError> {
    let natts = (*tupdesc).natts as usize;
    let attrs = (*tupdesc).attrs.as_slice(natts);
    let mut out = [NonZeroUsize::MIN; 7];
    for (slot, name) in out.iter_mut().zip(COLUMNS) {
        let pos = attrs
            .iter()
            .position(|a| !a.attisdropped && pgrx::name_data_to_str(&a.attname) == name)
            .ok_or(IngestError::Misuse)?;
        *slot = NonZeroUsize::new(pos + 1).ok_or(IngestError::Misuse)?;
    }
    Ok(out)
}

/// The outcome recorded at once, and what is left for the end of the statement (registering
/// the event key, queueing). With `helper`, mapping, tagging and chunking go to the helper
/// thread, and a payload with no text is found `skipped` when the statement ends.
fn decide(payload_id: i64, raw: &str, helper: bool) -> (Recorded, Option<Pending>) {
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
    let queue = if helper {
        ingest_helper::submit(cfg.clone(), work)
    } else {
        match ingest_helper::prepare_now(&cfg, work) {
            Ok(p) => Queued::Ready(p),
            Err(n) => return key_only(n, Some(conversation)),
        }
    };
    let r = Recorded {
        outcome: "queued",
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
        outcome: "recorded",
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
