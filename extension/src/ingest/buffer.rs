//! What the row trigger ([`crate::ingest::trigger`]) hands over for the end of the statement:
//! the payloads buffered per backend, and the guards that keep the buffer true to the
//! transaction. Rows buffered in a subtransaction that aborts (a failed statement in a
//! savepoint or a PL/pgSQL exception block), or in a transaction that aborts, are dropped with
//! it; a commit with rows still buffered is refused. The statement trigger
//! ([`crate::ingest::flush`]) takes them; a table without it, or a full buffer, is written at
//! once (the row trigger calls the flush when [`push`] says so).

use crate::error::sqlstate;
use crate::ingest::helper::{self, Queued};
use pgrx::prelude::*;
use std::cell::{Cell, RefCell};

/// Write the buffer before it holds more than this many payloads or bytes of text.
const MAX_ROWS: usize = 10_000;
const MAX_BYTES: usize = 64 << 20;

/// What one payload needs from the database.
pub struct Pending {
    pub payload_id: i64,
    pub event_key: Option<String>,
    /// The text to queue (perhaps still being tagged and chunked by the helper thread);
    /// `None` when only the event key is to be registered (the payload was not queued for its
    /// content, but a later replay of it is still a replay).
    pub queue: Option<Queued>,
    /// The messages and case facts of a message or case event, recorded into their
    /// conversations at the end of the statement ([`crate::ingest::record`]).
    pub record: Option<Box<cxone_core::messages::Event>>,
    /// Bytes of the raw payload, counted towards the buffer's limit.
    pub text_bytes: usize,
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
}

/// Buffers one payload of the row trigger's relation. Returns true when the buffer must be
/// written now: the table has no statement trigger to do it (`collected` is
/// [`has_flush_trigger`] of `rel`), or the buffer is full.
///
/// # Safety
/// `rel` must be the firing trigger's open relation.
pub unsafe fn push(rel: pg_sys::Relation, pending: Pending, collected: bool) -> bool {
    register_callbacks();
    let bytes = pending.text_bytes;
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
    !collected || rows >= MAX_ROWS || total >= MAX_BYTES
}

/// Payloads buffered (of any table): the rows of the running statement so far.
pub fn buffered() -> usize {
    BUFFER.with(|b| b.borrow().len())
}

/// Removes and returns the buffered payloads of `rel`, in arrival order.
pub fn take(rel: pg_sys::Oid) -> Vec<Pending> {
    BUFFER.with(|b| {
        let mut b = b.borrow_mut();
        let (mine, rest): (Vec<_>, Vec<_>) = b.drain(..).partition(|x| x.rel == rel);
        *b = rest;
        if b.is_empty() {
            BYTES.with(|n| n.set(0));
        }
        mine.into_iter().map(|x| x.pending).collect()
    })
}

/// Whether `rel` has an enabled AFTER INSERT FOR EACH STATEMENT trigger calling
/// `_cxone_ingest_flush` (its OID is remembered once found by name).
///
/// # Safety
/// `rel` must be an open relation.
pub unsafe fn has_flush_trigger(rel: pg_sys::Relation) -> bool {
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
        if FLUSH_FN.with(Cell::get) == Some(t.tgfoid) {
            return true;
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
    helper::clear();
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
                    sqlstate::INTERNAL,
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
        let dropped: Vec<Buffered> = BUFFER.with(|b| {
            let mut b = b.borrow_mut();
            let (gone, kept) = b.drain(..).partition(|x| x.subxact >= my_subid);
            *b = kept;
            gone
        });
        // Their results from the helper thread are not wanted either.
        for q in dropped.into_iter().filter_map(|x| x.pending.queue) {
            q.forget();
        }
    }
}
