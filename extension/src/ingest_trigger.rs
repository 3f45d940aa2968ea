//! The ingest trigger on `cxone_payloads` (BEFORE INSERT, FOR EACH ROW).
//!
//! It never fails an INSERT because of what a payload contains: every decision about content is
//! made by `cxone_core::ingest` and recorded on the row itself (outcome, reason, conversation
//! id, event key). Only the database work lives here: replay detection through the unique
//! `_cxone_event_keys` table (safe under concurrent inserts: ON CONFLICT waits for the other
//! transaction), one statement that supersedes older rows of the conversation and queues the
//! new one, and one NOTIFY per statement.

use crate::config;
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{parse_payload, prepare, NotQueued, QueueRow};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiError};
use pgrx::{JsonB, PgOid};
use std::cell::{Cell, RefCell};
use std::num::NonZeroUsize;
use std::rc::Rc;

/// The channel the sidecar LISTENs on.
pub const NOTIFY_CHANNEL: &str = "cxone_vector_pending";

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cxone_vector ingest: {0}")]
    Spi(#[from] SpiError),
    #[error("cxone_vector ingest: {0}")]
    Datum(#[from] pgrx::datum::TryFromDatumError),
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

#[pg_trigger]
fn _cxone_ingest<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, impl WhoAllocated>>, IngestError> {
    let raw = raw_payload(trigger)?;
    let mut row = trigger.new().ok_or(IngestError::Misuse)?.into_owned();
    // A row that arrives with an outcome is a restore (pg_dump data): keep it as it is.
    if row.get_by_name::<String>("outcome")?.is_some() {
        return Ok(Some(row));
    }
    let id = row.get_by_name::<i64>("id")?.ok_or(IngestError::Misuse)?;
    let r = decide(id, raw.as_deref().unwrap_or(""))?;
    row.set_by_name("outcome", r.outcome)?;
    row.set_by_name("reason", r.reason)?;
    row.set_by_name("conversation_id", r.conversation_id)?;
    row.set_by_name("event_key", r.event_key)?;
    row.set_by_name("mapping", r.mapping)?;
    Ok(Some(row))
}

/// The `payload` column's text exactly as stored (json keeps the client's bytes; we parse it
/// ourselves so that a payload serde cannot read becomes 'invalid', not an error).
fn raw_payload(trigger: &PgTrigger<'_>) -> Result<Option<String>, IngestError> {
    let data = trigger.trigger_data();
    // SAFETY: a row trigger's TriggerData has a valid relation and new tuple for INSERT.
    unsafe {
        let rel = data.tg_relation;
        let tupdesc = (*rel).rd_att;
        let tuple = data.tg_trigtuple;
        if tuple.is_null() {
            return Err(IngestError::Misuse);
        }
        let natts = (*tupdesc).natts as usize;
        let attrs = (*tupdesc).attrs.as_slice(natts);
        let Some(pos) = attrs
            .iter()
            .position(|a| !a.attisdropped && pgrx::name_data_to_str(&a.attname) == "payload")
        else {
            return Err(IngestError::Misuse);
        };
        let attno = NonZeroUsize::new(pos + 1).ok_or(IngestError::Misuse)?;
        let Some(datum) = pgrx::heap_getattr_raw(tuple, attno, tupdesc) else {
            return Ok(None);
        };
        let varlena = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
        Ok(Some(
            String::from_utf8_lossy(pgrx::varlena_to_byte_slice(varlena)).into_owned(),
        ))
    }
}

fn decide(payload_id: i64, raw: &str) -> Result<Recorded, IngestError> {
    let cfg = config::ingest_config();
    let cfg = match cfg.as_ref() {
        Ok(cfg) => cfg,
        Err(reason) => return Ok(not_queued(NotQueued::Invalid(reason.clone()), None, None)),
    };
    let mapping = Some(cfg.mapping_name.clone());
    let payload = match parse_payload(raw) {
        Ok(p) => p,
        Err(n) => {
            return Ok(Recorded {
                mapping,
                ..not_queued(n, None, None)
            })
        }
    };
    let env = Envelope::extract(&payload, &cfg.mapping);
    let plans = plans()?;
    if let Some(key) = &env.event_key {
        if let Some(original) = claim_event_key(&plans, key, payload_id)? {
            return Ok(Recorded {
                outcome: "duplicate",
                reason: Some(format!("replay of payload {original} (event key {key})")),
                conversation_id: env.conversation_id.clone(),
                event_key: env.event_key.clone(),
                mapping,
            });
        }
    }
    let row = match prepare(&payload, &env, cfg) {
        Ok(row) => row,
        Err(n) => {
            return Ok(Recorded {
                mapping,
                ..not_queued(n, env.conversation_id, env.event_key)
            })
        }
    };
    let newer = queue(&plans, &row, payload_id)?;
    let (outcome, reason) = match newer {
        Some(newer) => (
            "skipped",
            Some(format!(
                "superseded on arrival: payload {newer} of conversation {} is newer",
                row.conversation_id
            )),
        ),
        None => {
            notify_once(&plans)?;
            ("queued", None)
        }
    };
    Ok(Recorded {
        outcome,
        reason,
        conversation_id: Some(row.conversation_id),
        event_key: env.event_key,
        mapping,
    })
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

/// The statements the trigger runs, prepared once per backend (and per extension schema).
struct Plans {
    schema: Rc<str>,
    claim_key: OwnedPreparedStatement,
    original_of: OwnedPreparedStatement,
    queue: OwnedPreparedStatement,
    notify: OwnedPreparedStatement,
}

thread_local! {
    static PLANS: RefCell<Option<Rc<Plans>>> = const { RefCell::new(None) };
    /// The statement key of the last NOTIFY, so a bulk insert notifies once.
    static NOTIFIED: Cell<Option<(u32, i64)>> = const { Cell::new(None) };
}

fn oid(o: pgrx::pg_sys::BuiltinOid) -> PgOid {
    PgOid::BuiltIn(o)
}

fn plans() -> Result<Rc<Plans>, SpiError> {
    let schema = config::schema();
    if let Some(p) = PLANS
        .with(|p| p.borrow().clone())
        .filter(|p| p.schema == schema)
    {
        return Ok(p);
    }
    use pgrx::pg_sys::BuiltinOid::*;
    let s = &*schema;
    let p = Spi::connect(|c: &SpiClient<'_>| {
        Ok::<_, SpiError>(Plans {
            schema: schema.clone(),
            claim_key: c
                .prepare_mut(
                    &*format!("INSERT INTO {s}._cxone_event_keys (event_key, payload_id) VALUES ($1, $2) ON CONFLICT (event_key) DO NOTHING RETURNING payload_id"),
                    &[oid(TEXTOID), oid(INT8OID)],
                )?
                .keep(),
            original_of: c
                .prepare(
                    &*format!("SELECT payload_id FROM {s}._cxone_event_keys WHERE event_key = $1"),
                    &[oid(TEXTOID)],
                )?
                .keep(),
            queue: c.prepare_mut(&*queue_sql(s), &[oid(TEXTOID), oid(TEXTOID), oid(TEXTOID), oid(JSONBOID), oid(INT8OID), oid(TEXTARRAYOID)])?.keep(),
            notify: c
                .prepare_mut(&*format!("SELECT pg_catalog.pg_notify('{NOTIFY_CHANNEL}', '')"), &[])?
                .keep(),
        })
    })?;
    let p = Rc::new(p);
    PLANS.with(|slot| *slot.borrow_mut() = Some(p.clone()));
    Ok(p)
}

/// One round trip: if the conversation already has a row from a newer event, queue nothing and
/// return that payload id; otherwise supersede its older rows that were never embedded and
/// queue the new text, once per model in cxone_models (the active one, and any being built by
/// cxone_reembed). Older *embedded* rows stay searchable until the new row is embedded.
fn queue_sql(s: &str) -> String {
    format!(
        "WITH newer AS (
            SELECT payload_id FROM {s}.conversation_embeddings
             WHERE conversation_id = $1 AND status <> 'superseded' AND event_at > $2::timestamptz
             LIMIT 1),
         old AS (
            UPDATE {s}.conversation_embeddings SET status = 'superseded', lease_until = NULL, leased_by = NULL
             WHERE conversation_id = $1 AND status IN ('pending', 'failed')
               AND NOT EXISTS (SELECT 1 FROM newer)
            RETURNING 1),
         ins AS (
            INSERT INTO {s}.conversation_embeddings
                   (source_system, conversation_id, text_content, semantic_metadata, payload_id, chunk_index, event_at, target_model)
            SELECT $3, $1, t.chunk, $4, $5, (t.n - 1)::int, $2::timestamptz, m.model
              FROM unnest($6::text[]) WITH ORDINALITY AS t(chunk, n) CROSS JOIN {s}.cxone_models m
             WHERE m.state IN ('active', 'building') AND NOT EXISTS (SELECT 1 FROM newer)
            RETURNING 1)
         SELECT (SELECT payload_id FROM newer) AS newer, (SELECT count(*) FROM old) AS superseded, (SELECT count(*) FROM ins) AS queued"
    )
}

/// Registers the event key; returns the id of the payload that registered it first, if any.
fn claim_event_key(plans: &Plans, key: &str, payload_id: i64) -> Result<Option<i64>, SpiError> {
    Spi::connect_mut(|c| {
        let inserted = c.update(&plans.claim_key, None, &[key.into(), payload_id.into()])?;
        if !inserted.is_empty() {
            return Ok(None);
        }
        let found = c.select(&plans.original_of, None, &[key.into()])?;
        Ok(Some(found.first().get_one::<i64>()?.unwrap_or_default()))
    })
}

fn queue(plans: &Plans, row: &QueueRow, payload_id: i64) -> Result<Option<i64>, SpiError> {
    let event_at = row.event_time.map(|t| t.to_rfc3339());
    let metadata = JsonB(serde_json::Value::Object(row.metadata.clone()));
    Spi::connect_mut(|c| {
        let result = c.update(
            &plans.queue,
            None,
            &[
                row.conversation_id.as_str().into(),
                event_at.into(),
                row.source_system.as_str().into(),
                metadata.into(),
                payload_id.into(),
                row.chunks.clone().into(),
            ],
        )?;
        result.first().get_one::<i64>()
    })
}

fn notify_once(plans: &Plans) -> Result<(), SpiError> {
    let key = config::current_statement();
    if NOTIFIED.with(Cell::get) == Some(key) {
        return Ok(());
    }
    Spi::connect_mut(|c| c.update(&plans.notify, None, &[]).map(|_| ()))?;
    NOTIFIED.with(|n| n.set(Some(key)));
    Ok(())
}
