//! The ingest helper thread: one per backend, started on first use. The row trigger
//! ([`crate::ingest::trigger`]) parses each payload and reads its envelope (conversation id,
//! event key) on the backend's own thread, and hands the parsed payload here; the helper maps
//! it to labelled text, tags it (PII, intent), redacts it when `cxone.redact` is on, chunks it
//! and encodes its metadata as `jsonb`, while the backend goes on inserting the next rows.
//! The statement's flush ([`crate::ingest::flush`]) collects the results, exactly what the
//! inline path makes: a payload with no text at the mapped paths is recorded `skipped` there
//! (so it reads `queued` in the INSERT's own RETURNING, like a replay).
//!
//! Rules that keep a thread safe inside a PostgreSQL backend:
//! - the helper runs only `cxone_core` code and Rust allocation: no PostgreSQL function, no
//!   palloc, no ereport (PostgreSQL itself is single-threaded);
//! - it is started with every signal blocked, so that PostgreSQL's signals (cancel, terminate,
//!   latch wake-ups) are handled by the backend's thread as PostgreSQL expects;
//! - a panic is caught per payload; the waiting statement then fails with an error, as the
//!   same panic would have failed it inline;
//! - a result nobody waits for any more (its statement failed, its savepoint rolled back) is
//!   dropped; the data of the payload stays with the transaction, which decides its fate.
//!
//! Payloads go to the helper in batches of [`BATCH`]: handing over each one alone cost a
//! thread wake-up per payload, which took back a third of what the helper saved.
//!
//! The work is done inline instead for the first [`INLINE_FIRST`] rows of a statement, when
//! `cxone.ingest_helper_thread` is off, when the table has no statement trigger to collect
//! results (then every row is written at once), or when the thread cannot be started.

use crate::error::IngestError;
use crate::threads;
use cxone_core::envelope::Envelope;
use cxone_core::ingest::{finish, map, IngestConfig, NotQueued, QueueRow};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::Arc;

/// Payloads handed to the helper at once.
const BATCH: usize = 64;

/// The first rows of a statement are done inline: for a one-row INSERT (a webhook's) the
/// hand-over and the helper's wake-up cost about 60 µs (pgbench) and save nothing.
pub const INLINE_FIRST: usize = 16;

/// A queue row with its metadata encoded as the flush writes it (`row.metadata` is left
/// empty).
pub struct Prepared {
    pub row: QueueRow,
    pub metadata: Metadata,
}

/// `semantic_metadata`, ready for the database.
#[derive(Clone)]
pub enum Metadata {
    /// The `jsonb` value itself ([`crate::encode::jsonb::encode`]).
    Jsonb(Vec<u8>),
    /// JSON text for `jsonb_in`, for what the encoder leaves to it.
    Text(String),
}

/// What became of a payload: its queue row, or why it is not queued (no text matched).
pub type Finished = Result<Prepared, NotQueued>;

/// A parsed payload and its envelope, to be mapped, tagged and chunked.
pub struct Work {
    pub payload: Value,
    pub envelope: Envelope,
}

/// A payload's result: ready, or a ticket for the helper's.
pub enum Queued {
    Ready(Prepared),
    Ticket(u64),
}

type Results = Vec<(u64, Finished)>;

struct Batch {
    cfg: Arc<IngestConfig>,
    items: Vec<(u64, Work)>,
}

struct Job {
    batch: Batch,
    reply: SyncSender<Results>,
}

/// The backend's side of the helper.
#[derive(Default)]
struct Helper {
    jobs: Option<Sender<Job>>,
    next: u64,
    /// Payloads not yet handed over.
    open: Option<Batch>,
    /// Batches handed over, oldest first, with the last ticket of each.
    sent: VecDeque<(u64, Receiver<Results>)>,
    /// Results received and not yet taken.
    done: HashMap<u64, Finished>,
    /// Tickets nobody will take (replays, rows of a rolled-back savepoint) whose results have
    /// not arrived yet: dropped when they do.
    forgotten: HashSet<u64>,
}

thread_local! {
    static HELPER: RefCell<Helper> = RefCell::new(Helper::default());
}

/// Maps, tags, redacts and chunks on the calling thread.
pub fn prepare_now(cfg: &IngestConfig, work: Work) -> Finished {
    Ok(encoded(finish(
        map(&work.payload, &work.envelope, cfg)?,
        cfg,
    )))
}

/// A queue row with its metadata encoded for the write.
pub fn encoded(mut row: QueueRow) -> Prepared {
    let metadata = match crate::encode::jsonb::encode(&row.metadata) {
        Some(b) => Metadata::Jsonb(b),
        None => {
            Metadata::Text(serde_json::to_string(&row.metadata).unwrap_or_else(|_| "{}".into()))
        }
    };
    // Only the encoded form is written; the map is freed here, not by the backend.
    row.metadata = serde_json::Map::new();
    Prepared { row, metadata }
}

