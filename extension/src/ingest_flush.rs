//! The database half of ingest, once per statement: the row trigger ([`crate::ingest_trigger`])
//! buffers what each payload needs ([`crate::ingest_buffer`]), and the statement trigger `_cxone_ingest_flush` (AFTER
//! INSERT FOR EACH STATEMENT) writes it all with a handful of statements, whatever the number
//! of rows:
//! 1. register the event keys (unique index; a key another transaction is inserting waits for
//!    it, as a row-by-row insert would) — a payload whose key is taken is a `duplicate`;
//! 2. read what the database holds for the conversations, and decide with
//!    `cxone_core::supersede` which payloads are queued and which are superseded on arrival;
//! 3. supersede older rows that were never embedded, and insert the queue rows;
//! 4. correct the outcome of replays and superseded payloads; NOTIFY the sidecar.
//!
//! (Multi-argument `unnest` and `extract` are only special unqualified; the function runs with search_path
//! pinned to pg_catalog, so they are pg_catalog's.)
//!
//! Two SPI statements per row cost 9 in 10 of the trigger's time before; see BENCHMARKS.md.
//!
//! What is buffered, and how the buffer stays true to the transaction, is in
//! [`crate::ingest_buffer`].

use crate::config;
use crate::ingest_buffer::{self, Pending};
use crate::ingest_helper::{Metadata, Prepared};
use crate::ingest_trigger::IngestError;
use crate::pg_array;
use cxone_core::ingest::NotQueued;
use cxone_core::supersede::{event_micros, settle, Arrival, Known, Settled};
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiError};
use pgrx::PgOid;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The channel the sidecar LISTENs on.
pub const NOTIFY_CHANNEL: &str = "cxone_vector_pending";

thread_local! {
    static PLANS: RefCell<Option<Rc<Plans>>> = const { RefCell::new(None) };
}

