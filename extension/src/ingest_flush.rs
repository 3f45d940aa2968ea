//! The database half of ingest, once per statement: the row trigger ([`crate::ingest_trigger`])
//! buffers what each payload needs, and the statement trigger `_cxone_ingest_flush` (AFTER
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
//! Nothing is lost or written twice when a statement fails: rows buffered in a subtransaction
//! that aborts (or a transaction) are dropped with it, and a commit with rows still buffered is
//! refused. A table that has the row trigger but not the statement trigger (a 0.1.0 schema not
//! yet updated, or a user's own table) is written row by row. The buffer is also written when it
//! grows large, so a huge COPY does not hold everything in memory.

use crate::config;
use crate::ingest_trigger::IngestError;
use cxone_core::ingest::QueueRow;
use cxone_core::supersede::{event_micros, settle, Arrival, Known, Settled};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiError};
use pgrx::PgOid;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// The channel the sidecar LISTENs on.
pub const NOTIFY_CHANNEL: &str = "cxone_vector_pending";

/// Write the buffer before it holds more than this many payloads or bytes of text.
const MAX_ROWS: usize = 10_000;
const MAX_BYTES: usize = 64 << 20;

/// What one payload needs from the database.
pub struct Pending {
    pub payload_id: i64,
    pub event_key: Option<String>,
    /// The text to queue; `None` when only the event key is to be registered (the payload was
    /// not queued for its content, but a later replay of it is still a replay).
    pub queue: Option<QueueRow>,
}

struct Buffered {
    rel: pg_sys::Oid,
    subxact: pg_sys::SubTransactionId,
    pending: Pending,
}

thread_local! {
    static BUFFER: RefCell<Vec<Buffered>> = const { RefCell::new(Vec::new()) };
    static BYTES: Cell<usize> = const { Cell::new(0) };
    static CALLBACKS: Cell<bool> = const { Cell::new(false) };
    static FLUSH_FN: Cell<Option<pg_sys::Oid>> = const { Cell::new(None) };
    static PLANS: RefCell<Option<Rc<Plans>>> = const { RefCell::new(None) };
}