/// Queues a parsed payload for the helper thread; the result is taken with [`Queued::wait`].
pub fn submit(cfg: Arc<IngestConfig>, work: Work) -> Queued {
    HELPER.with(|h| {
        let mut h = h.borrow_mut();
        let ticket = h.next;
        h.next += 1;
        if h.open.as_ref().is_some_and(|b| !Arc::ptr_eq(&b.cfg, &cfg)) {
            h.send_open();
        }
        let batch = h.open.get_or_insert_with(|| Batch {
            cfg,
            items: Vec::with_capacity(BATCH),
        });
        batch.items.push((ticket, work));
        if batch.items.len() >= BATCH {
            h.send_open();
        }
        Queued::Ticket(ticket)
    })
}

impl Queued {
    /// The result; waits for the helper if it is still working on it. The wait can be
    /// cancelled like any query.
    pub fn wait(self) -> Result<Finished, IngestError> {
        match self {
            Queued::Ready(p) => Ok(Ok(p)),
            Queued::Ticket(t) => HELPER.with(|h| h.borrow_mut().take(t)),
        }
    }

    /// Drops a result that is not needed (the payload turned out to be a replay, or its
    /// savepoint was rolled back), now or when it arrives.
    pub fn forget(self) {
        if let Queued::Ticket(t) = self {
            HELPER.with(|h| {
                let mut h = h.borrow_mut();
                if h.done.remove(&t).is_none() {
                    h.forgotten.insert(t);
                }
            });
        }
    }
}

/// Hands the payloads not yet handed over to the helper (at the end of a statement, so that
/// it works on them while the flush registers the event keys).
pub fn hand_over() {
    HELPER.with(|h| h.borrow_mut().send_open());
}

/// Drops everything of the transaction that ended: its tickets are dead (the ingest buffer is
/// cleared with it). Results still being made are dropped by the helper when it finds nobody
/// waiting.
pub fn clear() {
    HELPER.with(|h| {
        let mut h = h.borrow_mut();
        h.open = None;
        h.sent.clear();
        h.done.clear();
        h.forgotten.clear();
    });
}

impl Helper {
    /// Hands the open batch to the thread (starting it if needed), or does it inline if the
    /// thread cannot take it.
    fn send_open(&mut self) {
        let Some(batch) = self.open.take() else {
            return;
        };
        let Some(last) = batch.items.last().map(|(t, _)| *t) else {
            return;
        };
        if self.jobs.is_none() {
            self.jobs = start();
        }
        let (reply, results) = mpsc::sync_channel(1);
        let job = Job { batch, reply };
        let refused = match &self.jobs {
            Some(jobs) => jobs.send(job).err().map(|e| e.0),
            None => Some(job),
        };
        match refused {
            None => self.sent.push_back((last, results)),
            Some(job) => {
                // The thread is gone (it never exits on its own); the next batch starts another.
                self.jobs = None;
                let Batch { cfg, items } = job.batch;
                for (t, m) in items {
                    let r = prepare_now(&cfg, m);
                    self.arrived(t, r);
                }
            }
        }
    }

    /// Keeps a result until it is taken, unless nobody will take it.
    fn arrived(&mut self, ticket: u64, result: Finished) {
        if !self.forgotten.remove(&ticket) {
            self.done.insert(ticket, result);
        }
    }

    fn take(&mut self, ticket: u64) -> Result<Finished, IngestError> {
        loop {
            if let Some(p) = self.done.remove(&ticket) {
                return Ok(p);
            }
            if self
                .open
                .as_ref()
                .is_some_and(|b| b.items.iter().any(|(t, _)| *t == ticket))
            {
                self.send_open();
                continue;
            }
            // Batches come back in order; once the batch holding the ticket is back without
            // it, its payload panicked on the helper.
            let Some((last, results)) = self.sent.pop_front() else {
                return Err(IngestError::Helper);
            };
            for (t, r) in receive(&results)? {
                self.arrived(t, r);
            }
            if last >= ticket && !self.done.contains_key(&ticket) {
                return Err(IngestError::Helper);
            }
        }
    }
}

/// Waits for a batch's results, answering cancel requests meanwhile.
fn receive(results: &Receiver<Results>) -> Result<Results, IngestError> {
    threads::wait(results).ok_or(IngestError::Helper)
}

/// Starts the helper with all signals blocked ([`threads::with_signals_blocked`]).
fn start() -> Option<Sender<Job>> {
    let (jobs, inbox) = mpsc::channel::<Job>();
    threads::with_signals_blocked(|| {
        std::thread::Builder::new()
            .name("cxone-ingest".into())
            .spawn(move || run(inbox))
    })?
    .ok()?;
    Some(jobs)
}

/// The helper's loop, for the life of the backend. A payload that panics is left out of its
/// batch's results (the waiting statement then fails).
fn run(inbox: Receiver<Job>) {
    while let Ok(Job { batch, reply }) = inbox.recv() {
        let Batch { cfg, items } = batch;
        let mut results = Vec::with_capacity(items.len());
        for (t, m) in items {
            let p = std::panic::catch_unwind(AssertUnwindSafe(|| prepare_now(&cfg, m)));
            if let Ok(p) = p {
                results.push((t, p));
            }
        }
        // Err: nobody waits for it any more.
        let _ = reply.send(results);
    }
}