/// A payload's outcome decided here: (payload id, outcome, reason).
type Outcome = (i64, &'static str, String);

/// An outcome decided by the database for the payload being inserted: (outcome, reason).
pub type Correction = (&'static str, String);

/// Statement trigger on `cxone_payloads`: writes what the row trigger buffered.
#[pg_trigger]
fn _cxone_ingest_flush<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, IngestError> {
    let rel = trigger.relid().map_err(|_| IngestError::Misuse)?;
    flush(rel, None)?;
    Ok(None)
}

/// Writes the buffered payloads of `rel`; returns the correction for payload `current`, which
/// the row trigger is still inserting.
pub fn flush(rel: pg_sys::Oid, current: Option<i64>) -> Result<Option<Correction>, IngestError> {
    let mine = ingest_buffer::take(rel);
    if mine.is_empty() {
        return Ok(None);
    }
    let plans = plans()?;
    let mut outcomes: Vec<Outcome> = Vec::new();
    // Meanwhile the helper thread finishes tagging and chunking the statement's last rows.
    crate::ingest_helper::hand_over();
    let duplicate = claim_event_keys(&plans, &mine, &mut outcomes)?;
    // The payloads with text whose key (if any) is theirs, in arrival order.
    let mut queued: Vec<(i64, Prepared)> = Vec::with_capacity(mine.len());
    for (p, dup) in mine.into_iter().zip(duplicate) {
        match (dup, p.queue) {
            (false, Some(q)) => match q.wait()? {
                Ok(prepared) => queued.push((p.payload_id, prepared)),
                Err(n) => outcomes.push(not_queued(p.payload_id, n)),
            },
            (true, Some(q)) => q.forget(),
            (_, None) => {}
        }
    }
    let mut notify = false;
    if !queued.is_empty() {
        notify = queue(&plans, queued, &mut outcomes)?;
    }
    let mut correction = None;
    if let Some(i) = outcomes.iter().position(|o| Some(o.0) == current) {
        let (_, outcome, reason) = outcomes.swap_remove(i);
        correction = Some((outcome, reason));
    }
    Spi::connect_mut(|c| {
        if !outcomes.is_empty() {
            correct_outcomes(c, rel, outcomes)?;
        }
        if notify {
            c.update(&plans.notify, None, &[])?;
        }
        Ok::<_, SpiError>(())
    })?;
    Ok(correction)
}

/// Registers the event keys; returns, per payload, whether it is a replay (and records its
/// outcome). Keys go in sorted order so that two statements with overlapping keys wait for each
/// other instead of deadlocking.
fn claim_event_keys(
    plans: &Plans,
    rows: &[Pending],
    outcomes: &mut Vec<Outcome>,
) -> Result<Vec<bool>, SpiError> {
    let mut first: HashMap<&str, i64> = HashMap::new();
    for p in rows {
        if let Some(k) = &p.event_key {
            first.entry(k.as_str()).or_insert(p.payload_id);
        }
    }
    let mut dup = vec![false; rows.len()];
    if first.is_empty() {
        return Ok(dup);
    }
    let mut keys: Vec<(&str, i64)> = first.iter().map(|(k, v)| (*k, *v)).collect();
    keys.sort_unstable();
    let (names, ids): (Vec<String>, Vec<i64>) =
        keys.iter().map(|(k, v)| (k.to_string(), *v)).unzip();
    let originals: HashMap<String, i64> = Spi::connect_mut(|c| {
        let mut taken: std::collections::HashSet<String> = names.iter().cloned().collect();
        for row in c.update(&plans.claim_keys, None, &[names.clone().into(), ids.into()])? {
            if let Some(k) = row.get::<String>(1)? {
                taken.remove(&k);
            }
        }
        let mut originals = HashMap::new();
        if !taken.is_empty() {
            let taken: Vec<String> = taken.into_iter().collect();
            for row in c.select(&plans.originals, None, &[taken.into()])? {
                if let (Some(k), Some(id)) = (row.get::<String>(1)?, row.get::<i64>(2)?) {
                    originals.insert(k, id);
                }
            }
        }
        Ok::<_, SpiError>(originals)
    })?;
    for (i, p) in rows.iter().enumerate() {
        let Some(k) = &p.event_key else { continue };
        let original = originals.get(k).copied().or_else(|| {
            first
                .get(k.as_str())
                .copied()
                .filter(|&id| id != p.payload_id)
        });
        if let Some(original) = original {
            dup[i] = true;
            outcomes.push((
                p.payload_id,
                "duplicate",
                format!("replay of payload {original} (event key {k})"),
            ));
        }
    }
    Ok(dup)
}

/// Decides and writes the queue rows; returns whether any row is pending (to notify).
fn queue(
    plans: &Plans,
    rows: Vec<(i64, Prepared)>,
    outcomes: &mut Vec<Outcome>,
) -> Result<bool, SpiError> {
    let arrivals: Vec<Arrival<'_>> = rows
        .iter()
        .map(|(payload_id, Prepared { row, .. })| Arrival {
            payload_id: *payload_id,
            conversation_id: row.conversation_id.as_str(),
            event_micros: row.event_time.map(event_micros),
        })
        .collect();
    let mut conversations: Vec<String> = arrivals
        .iter()
        .map(|a| a.conversation_id.to_string())
        .collect();
    conversations.sort_unstable();
    conversations.dedup();
    let mut models: Vec<String> = Vec::new();
    let known_rows: Vec<(String, bool, Option<i64>, i64)> = Spi::connect(|c| {
        for row in c.select(&plans.models, None, &[])? {
            models.extend(row.get::<String>(1)?);
        }
        let mut out = Vec::new();
        for row in c.select(&plans.known, None, &[conversations.into()])? {
            out.push((
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<bool>(2)?.unwrap_or_default(),
                row.get::<i64>(3)?,
                row.get::<i64>(4)?.unwrap_or_default(),
            ));
        }
        Ok::<_, SpiError>(out)
    })?;
    let mut known: HashMap<&str, Known> = HashMap::new();
    for (conv, open, t, payload) in &known_rows {
        let k = known.entry(conv.as_str()).or_default();
        let newest = t.map(|t| (t, *payload));
        if *open {
            k.has_open = true;
            k.newest_open = newest;
        } else {
            k.newest_embedded = newest;
        }
    }
    let (settled, supersede) = settle(&arrivals, &known);
    let supersede: Vec<String> = supersede.into_iter().map(str::to_string).collect();
    let mut cols = QueueColumns {
        models,
        ..QueueColumns::default()
    };
    let mut pending = false;
    for ((payload_id, prepared), s) in rows.into_iter().zip(settled) {
        let row = &prepared.row;
        match s {
            Settled::Skip { newer } => outcomes.push((
                payload_id,
                "skipped",
                format!(
                    "superseded on arrival: payload {newer} of conversation {} is newer",
                    row.conversation_id
                ),
            )),
            Settled::Queue { replaced } => {
                pending |= !replaced;
                cols.push(payload_id, prepared, replaced);
            }
        }
    }
    Spi::connect_mut(|c| {
        let args = cols.into_args(supersede);
        c.update(&plans.write, None, &args).map(|_| ())
    })?;
    Ok(pending)
}

/// The queue rows as column arrays for one INSERT ... SELECT unnest(...), unnest(...), ...:
/// one row per chunk and model being searched or built.
#[derive(Default)]
struct QueueColumns {
    models: Vec<String>,
    model: Vec<String>,
    source: Vec<String>,
    conversation: Vec<String>,
    text: Vec<String>,
    metadata: Vec<Metadata>,
    payload: Vec<i64>,
    chunk: Vec<i32>,
    event_at: Vec<Option<String>>,
    status: Vec<&'static str>,
}

impl QueueColumns {
    fn push(&mut self, payload_id: i64, prepared: Prepared, replaced: bool) {
        let Prepared { row, metadata } = prepared;
        let event_at = row.event_time.map(|t| t.to_rfc3339());
        for model in &self.models {
            for (i, text) in row.chunks.iter().enumerate() {
                self.model.push(model.clone());
                self.source.push(row.source_system.clone());
                self.conversation.push(row.conversation_id.clone());
                self.text.push(text.clone());
                self.metadata.push(metadata.clone());
                self.payload.push(payload_id);
                self.chunk.push(i as i32);
                self.event_at.push(event_at.clone());
                self.status
                    .push(if replaced { "superseded" } else { "pending" });
            }
        }
    }

    fn into_args(self, supersede: Vec<String>) -> Vec<DatumWithOid<'static>> {
        use pgrx::pg_sys::{INT4ARRAYOID, INT8ARRAYOID, JSONBARRAYOID, TEXTARRAYOID};
        let strings = |v: &[String]| {
            // SAFETY: called inside the SPI connection, whose memory context holds the
            // arrays until the statement has run.
            unsafe { pg_array::text(v, |s| Some(s.as_str())) }
        };
        let text = |d| unsafe { DatumWithOid::new(d, TEXTARRAYOID) };
        // SAFETY: as above.
        unsafe {
            vec![
                text(strings(&supersede)),
                text(strings(&self.source)),
                text(strings(&self.conversation)),
                text(strings(&self.text)),
                text(pg_array::text(&self.metadata, |m| match m {
                    Metadata::Text(t) => Some(t.as_str()),
                    Metadata::Jsonb(_) => None,
                })),
                DatumWithOid::new(pg_array::int8(&self.payload), INT8ARRAYOID),
                DatumWithOid::new(pg_array::int4(&self.chunk), INT4ARRAYOID),
                text(pg_array::text(&self.event_at, |t| t.as_deref())),
                text(strings(&self.model)),
                text(pg_array::text(&self.status, |s| Some(*s))),
                DatumWithOid::new(
                    pg_array::varlenas(pg_sys::JSONBOID, &self.metadata, |m| match m {
                        Metadata::Jsonb(b) => Some(pg_array::Element::Varlena(b)),
                        Metadata::Text(_) => None,
                    }),
                    JSONBARRAYOID,
                ),
            ]
        }
    }
}

/// A payload found at the end of the statement to have no text to queue.
fn not_queued(payload_id: i64, n: NotQueued) -> Outcome {
    match n {
        NotQueued::Skipped(r) => (payload_id, "skipped", r),
        NotQueued::Invalid(r) => (payload_id, "invalid", r),
    }
}

fn correct_outcomes(
    c: &mut SpiClient<'_>,
    rel: pg_sys::Oid,
    outcomes: Vec<Outcome>,
) -> Result<(), SpiError> {
    let mut ids = Vec::with_capacity(outcomes.len());
    let mut kinds = Vec::with_capacity(outcomes.len());
    let mut reasons = Vec::with_capacity(outcomes.len());
    for (id, kind, reason) in outcomes {
        ids.push(id);
        kinds.push(kind.to_string());
        reasons.push(reason);
    }
    let sql = format!(
        "UPDATE {} AS p SET outcome = u.outcome, reason = u.reason
           FROM unnest($1::pg_catalog.int8[], $2::pg_catalog.text[], $3::pg_catalog.text[]) AS u(id, outcome, reason)
          WHERE p.id = u.id",
        qualified_name(rel)
    );
    c.update(&sql, None, &[ids.into(), kinds.into(), reasons.into()])
        .map(|_| ())
}

/// `schema.table` of a relation, quoted.
fn qualified_name(rel: pg_sys::Oid) -> String {
    // SAFETY: syscache lookups of a relation that is open (the trigger's) for the statement.
    unsafe {
        let ns = pg_sys::get_namespace_name(pg_sys::get_rel_namespace(rel));
        let name = pg_sys::get_rel_name(rel);
        std::ffi::CStr::from_ptr(pg_sys::quote_qualified_identifier(ns, name))
            .to_string_lossy()
            .into_owned()
    }
}

/// The statements a flush runs, prepared once per backend (and per extension schema).
struct Plans {
    schema: Rc<str>,
    claim_keys: OwnedPreparedStatement,
    originals: OwnedPreparedStatement,
    known: OwnedPreparedStatement,
    models: OwnedPreparedStatement,
    write: OwnedPreparedStatement,
    notify: OwnedPreparedStatement,
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
    let t = |o| PgOid::BuiltIn(o);
    let s = &*schema;
    let p = Spi::connect(|c: &SpiClient<'_>| {
        Ok::<_, SpiError>(Plans {
            schema: schema.clone(),
            claim_keys: c
                .prepare_mut(
                    &*format!(
                        "INSERT INTO {s}._cxone_event_keys (event_key, payload_id)
                         SELECT k, p FROM unnest($1::pg_catalog.text[], $2::pg_catalog.int8[]) WITH ORDINALITY AS t(k, p, n) ORDER BY n
                         ON CONFLICT (event_key) DO NOTHING RETURNING event_key"
                    ),
                    &[t(TEXTARRAYOID), t(INT8ARRAYOID)],
                )?
                .keep(),
            originals: c
                .prepare(
                    &*format!("SELECT event_key, payload_id FROM {s}._cxone_event_keys WHERE event_key = ANY ($1::pg_catalog.text[])"),
                    &[t(TEXTARRAYOID)],
                )?
                .keep(),
            known: c.prepare(&*known_sql(s), &[t(TEXTARRAYOID)])?.keep(),
            models: c
                .prepare(
                    &*format!("SELECT model FROM {s}.cxone_models WHERE state IN ('active', 'building') ORDER BY model"),
                    &[],
                )?
                .keep(),
            write: c
                .prepare_mut(
                    &*write_sql(s),
                    &[
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(INT8ARRAYOID),
                        t(INT4ARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(JSONBARRAYOID),
                    ],
                )?
                .keep(),
            notify: c
                .prepare_mut(&*format!("SELECT pg_catalog.pg_notify('{NOTIFY_CHANNEL}', '')"), &[])?
                .keep(),
        })
    })?;
    let p = Rc::new(p);
    PLANS.with(|slot| *slot.borrow_mut() = Some(p.clone()));
    Ok(p)
}

/// Per conversation, the newest row (event time in microseconds, payload) among embedded rows
/// and among pending or failed ones; superseded rows do not count.
fn known_sql(s: &str) -> String {
    format!(
        "SELECT DISTINCT ON (conversation_id, open) conversation_id, open, t, payload_id
           FROM (SELECT conversation_id, status IN ('pending', 'failed') AS open, payload_id,
                        (extract(epoch FROM event_at) * 1000000)::pg_catalog.int8 AS t
                   FROM {s}.conversation_embeddings
                  WHERE conversation_id = ANY ($1::pg_catalog.text[]) AND status <> 'superseded') AS x
          ORDER BY conversation_id, open, t DESC NULLS LAST"
    )
}

/// Supersedes the listed conversations' rows that were never embedded, and queues the new
/// text once per model being searched or built (the rows come as parallel arrays, one element
/// per chunk and model; set-returning functions in the select list stream them, where
/// `FROM unnest(...)` would first copy them all into a tuplestore). Metadata comes as `jsonb`
/// (`$11`) or, where the encoder left it to `jsonb_in`, as text (`$5`).
fn write_sql(s: &str) -> String {
    format!(
        "WITH old AS (
            UPDATE {s}.conversation_embeddings SET status = 'superseded', lease_until = NULL, leased_by = NULL
             WHERE conversation_id = ANY ($1::pg_catalog.text[]) AND status IN ('pending', 'failed')
            RETURNING 1)
         INSERT INTO {s}.conversation_embeddings
                (source_system, conversation_id, text_content, semantic_metadata, payload_id, chunk_index, event_at, target_model, status)
         SELECT q.src, q.conv, q.chunk, COALESCE(q.metab, q.meta::jsonb), q.pid, q.idx, q.at::timestamptz, q.model, q.status
           FROM (SELECT unnest($2::pg_catalog.text[]) AS src, unnest($3::pg_catalog.text[]) AS conv,
                        unnest($4::pg_catalog.text[]) AS chunk, unnest($5::pg_catalog.text[]) AS meta,
                        unnest($6::pg_catalog.int8[]) AS pid, unnest($7::pg_catalog.int4[]) AS idx,
                        unnest($8::pg_catalog.text[]) AS at, unnest($9::pg_catalog.text[]) AS model,
                        unnest($10::pg_catalog.text[]) AS status, unnest($11::pg_catalog.jsonb[]) AS metab) AS q"
    )
}
