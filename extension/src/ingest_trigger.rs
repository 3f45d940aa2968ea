//! The ingest trigger on `cxone_payloads` (BEFORE INSERT, FOR EACH ROW).
//!
//! It never fails an INSERT because of what a payload contains: every decision about content is
//! made by `cxone_core::ingest` and recorded on the row itself (outcome, reason, conversation
//! id, event key). It runs no SQL per row: what the database must do (register the event key,
//! supersede older rows, queue the text) is buffered ([`crate::ingest_buffer`]) for
//! [`crate::ingest_flush`], which does it for the whole statement at its end. A payload found there to be a replay, or superseded on
//! arrival, gets its outcome corrected then; until the statement ends (and so in `RETURNING`)
//! it reads `queued`.

use crate::config;
use crate::ingest_buffer::{self, Pending};
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{parse_payload, prepare, NotQueued};
use pgrx::prelude::*;
use pgrx::spi::SpiError;
use pgrx::PgTupleDesc;
use std::num::NonZeroUsize;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cxone_vector ingest: {0}")]
    Spi(#[from] SpiError),
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
            String::from_utf8_lossy(pgrx::varlena_to_byte_slice(v))
        });
        let (mut r, pending) = decide(id, raw.as_deref().unwrap_or(""));
        if let Some(p) = pending {
            if let Some((outcome, reason)) = ingest_buffer::push(rel, p)? {
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
/// the event key, queueing).
fn decide(payload_id: i64, raw: &str) -> (Recorded, Option<Pending>) {
    let cfg = config::ingest_config();
    let cfg = match cfg.as_ref() {
        Ok(cfg) => cfg,
        Err(reason) => {
            return (
                not_queued(NotQueued::Invalid(reason.clone()), None, None),
                None,
            )
        }
    };
    let mapping = Some(cfg.mapping_name.clone());
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
    let env = Envelope::extract(&payload, &cfg.mapping);
    match prepare(&payload, &env, cfg) {
        Ok(row) => {
            let r = Recorded {
                outcome: "queued",
                reason: None,
                conversation_id: Some(row.conversation_id.clone()),
                event_key: env.event_key.clone(),
                mapping,
            };
            let p = Pending {
                payload_id,
                event_key: env.event_key,
                queue: Some(row),
            };
            (r, Some(p))
        }
        // Not queued for its content; a replay of an earlier event is still a replay.
        Err(n) => {
            let pending = env.event_key.clone().map(|key| Pending {
                payload_id,
                event_key: Some(key),
                queue: None,
            });
            let r = Recorded {
                mapping,
                ..not_queued(n, env.conversation_id, env.event_key)
            };
            (r, pending)
        }
    }
}

fn not_queued(
    n: NotQueued,
    conversation_id: Option<String>,
    event_key: Option<String>,
) -> Recorded {
    let (outcome, reason) = match n {
        NotQueued::Skipped(r) => ("skipped", r),
        NotQueued::Invalid(r) => ("invalid", r),
    };
    Recorded {
        outcome,
        reason: Some(reason),
        conversation_id,
        event_key,
        mapping: None,
    }
}
