//! What `run` and `backfill` both start with: the metrics recorder, the provider, and a stop
//! signal on SIGTERM or Ctrl-C.

use crate::config::Config;
use crate::provider::{AnyProvider, Provider};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::Arc;
use tokio::sync::watch;

pub struct Started {
    pub provider: Arc<AnyProvider>,
    /// The model's name, as `conversation_embeddings.model` records it.
    pub model: String,
    /// What `/metrics` renders.
    pub metrics: PrometheusHandle,
}

/// Checks that a database is configured, installs the metrics recorder and loads the provider.
pub fn start(cfg: &Config) -> Result<Started, String> {
    cfg.database_url()?;
    let metrics = PrometheusBuilder::new()
        .set_buckets(&[
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ])
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("metrics: {e}"))?;
    let provider = Arc::new(AnyProvider::from_config(&cfg.provider)?);
    let model = provider.model().to_string();
    tracing::info!(provider = ?cfg.provider.provider, model, "starting");
    Ok(Started {
        provider,
        model,
        metrics,
    })
}

/// Turns true on SIGTERM or Ctrl-C: the worker claims nothing more and finishes what it has.
pub fn stop_on_signal() -> watch::Receiver<bool> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: no new claims; finishing the batches in flight");
        let _ = stop_tx.send(true);
    });
    stop_rx
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
