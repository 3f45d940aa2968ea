//! The embedding worker: wake on NOTIFY (or poll), claim, embed in batches that respect the
//! provider's limits, write back; retry what can be retried; reconnect when the database goes.

use crate::batch::{plan, ClaimSizer, Item};
use crate::clocks;
use crate::config::Config;
use crate::db;
use crate::provider::Provider;
use crate::queue::{self, Failure, Group};
use crate::request::{embed_with_retries, sleep_or_stop, Answer};
use crate::retry;
use crate::state::State;
use futures_util::stream::{self, StreamExt};
use pgvector::Vector;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_postgres::Client;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `run`: until SIGTERM.
    Forever,
    /// `backfill`: until no row is pending.
    UntilEmpty,
}

pub struct Worker<P> {
    pub cfg: Config,
    pub provider: Arc<P>,
    pub state: Arc<State>,
    pub shutdown: watch::Receiver<bool>,
}

/// A database error ends the connection's loop; the worker reconnects.
type DbResult<T> = Result<T, tokio_postgres::Error>;

/// A write-back sent on the connection and not yet awaited.
struct Write {
    handle: tokio::task::JoinHandle<DbResult<u64>>,
    reused: bool,
}

impl<P: Provider> Worker<P> {
    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    pub async fn run(&mut self, mode: Mode) -> Result<(), String> {
        let url = self.cfg.database_url()?.to_string();
        let mut failures = 0u32;
        while !self.stopping() {
            let mut conn = match db::connect(&url, mode == Mode::Forever).await {
                Ok(c) => c,
                Err(e) => {
                    self.state.ready.store(false, Ordering::SeqCst);
                    failures += 1;
                    let wait = retry::delay(failures, Some(Duration::from_millis(200)));
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "database unavailable");
                    self.sleep_or_stop(wait).await;
                    continue;
                }
            };
            match queue::check_protocol(&conn.client).await {
                Ok(Ok(())) => {}
                // Another extension version will not appear by retrying.
                Ok(Err(incompatible)) => return Err(incompatible),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot check the queue protocol; reconnecting");
                    self.sleep_or_stop(retry::delay(failures.max(1), None))
                        .await;
                    continue;
                }
            }
            failures = 0;
            *self.state.client.write().await = Some(conn.client.clone());
            self.state.ready.store(true, Ordering::SeqCst);
            tracing::info!("connected; listening on {}", db::CHANNEL);
            match self.serve(&mut conn, mode).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    self.state.ready.store(false, Ordering::SeqCst);
                    *self.state.client.write().await = None;
                    tracing::warn!(error = %e, "database error; reconnecting");
                }
            }
        }
        Ok(())
    }

    /// Claims and processes until stopped (Ok) or the connection fails (Err).
    ///
    /// A software pipeline over one connection: while the provider embeds claim k, the
    /// database writes back claim k-1 and claims claim k+1 (with any reusable vectors).
    /// Rows stay leased to this connection throughout, so nothing changes for safety;
    /// at most two claims' write-backs are outstanding, and all of them are awaited before the
    /// worker waits for work, stops or decides the queue is empty.
    async fn serve(&mut self, conn: &mut db::Db, mode: Mode) -> DbResult<()> {
        let client = conn.client.clone();
        let mut sizer = ClaimSizer::new(
            self.cfg.queue.claim_batch,
            self.cfg.provider.requests_in_flight(),
            self.provider.limits(),
        );
        let mut prefetched: Option<Vec<Group>> = None;
        let mut writing: Vec<Write> = Vec::new();
        // Texts sent but not yet written back are sent again after a crash. Each request slot
        // may have one answered batch still being written while its next request goes out;
        // no more (a slow database holds the next request back instead).
        let unwritten = Arc::new(Semaphore::new(2 * self.cfg.provider.requests_in_flight()));
        // The extension's clocks (clocks.rs), at most once per poll interval, busy or idle
        // (a long backfill must not hold back open cases).
        let poll_every = Duration::from_secs(self.cfg.queue.poll_secs.max(1));
        let mut ticked_at: Option<std::time::Instant> = None;
        loop {
            let model = self.provider.model().to_string();
            if ticked_at.is_none_or(|t| t.elapsed() >= poll_every) {
                ticked_at = Some(std::time::Instant::now());
                clocks::tick(&client).await;
            }
            if self.stopping() {
                // Vectors already made are written; rows not yet sent are given back.
                self.finish_writes(&mut writing).await?;
                if let Some(groups) = prefetched.take() {
                    let ids: Vec<Uuid> =
                        groups.iter().flat_map(|g| g.ids.iter().copied()).collect();
                    queue::release(&client, &ids).await?;
                }
                return Ok(());
            }
            let groups = match prefetched.take() {
                Some(c) => c,
                None => self.fetch(&client, sizer.current(), &model).await?,
            };
            if groups.is_empty() {
                sizer.idle();
                self.finish_writes(&mut writing).await?;
                let depth = queue::pending_count(&client, &model).await?;
                if depth == 0 && queue::finish_building(&client, &model).await? {
                    tracing::info!(
                        model,
                        "re-embedding complete: {model} is now the model searches use"
                    );
                }
                metrics::gauge!("cxone_queue_depth").set(depth as f64);
                if mode == Mode::UntilEmpty && depth == 0 {
                    return Ok(());
                }
                let poll = poll_every;
                let mut stop = self.shutdown.clone();
                tokio::select! {
                    n = conn.notified.recv() => {
                        if n.is_none() && mode == Mode::Forever {
                            // The connection task ended: provoke the error that reconnects.
                            client.simple_query("SELECT 1").await?;
                        }
                    }
                    _ = tokio::time::sleep(poll) => {}
                    _ = stop.changed() => {}
                }
                while conn.notified.try_recv().is_ok() {}
                continue;
            }
            let mut earlier = std::mem::take(&mut writing);
            let next_size = sizer.grow();
            let (started, next) = tokio::join!(
                self.process(&client, &unwritten, &groups, &model),
                self.fetch(&client, next_size, &model)
            );
            // Started after the previous claim's writes, so those are (nearly) done by now.
            self.finish_writes(&mut earlier).await?;
            let (started, tokens_per_text) = started?;
            writing = started;
            if let Some(t) = tokens_per_text {
                sizer.observe(t);
            }
            let mut next = next?;
            // The next claim ran before this one's vectors were written: rows with a text this
            // claim has just embedded would be sent again. Rare (the same text in rows claimed
            // one after the other), so then wait for the writes and take the vectors stored.
            let sent: HashSet<&str> = groups
                .iter()
                .filter(|g| g.reuse.is_none())
                .map(|g| g.text.as_str())
                .collect();
            if next
                .iter()
                .any(|g| g.reuse.is_none() && sent.contains(g.text.as_str()))
            {
                self.finish_writes(&mut writing).await?;
                queue::find_reusable(&client, &mut next, &model).await?;
            }
            prefetched = Some(next);
        }
    }

    /// Claims rows (with the vectors `model` already made for any of their texts) and groups
    /// identical texts, which are embedded once.
    async fn fetch(&self, db: &Client, limit: i64, model: &str) -> DbResult<Vec<Group>> {
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let claimed = queue::claim(db, limit, self.cfg.queue.lease_secs, model).await?;
        Ok(queue::group_by_text(claimed))
    }

    /// Embeds a claim; returns its write-backs, started but not awaited, and the mean tokens
    /// of the texts sent.
    async fn process(
        &self,
        db: &Arc<Client>,
        unwritten: &Arc<Semaphore>,
        groups: &[Group],
        model: &str,
    ) -> DbResult<(Vec<Write>, Option<f64>)> {
        let mut writes = Vec::new();
        let (mut ids, mut vectors) = (Vec::new(), Vec::new());
        for g in groups {
            if let Some(v) = &g.reuse {
                ids.extend(g.ids.iter().copied());
                vectors.extend(std::iter::repeat_n(v.clone(), g.ids.len()));
            }
        }
        if !ids.is_empty() {
            writes.push(self.start_write(db, ids, vectors, model, true, None));
        }
        let items: Vec<Item<usize>> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| g.reuse.is_none())
            .map(|(i, g)| Item {
                key: i,
                text: g.text.clone(),
                tokens: self.provider.count_tokens(&g.text),
            })
            .collect();
        let tokens_per_text = (!items.is_empty())
            .then(|| items.iter().map(|i| i.tokens).sum::<usize>() as f64 / items.len() as f64);
        let p = plan(items, &self.provider.limits());
        for (item, why) in p.too_long {
            let n = queue::fail(
                db,
                &groups[item.key].ids,
                &Failure::Permanent(why),
                self.cfg.queue.max_attempts,
            )
            .await?;
            self.count_failed(n);
        }
        let results: Vec<DbResult<Option<Write>>> = stream::iter(p.batches)
            .map(|batch| self.run_batch(db, unwritten, groups, batch, model))
            .buffer_unordered(self.cfg.provider.requests_in_flight())
            .collect()
            .await;
        for r in results {
            writes.extend(r?);
        }
        Ok((writes, tokens_per_text))
    }

    /// Sends a write-back on the connection now (its statement queues behind what is already
    /// sent) and lets the caller go on embedding; `finish_writes` collects the outcome.
    /// `permit` (of the batch's request) is held until the write is done.
    fn start_write(
        &self,
        db: &Arc<Client>,
        ids: Vec<Uuid>,
        vectors: Vec<Vector>,
        model: &str,
        reused: bool,
        permit: Option<OwnedSemaphorePermit>,
    ) -> Write {
        let (db, model) = (db.clone(), model.to_string());
        let handle = tokio::spawn(async move {
            let written = queue::write_back(&db, &ids, vectors, &model).await;
            drop(permit);
            written
        });
        Write { handle, reused }
    }

    /// Awaits write-backs and counts what they wrote; the first database error is returned
    /// (the worker reconnects; rows leased to the old connection are claimable at once).
    async fn finish_writes(&self, writes: &mut Vec<Write>) -> DbResult<()> {
        let mut first_error = None;
        for w in writes.drain(..) {
            match w.handle.await {
                Ok(Ok(n)) => {
                    if w.reused {
                        metrics::counter!("cxone_reused_total").increment(n);
                    }
                    self.count_embedded(n);
                }
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => tracing::error!(error = %e, "write-back task failed"),
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// One provider request with its retries, then the write-back (started, not awaited) or
    /// the failure.
    async fn run_batch(
        &self,
        db: &Arc<Client>,
        unwritten: &Arc<Semaphore>,
        groups: &[Group],
        batch: Vec<Item<usize>>,
        model: &str,
    ) -> DbResult<Option<Write>> {
        // Never closed, so acquiring only waits.
        let permit = unwritten.clone().acquire_owned().await.ok();
        let ids: Vec<Uuid> = batch
            .iter()
            .flat_map(|i| groups[i.key].ids.iter().copied())
            .collect();
        metrics::histogram!("cxone_batch_size").record(batch.len() as f64);
        let inputs: Vec<String> = batch.iter().map(|i| i.text.clone()).collect();
        let tries = self.cfg.provider.request_retries;
        let failure = match embed_with_retries(&*self.provider, inputs, tries, &self.shutdown).await
        {
            Answer::Vectors(vectors) => {
                let mut all = Vec::with_capacity(ids.len());
                for (item, v) in batch.iter().zip(vectors) {
                    let n = groups[item.key].ids.len();
                    all.extend(std::iter::repeat_n(Vector::from(v), n));
                }
                return Ok(Some(self.start_write(db, ids, all, model, false, permit)));
            }
            Answer::Stopped => {
                queue::release(db, &ids).await?;
                return Ok(None);
            }
            Answer::Failed(failure) => failure,
        };
        if let Failure::Permanent(why) = &failure {
            tracing::warn!(rows = ids.len(), reason = %why, "rows failed");
        }
        let n = queue::fail(db, &ids, &failure, self.cfg.queue.max_attempts).await?;
        self.count_failed(n);
        Ok(None)
    }

    fn count_embedded(&self, n: u64) {
        metrics::counter!("cxone_embedded_total").increment(n);
        self.state.embedded.fetch_add(n, Ordering::Relaxed);
    }

    fn count_failed(&self, n: u64) {
        metrics::counter!("cxone_failed_total").increment(n);
        self.state.failed.fetch_add(n, Ordering::Relaxed);
    }

    /// Sleeps, or returns false early when shutdown starts.
    async fn sleep_or_stop(&self, d: Duration) -> bool {
        sleep_or_stop(d, &self.shutdown).await
    }
}
