//! `cxone-sidecar`: the thin process beside PostgreSQL that does what a database backend should
//! not: long HTTP calls to an embedding model, and receiving CXone webhooks.
//!
//! `cli` (settings), `worker` (claim → embed → write back), `queue` (the SQL of claiming),
//! `batch` (batch sizing), `retry` (backoff), `provider/` (local model, OpenAI-compatible),
//! `db` and `pg_tls` (the database connection, TLS as DATABASE_URL asks), `http` (the routes),
//! `embeddings` (`POST /v1/embeddings`), `webhook` (webhook checks), `bearer` (bearer keys),
//! `body` (request body limits), `reply` (error replies), `serve` (listener bounds),
//! `cxone_auth` (CXone tokens), `check`.

/// mimalloc: candle's per-batch tensors of varying shapes fragmented glibc's heap (peak RSS
/// grew with the number of batches served), and it is faster for the many small allocations of
/// JSON decoding.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod batch;
mod bearer;
mod body;
mod check;
mod cli;
mod config;
mod cxone_auth;
mod db;
mod embeddings;
mod http;
mod http_error;
mod payloads;
mod pg_tls;
mod progress;
mod provider;
mod queue;
mod retry;
#[cfg(test)]
mod route_test;
mod serve;
mod state;
mod webhook;
mod webhook_auth;
mod worker;

use clap::Parser;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use provider::AnyProvider;
use state::State;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use worker::{Mode, Worker};

fn main() -> ExitCode {
    // .env first; variables already in the environment win.
    let _ = dotenvy::dotenv();
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(std::env::var("CXONE_LOG").ok().as_deref()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cxone-sidecar: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            cli::Command::Check => check::run(&cli.config).await,
            cli::Command::Run => run(cli.config, Mode::Forever, false).await,
            cli::Command::Backfill { defer_index } => {
                run(cli.config, Mode::UntilEmpty, defer_index).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cxone-sidecar: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Crates whose debug output carries customer data: tokio-postgres logs every statement's
/// parameters (payloads, conversation text). They stay at `info` whatever CXONE_LOG says.
const QUIET: &[&str] = &["tokio_postgres", "postgres_protocol"];

/// CXONE_LOG (default `info`) with the QUIET crates capped.
fn log_filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    let mut directives: Vec<String> = spec
        .unwrap_or("info")
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !QUIET.iter().any(|q| d.starts_with(q)))
        .map(String::from)
        .collect();
    directives.extend(QUIET.iter().map(|q| format!("{q}=info")));
    tracing_subscriber::EnvFilter::try_new(directives.join(",")).unwrap_or_else(|e| {
        eprintln!("cxone-sidecar: CXONE_LOG is not a valid filter ({e}); using info");
        tracing_subscriber::EnvFilter::new(
            QUIET
                .iter()
                .fold("info".to_string(), |s, q| s + "," + q + "=info"),
        )
    })
}

async fn run(cfg: config::Config, mode: Mode, defer: bool) -> Result<(), String> {
    cfg.database_url()?;
    let metrics = PrometheusBuilder::new()
        .set_buckets(&[
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ])
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;
    let provider = Arc::new(AnyProvider::from_config(&cfg.provider)?);
    let model = provider::Provider::model(&*provider).to_string();
    tracing::info!(provider = ?cfg.provider.provider, model, "starting");
    if defer {
        defer_index(&cfg, &model).await?;
    }
    let url = cfg.database_url()?.to_string();
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: no new claims; finishing the batches in flight");
        let _ = stop_tx.send(true);
    });
    let state = Arc::new(State::default());
    let servers = if mode == Mode::Forever {
        let servers = serve_http(&cfg, &state, metrics, &provider, &stop_rx).await?;
        tokio::spawn(db::keep_connected(
            cfg.database_url()?.to_string(),
            state.clone(),
            stop_rx.clone(),
        ));
        servers
    } else {
        Vec::new()
    };
    let progress = if mode == Mode::UntilEmpty {
        let total = pending_total(&cfg, provider::Provider::model(&*provider)).await;
        Some(progress::spawn(state.clone(), total))
    } else {
        None
    };
    let mut worker = Worker {
        cfg,
        provider,
        state: state.clone(),
        shutdown: stop_rx,
    };
    let mut result = worker.run(mode).await;
    if let Some(p) = progress {
        p.abort();
        eprintln!(
            "\rdone: embedded {} rows, {} failed{}",
            state.embedded.load(Ordering::Relaxed),
            state.failed.load(Ordering::Relaxed),
            " ".repeat(30)
        );
    }
    for s in servers {
        let _ = s.await;
    }
    if defer {
        result = match (result, restore_index(&url, &model).await) {
            (Ok(()), restored) => restored,
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(r)) => Err(format!("{e}; and {r}")),
        };
    }
    result
}

/// Binds the HTTP listeners (the internal one, and the webhooks' own when CXONE_WEBHOOK_ADDR
/// differs from CXONE_HTTP_ADDR) and serves them until `stop`.
async fn serve_http(
    cfg: &config::Config,
    state: &Arc<State>,
    metrics: PrometheusHandle,
    provider: &Arc<AnyProvider>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let http = http::Http::new(cfg, state.clone(), Some(metrics), Some(provider.clone()))?;
    if !http.embeddings_enabled() {
        tracing::warn!("POST /v1/embeddings answers 503 (so cxone_search cannot embed queries) until CXONE_EMBEDDINGS_API_KEY or CXONE_EMBEDDINGS_API_KEY_FILE is set");
    }
    let limits = serve::Limits {
        max_connections: cfg.http.http_max_connections,
        header_timeout: Duration::from_secs(cfg.http.http_header_timeout_secs.max(1)),
        write_timeout: Duration::from_secs(cfg.http.http_write_timeout_secs.max(1)),
    };
    let routes = match cfg.http.webhook_addr.filter(|a| *a != cfg.http.http_addr) {
        None => vec![(cfg.http.http_addr, "CXONE_HTTP_ADDR", http.app())],
        Some(hooks) => vec![
            (cfg.http.http_addr, "CXONE_HTTP_ADDR", http.internal()),
            (hooks, "CXONE_WEBHOOK_ADDR", http.webhooks()),
        ],
    };
    let mut listeners = Vec::new();
    for (addr, setting, app) in routes {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} ({setting}): {e}"))?;
        tracing::info!(%addr, setting, "HTTP server listening");
        listeners.push((listener, app));
    }
    Ok(listeners
        .into_iter()
        .map(|(listener, app)| tokio::spawn(serve::serve(listener, app, limits, stop.clone())))
        .collect())
}

/// `backfill --defer-index`: sets the model's HNSW index aside before the backfill.
async fn defer_index(cfg: &config::Config, model: &str) -> Result<(), String> {
    let db = db::connect(cfg.database_url()?, false).await?;
    let deferred: i32 = db
        .client
        .query_one("SELECT cxone_index_defer($1)", &[&model])
        .await
        .map_err(|e| format!("cannot set the HNSW index of {model} aside: {e}"))?
        .get(0);
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
            .map(|r| r.get::<_, i32>(0))
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

/// Rows pending for the model now: the backfill's 100%.
async fn pending_total(cfg: &config::Config, model: &str) -> u64 {
    let Ok(url) = cfg.database_url() else {
        return 0;
    };
    match db::connect(url, false).await {
        Ok(c) => queue::pending_count(&c.client, model)
            .await
            .map_or(0, |n| n.max(0) as u64),
        Err(_) => 0,
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
