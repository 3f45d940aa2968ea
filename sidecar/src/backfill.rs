//! `cxone-sidecar backfill`: embeds everything pending now with a progress bar, and exits when
//! the queue is empty. With `--defer-index`, the model's HNSW index is set aside meanwhile and
//! built once at the end.

use crate::config::Config;
use crate::db;
use crate::progress;
use crate::queue;
use crate::startup;
use crate::state::State;
use crate::worker::{Mode, Worker};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub async fn run(cfg: Config, defer: bool) -> Result<(), String> {
    let started = startup::start(&cfg)?;
    let model = started.model;
    if defer {
        defer_index(&cfg, &model).await?;
    }
    let url = cfg.database_url()?.to_string();
    let stop = startup::stop_on_signal();
    let state = Arc::new(State::default());
    let total = pending_total(&url, &model).await;
    let progress = progress::spawn(state.clone(), total);
    let mut worker = Worker {
        cfg,
        provider: started.provider,
        state: state.clone(),
        shutdown: stop,
    };
    let result = worker.run(Mode::UntilEmpty).await;
    progress.abort();
    eprintln!(
        "\rdone: embedded {} rows, {} failed{}",
        state.embedded.load(Ordering::Relaxed),
        state.failed.load(Ordering::Relaxed),
        " ".repeat(30)
    );
    if !defer {
        return result;
    }
    match (result, restore_index(&url, &model).await) {
        (Ok(()), restored) => restored,
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(r)) => Err(format!("{e}; and {r}")),
    }
}

/// Sets the model's HNSW index aside before the backfill.
async fn defer_index(cfg: &Config, model: &str) -> Result<(), String> {
    let db = db::connect(cfg.database_url()?, false).await?;
    let deferred: i32 = db
        .client
        .query_one("SELECT cxone_index_defer($1)", &[&model])
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| format!("cannot set the HNSW index of {model} aside: {e}"))?;
    tracing::info!(
        model,
        indexes = deferred,
        "HNSW index set aside for the backfill"
    );
    Ok(())
}

/// ... and builds it again afterwards, also when the backfill failed (an interrupted process
/// leaves it aside: the next run, or cxone_index_restore, restores it).
async fn restore_index(url: &str, model: &str) -> Result<(), String> {
    let t = std::time::Instant::now();
    eprintln!("building the HNSW index of {model} ...");
    let restore = async {
        let db = db::connect(url, false).await?;
        db.client
            .query_one("SELECT cxone_index_restore($1)", &[&model])
            .await
            .and_then(|r| r.try_get::<_, i32>(0))
            .map_err(|e| e.to_string())
    };
    let restored = restore.await.map_err(|e| {
        format!("the HNSW index of {model} could not be rebuilt: {e}; run SELECT cxone_index_restore('{model}')")
    })?;
    eprintln!(
        "built {restored} index(es) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Rows pending for the model now: the progress bar's 100% (0 when the database cannot say;
/// the bar then counts up to what is done).
async fn pending_total(url: &str, model: &str) -> u64 {
    match db::connect(url, false).await {
        Ok(c) => queue::pending_count(&c.client, model)
            .await
            .map_or(0, |n| n.max(0) as u64),
        Err(_) => 0,
    }
}
