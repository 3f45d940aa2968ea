//! The embedding worker: wake on NOTIFY (or poll), claim, embed in batches that respect the
//! provider's limits, write back; retry what can be retried; reconnect when the database goes.

use crate::batch::{plan, Item};
use crate::cli::Config;
use crate::db;
use crate::provider::{EmbedError, Provider};
use crate::queue::{self, Claimed};
use crate::retry;
use futures_util::stream::{self, StreamExt};
use pgvector::Vector;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, RwLock};
use tokio_postgres::Client;
use uuid::Uuid;

/// What the HTTP server reads: readiness and the current connection.
#[derive(Default)]
pub struct State {
    pub ready: AtomicBool,
    pub client: RwLock<Option<Arc<Client>>>,
    /// A second connection for webhook INSERTs, so that receiving never queues behind the
    /// worker's claims and write-backs (see db::keep_connected).
    pub ingest: RwLock<Option<Arc<Client>>>,
    pub embedded: AtomicU64,
    pub failed: AtomicU64,
}

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
    async fn serve(&mut self, conn: &mut db::Db, mode: Mode) -> DbResult<()> {
        let client = conn.client.clone();
        let limits = self.provider.limits();
        let claim_size = self
            .cfg
            .claim_batch
            .min(
                (limits
                    .max_inputs
                    .saturating_mul(self.cfg.requests_in_flight())) as i64,
            )
            .max(1);
        // The next claim, made while the current one is embedded and written back, so the
        // database and the provider are not idle in turn.
        let mut prefetched: Option<Vec<Claimed>> = None;
        loop {
            let model = self.provider.model().to_string();
            if self.stopping() {
                if let Some(rows) = prefetched.take() {
                    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
                    queue::release(&client, &ids).await?;
                }
                return Ok(());
            }
            let claimed = match prefetched.take() {
                Some(rows) => rows,
                None => queue::claim(&client, claim_size, self.cfg.lease_secs, &model).await?,
            };
            if claimed.is_empty() {
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
                let poll = Duration::from_secs(self.cfg.poll_secs.max(1));
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
            let (done, next) = tokio::join!(
                self.process(&client, claimed),
                queue::claim(&client, claim_size, self.cfg.lease_secs, &model)
            );
            done?;
            prefetched = Some(next?);
        }
    }

    async fn process(&self, db: &Client, claimed: Vec<Claimed>) -> DbResult<()> {
        let model = self.provider.model().to_string();
        // Identical texts are embedded once: group ids by text.
        let mut groups: Vec<(String, Vec<Uuid>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for c in claimed {
            match index.get(&c.text) {
                Some(&i) => groups[i].1.push(c.id),
                None => {
                    index.insert(c.text.clone(), groups.len());
                    groups.push((c.text, vec![c.id]));
                }
            }
        }
        let texts: Vec<String> = groups.iter().map(|(t, _)| t.clone()).collect();
        let reused: HashMap<String, Vector> = queue::reusable(db, &model, &texts)
            .await?
            .into_iter()
            .collect();
        if !reused.is_empty() {
            let (mut ids, mut vectors) = (Vec::new(), Vec::new());
            for (text, group) in &groups {
                if let Some(v) = reused.get(text) {
                    ids.extend(group.iter().copied());
                    vectors.extend(std::iter::repeat_n(v.clone(), group.len()));
                }
            }
            let n = queue::write_back(db, &ids, vectors, &model).await?;
            metrics::counter!("cxone_reused_total").increment(n);
            self.count_embedded(n);
        }
        let items: Vec<Item<usize>> = groups
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| !reused.contains_key(t))
            .map(|(i, (t, _))| Item {
                key: i,
                text: t.clone(),
                tokens: self.provider.count_tokens(t),
            })
            .collect();
        let p = plan(items, &self.provider.limits());
        for (item, why) in p.too_long {
            let n = queue::fail(
                db,
                &groups[item.key].1,
                &why,
                true,
                self.cfg.max_attempts,
                0.0,
            )
            .await?;
            self.count_failed(n);
        }
        let groups = &groups;
        let results: Vec<DbResult<()>> = stream::iter(p.batches)
            .map(|batch| self.run_batch(db, groups, batch, &model))
            .buffer_unordered(self.cfg.requests_in_flight())
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// One provider request with its retries, then the write-back or the failure.
    async fn run_batch(
        &self,
        db: &Client,
        groups: &[(String, Vec<Uuid>)],
        batch: Vec<Item<usize>>,
        model: &str,
    ) -> DbResult<()> {
        let ids: Vec<Uuid> = batch
            .iter()
            .flat_map(|i| groups[i.key].1.iter().copied())
            .collect();
        metrics::histogram!("cxone_batch_size").record(batch.len() as f64);
        let inputs: Vec<String> = batch.iter().map(|i| i.text.clone()).collect();
        let tries = self.cfg.request_retries.max(1);
        let mut last = String::new();
        let mut wait = Duration::ZERO;
        for attempt in 1..=tries {
            let started = Instant::now();
            let result = self.provider.embed(inputs.clone()).await;
            metrics::histogram!("cxone_provider_latency_seconds")
                .record(started.elapsed().as_secs_f64());
            match result.and_then(|v| self.check_dimensions(v, inputs.len())) {
                Ok(vectors) => {
                    let mut all = Vec::with_capacity(ids.len());
                    for (item, v) in batch.iter().zip(vectors) {
                        let n = groups[item.key].1.len();
                        all.extend(std::iter::repeat_n(Vector::from(v), n));
                    }
                    let n = queue::write_back(db, &ids, all, model).await?;
                    self.count_embedded(n);
                    return Ok(());
                }
                Err(EmbedError::Permanent(why)) => {
                    tracing::warn!(rows = ids.len(), reason = %why, "rows failed");
                    let n = queue::fail(db, &ids, &why, true, self.cfg.max_attempts, 0.0).await?;
                    self.count_failed(n);
                    return Ok(());
                }
                Err(EmbedError::Retryable {
                    message,
                    retry_after,
                    rate_limited,
                }) => {
                    metrics::counter!("cxone_retries_total").increment(1);
                    if rate_limited {
                        metrics::counter!("cxone_provider_429_total").increment(1);
                    }
                    wait = retry::delay(attempt, retry_after);
                    tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %message, "provider request will be retried");
                    last = message;
                    if attempt == tries {
                        break;
                    }
                    if !self.sleep_or_stop(wait).await {
                        queue::release(db, &ids).await?;
                        return Ok(());
                    }
                }
            }
        }
        let n = queue::fail(
            db,
            &ids,
            &last,
            false,
            self.cfg.max_attempts,
            wait.as_secs_f64(),
        )
        .await?;
        self.count_failed(n);
        Ok(())
    }

    fn check_dimensions(
        &self,
        vectors: Vec<Vec<f32>>,
        n: usize,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if vectors.len() != n {
            return Err(EmbedError::Retryable {
                message: format!("provider returned {} vectors for {n} inputs", vectors.len()),
                retry_after: None,
                rate_limited: false,
            });
        }
        if let (Some(want), Some(v)) = (
            self.provider.dimensions(),
            vectors
                .iter()
                .find(|v| Some(v.len()) != self.provider.dimensions()),
        ) {
            return Err(EmbedError::Permanent(format!(
                "dimension mismatch: {} returned {} dimensions, expected {want}",
                self.provider.model(),
                v.len()
            )));
        }
        Ok(vectors)
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
        let mut stop = self.shutdown.clone();
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = stop.changed() => false,
        }
    }
}
