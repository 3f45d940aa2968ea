//! The ingest trigger on `cxone_payloads` (BEFORE INSERT, FOR EACH ROW).
//!
//! It never fails an INSERT because of what a payload contains: every decision about content is
//! made by `cxone_core::ingest` and recorded on the row itself (outcome, reason, conversation
//! id, event key). It runs no SQL per row: what the database must do (register the event key,
//! supersede older rows, queue the text) is buffered ([`crate::ingest::buffer`]) for
//! [`crate::ingest::flush`], which does it for the whole statement at its end. Here it reads
//! the row; [`crate::ingest::decide`] parses the payload and reads its envelope (what the row
//! records); mapping, tagging, redaction and
//! chunking go to the backend's helper thread ([`crate::ingest::helper`]) when the table has
//! the statement trigger, else they are done here. A payload found at the end to be a replay,
//! superseded on arrival or (from the helper) without text gets its outcome corrected then;
//! until the statement ends (and so in `RETURNING`) it reads `queued`. In PCI mode
//! (`cxone.pci_mask_payloads`) the payload is first masked (`cxone_core::pci_mask`), and the
//! masked text is both what is stored and what everything is derived from.

use crate::error::IngestError;
use crate::guc;
use crate::ingest::decide::{decide, Recorded};
use crate::ingest::{buffer, flush, helper};
use pgrx::prelude::*;
use pgrx::PgTupleDesc;
use std::borrow::Cow;
use std::num::NonZeroUsize;

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
        let collected = buffer::has_flush_trigger(rel);
        let on_helper =
            collected && guc::ingest_helper_thread() && buffer::buffered() >= helper::INLINE_FIRST;
        // PCI mode: the payload is stored, and everything is derived, from its masked text.
        let masked = raw
            .as_deref()
            .filter(|_| guc::pci_mask_payloads())
            .and_then(cxone_core::pci_mask::mask_card_data);
        let text = masked.as_deref().or(raw.as_deref()).unwrap_or("");
        let (mut r, pending) = decide(id, text, on_helper);
        if let Some(p) = pending {
            // Written at once when no statement trigger will (or the buffer is full); a write
            // that includes this payload decides its outcome, written on the row itself.
            if buffer::push(rel, p, collected) {
                if let Some(c) = flush::flush((*rel).rd_id, Some(id))? {
                    r.outcome = c.outcome;
                    r.reason = Some(c.reason);
                }
            }
        }
        let modified = with_recorded(tuple, tupdesc, &attnos, r, masked);
        Ok(Some(PgHeapTuple::from_heap_tuple(
            PgTupleDesc::from_pg_unchecked(tupdesc),
            modified,
        )))
    }
}

/// A copy of `tuple` with the five recorded columns set (and the payload replaced by its masked
/// text, in PCI mode), in one `heap_modify_tuple`.
///
/// # Safety
/// `tuple` and `tupdesc` must be the trigger's new tuple and its descriptor, `attnos` from
/// [`attnos`] on that descriptor.
unsafe fn with_recorded(
    tuple: pg_sys::HeapTuple,
    tupdesc: pg_sys::TupleDesc,
    attnos: &[NonZeroUsize; 7],
    r: Recorded,
    masked: Option<String>,
) -> pg_sys::HeapTuple {
    let natts = (*tupdesc).natts as usize;
    let mut values = vec![pg_sys::Datum::from(0); natts];
    let mut nulls = vec![true; natts];
    let mut replace = vec![false; natts];
    let texts = [
        Some(r.outcome.as_str().to_string()),
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
    // `json` is stored as its text: a text datum is one.
    if let Some(d) = masked.and_then(IntoDatum::into_datum) {
        let i = attnos[1].get() - 1;
        (replace[i], values[i], nulls[i]) = (true, d, false);
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