/// An outcome decided by the database for the payload being inserted: (outcome, reason).
pub type Correction = (&'static str, String);

/// Buffers one payload of the row trigger's relation; writes at once when the table has no
/// statement trigger to do it, or when the buffer is full. A write that includes this payload
/// returns its corrected outcome (it is not in the table yet, so the caller records it).
///
/// # Safety
/// `rel` must be the firing trigger's open relation.
pub unsafe fn push(
    rel: pg_sys::Relation,
    pending: Pending,
) -> Result<Option<Correction>, IngestError> {
    let current = pending.payload_id;
    register_callbacks();
    let bytes = pending
        .queue
        .as_ref()
        .map_or(0, |q| q.chunks.iter().map(String::len).sum::<usize>());
    let relid = (*rel).rd_id;
    BUFFER.with(|b| {
        b.borrow_mut().push(Buffered {
            rel: relid,
            subxact: pg_sys::GetCurrentSubTransactionId(),
            pending,
        })
    });
    let total = BYTES.with(|b| {
        b.set(b.get() + bytes);
        b.get()
    });
    let rows = BUFFER.with(|b| b.borrow().len());
    if !has_flush_trigger(rel) || rows >= MAX_ROWS || total >= MAX_BYTES {
        return flush(relid, Some(current));
    }
    Ok(None)
}

/// Statement trigger on `cxone_payloads`: writes what the row trigger buffered.
#[pg_trigger]
fn _cxone_ingest_flush<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, IngestError> {
    let rel = trigger.relid().map_err(|_| IngestError::Misuse)?;
    flush(rel, None)?;
    Ok(None)
}

/// Whether `rel` has an enabled AFTER INSERT FOR EACH STATEMENT trigger calling
/// `_cxone_ingest_flush`.
unsafe fn has_flush_trigger(rel: pg_sys::Relation) -> bool {
    let td = (*rel).trigdesc;
    if td.is_null() || !(*td).trig_insert_after_statement {
        return false;
    }
    let triggers = std::slice::from_raw_parts((*td).triggers, (*td).numtriggers as usize);
    triggers.iter().any(|t| {
        let t_type = t.tgtype as u32;
        let statement_after_insert = t_type & pg_sys::TRIGGER_TYPE_ROW == 0
            && t_type & pg_sys::TRIGGER_TYPE_TIMING_MASK == pg_sys::TRIGGER_TYPE_AFTER
            && t_type & pg_sys::TRIGGER_TYPE_INSERT != 0;
        if !statement_after_insert || t.tgenabled as u8 == pg_sys::TRIGGER_DISABLED {
            return false;
        }
        if let Some(oid) = FLUSH_FN.with(Cell::get) {
            return t.tgfoid == oid;
        }
        let name = pg_sys::get_func_name(t.tgfoid);
        let is_flush =
            !name.is_null() && std::ffi::CStr::from_ptr(name).to_bytes() == b"_cxone_ingest_flush";
        if is_flush {
            FLUSH_FN.with(|f| f.set(Some(t.tgfoid)));
        }
        is_flush
    })
}

/// Writes the buffered payloads of `rel`; returns the correction for payload `current`, which
/// the row trigger is still inserting.
fn flush(rel: pg_sys::Oid, current: Option<i64>) -> Result<Option<Correction>, IngestError> {
    let mine: Vec<Pending> = BUFFER.with(|b| {
        let mut b = b.borrow_mut();
        let (mine, rest): (Vec<_>, Vec<_>) = b.drain(..).partition(|x| x.rel == rel);
        *b = rest;
        mine.into_iter().map(|x| x.pending).collect()
    });
    if BUFFER.with(|b| b.borrow().is_empty()) {
        BYTES.with(|b| b.set(0));
    }
    if mine.is_empty() {
        return Ok(None);
    }
    let plans = plans()?;
    let mut outcomes: Vec<(i64, &'static str, String)> = Vec::new();
    let duplicate = claim_event_keys(&plans, &mine, &mut outcomes)?;
    // The payloads with text whose key (if any) is theirs, in arrival order.
    let queued: Vec<&Pending> = mine
        .iter()
        .zip(&duplicate)
        .filter(|(p, dup)| p.queue.is_some() && !**dup)
        .map(|(p, _)| p)
        .collect();
    let mut notify = false;
    if !queued.is_empty() {
        notify = queue(&plans, &queued, &mut outcomes)?;
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
    outcomes: &mut Vec<(i64, &'static str, String)>,
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
    rows: &[&Pending],
    outcomes: &mut Vec<(i64, &'static str, String)>,
) -> Result<bool, SpiError> {
    fn q<'p>(p: &&'p Pending) -> &'p QueueRow {
        p.queue
            .as_ref()
            .expect("only payloads with text are queued")
    }
    let arrivals: Vec<Arrival<'_>> = rows
        .iter()
        .map(|p| Arrival {
            payload_id: p.payload_id,
            conversation_id: q(p).conversation_id.as_str(),
            event_micros: q(p).event_time.map(event_micros),
        })
        .collect();
    let mut conversations: Vec<String> = arrivals
        .iter()
        .map(|a| a.conversation_id.to_string())
        .collect();
    conversations.sort_unstable();
    conversations.dedup();
    let known_rows: Vec<(String, bool, Option<i64>, i64)> = Spi::connect(|c| {
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
    let mut cols = QueueColumns::default();
    let mut pending = false;
    for (p, s) in rows.iter().zip(&settled) {
        let row = q(p);
        match *s {
            Settled::Skip { newer } => outcomes.push((
                p.payload_id,
                "skipped",
                format!(
                    "superseded on arrival: payload {newer} of conversation {} is newer",
                    row.conversation_id
                ),
            )),
            Settled::Queue { replaced } => {
                pending |= !replaced;
                cols.push(p.payload_id, row, replaced);
            }
        }
    }
    let supersede: Vec<String> = supersede.into_iter().map(str::to_string).collect();
    Spi::connect_mut(|c| {
        let args = cols.into_args(supersede);
        c.update(&plans.write, None, &args).map(|_| ())
    })?;
    Ok(pending)
}

/// The queue rows as column arrays for one INSERT ... SELECT FROM unnest(...).
#[derive(Default)]
struct QueueColumns {
    source: Vec<String>,
    conversation: Vec<String>,
    text: Vec<String>,
    metadata: Vec<String>,
    payload: Vec<i64>,
    chunk: Vec<i32>,
    event_at: Vec<Option<String>>,
    status: Vec<&'static str>,
}

impl QueueColumns {
    fn push(&mut self, payload_id: i64, row: &QueueRow, replaced: bool) {
        let metadata = serde_json::to_string(&row.metadata).unwrap_or_else(|_| "{}".into());
        let event_at = row.event_time.map(|t| t.to_rfc3339());
        for (i, text) in row.chunks.iter().enumerate() {
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

    fn into_args(self, supersede: Vec<String>) -> Vec<pgrx::datum::DatumWithOid<'static>> {
        let status: Vec<String> = self.status.into_iter().map(String::from).collect();
        vec![
            supersede.into(),
            self.source.into(),
            self.conversation.into(),
            self.text.into(),
            self.metadata.into(),
            self.payload.into(),
            self.chunk.into(),
            self.event_at.into(),
            status.into(),
        ]
    }
}

fn correct_outcomes(
    c: &mut SpiClient<'_>,
    rel: pg_sys::Oid,
    outcomes: Vec<(i64, &'static str, String)>,
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
/// text once per model in cxone_models being searched or built (state active or building).
fn write_sql(s: &str) -> String {
    format!(
        "WITH old AS (
            UPDATE {s}.conversation_embeddings SET status = 'superseded', lease_until = NULL, leased_by = NULL
             WHERE conversation_id = ANY ($1::pg_catalog.text[]) AND status IN ('pending', 'failed')
            RETURNING 1)
         INSERT INTO {s}.conversation_embeddings
                (source_system, conversation_id, text_content, semantic_metadata, payload_id, chunk_index, event_at, target_model, status)
         SELECT q.src, q.conv, q.chunk, q.meta::jsonb, q.pid, q.idx, q.at::timestamptz, m.model, q.status
           FROM unnest($2::pg_catalog.text[], $3::pg_catalog.text[], $4::pg_catalog.text[], $5::pg_catalog.text[],
                                  $6::pg_catalog.int8[], $7::pg_catalog.int4[], $8::pg_catalog.text[], $9::pg_catalog.text[])
                AS q(src, conv, chunk, meta, pid, idx, at, status)
          CROSS JOIN {s}.cxone_models m
          WHERE m.state IN ('active', 'building')"
    )
}

/// Registers, once per backend, the callbacks that drop buffered rows with the work that
/// produced them (a failed statement in a savepoint, a rolled back transaction) and refuse a
/// commit that would leave rows unwritten.
fn register_callbacks() {
    if CALLBACKS.with(Cell::get) {
        return;
    }
    // SAFETY: static functions, registered once for the life of the backend.
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
    }
    CALLBACKS.with(|c| c.set(true));
}

fn clear() {
    BUFFER.with(|b| b.borrow_mut().clear());
    BYTES.with(|b| b.set(0));
}

#[pg_guard]
unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PARALLEL_PRE_COMMIT | XACT_EVENT_PRE_PREPARE => {
            let left = BUFFER.with(|b| b.borrow().len());
            if left > 0 {
                clear();
                ereport!(
                    ERROR,
                    PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                    format!("cxone_vector: {left} ingested payloads were not queued at commit; the transaction is rolled back so that nothing is lost"),
                    "Check that cxone_payloads has its AFTER INSERT statement trigger cxone_payloads_ingest_flush (ALTER EXTENSION cxone_vector UPDATE)."
                );
            }
        }
        XACT_EVENT_ABORT | XACT_EVENT_PARALLEL_ABORT | XACT_EVENT_COMMIT | XACT_EVENT_PREPARE => {
            clear()
        }
        _ => {}
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_subxact(
    event: pg_sys::SubXactEvent::Type,
    my_subid: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    // Subtransaction ids grow; every one at or above an aborting subtransaction's id that is
    // still known was started inside it, so its rows are gone too.
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        BUFFER.with(|b| b.borrow_mut().retain(|x| x.subxact < my_subid));
    }
}
