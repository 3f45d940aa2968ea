//! The database half of ingest, once per statement: the row trigger ([`crate::ingest::trigger`])
//! buffers what each payload needs ([`crate::ingest::buffer`]), and the statement trigger `_cxone_ingest_flush` (AFTER
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
//! [`crate::ingest::buffer`].

use crate::error::IngestError;
use crate::ingest::buffer::{self, Pending};
use crate::ingest::helper::{self, Prepared};
use crate::ingest::outcome::{Correction, Decided, Outcome};
use crate::ingest::record;
use crate::ingest::statements::{plans, Plans, QueueColumns};
use cxone_core::supersede::{event_micros, settle, Arrival, Known, Settled};
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiError};
use std::collections::HashMap;

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
    let mine = buffer::take(rel);
    if mine.is_empty() {
        return Ok(None);
    }
    let plans = plans()?;
    let mut outcomes: Vec<Decided> = Vec::new();
    // Meanwhile the helper thread finishes tagging and chunking the statement's last rows.
    helper::hand_over();
    let duplicate = claim_event_keys(&plans, &mine, &mut outcomes)?;
    // The payloads with text whose key (if any) is theirs, in arrival order.
    let mut queued: Vec<(i64, Prepared)> = Vec::with_capacity(mine.len());
    let mut events = Vec::new();
    for (p, dup) in mine.into_iter().zip(duplicate) {
        if let Some(event) = p.record {
            if !dup {
                events.push((p.payload_id, *event));
            }
            continue;
        }
        match (dup, p.queue) {
            (false, Some(q)) => match q.wait()? {
                Ok(prepared) => queued.push((p.payload_id, prepared)),
                Err(n) => {
                    // No text to queue, found by the helper thread.
                    let (outcome, reason) = n.into_outcome();
                    outcomes.push(Decided::new(p.payload_id, outcome, reason));
                }
            },
            (true, Some(q)) => q.forget(),
            (_, None) => {}
        }
    }
    let mut notify = false;
    if !queued.is_empty() {
        notify = queue(&plans, queued, &mut outcomes)?;
    }
    if !events.is_empty() {
        notify |= record::record(&plans, events, &mut outcomes)?;
    }
    let mut correction = None;
    if let Some(i) = outcomes.iter().position(|o| Some(o.payload_id) == current) {
        let d = outcomes.swap_remove(i);
        correction = Some(Correction {
            outcome: d.outcome,
            reason: d.reason,
        });
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
    outcomes: &mut Vec<Decided>,
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
            outcomes.push(Decided::new(
                p.payload_id,
                Outcome::Duplicate,
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
    outcomes: &mut Vec<Decided>,
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
    let mut cols = QueueColumns::for_models(models);
    let mut pending = false;
    for ((payload_id, prepared), s) in rows.into_iter().zip(settled) {
        let row = &prepared.row;
        match s {
            Settled::Skip { newer } => outcomes.push(Decided::new(
                payload_id,
                Outcome::Skipped,
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

fn correct_outcomes(
    c: &mut SpiClient<'_>,
    rel: pg_sys::Oid,
    outcomes: Vec<Decided>,
) -> Result<(), SpiError> {
    let mut ids = Vec::with_capacity(outcomes.len());
    let mut kinds = Vec::with_capacity(outcomes.len());
    let mut reasons = Vec::with_capacity(outcomes.len());
    for d in outcomes {
        ids.push(d.payload_id);
        kinds.push(d.outcome.as_str().to_string());
        reasons.push(d.reason);
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
