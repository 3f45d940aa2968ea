//! Embedding providers: the local model (default) and OpenAI-compatible APIs.

mod api;
pub mod local;
pub mod openai;

pub use api::{EmbedError, Provider};

use crate::batch::Limits;
use crate::config::{ProviderConfig, ProviderKind};
use tokio::sync::Semaphore;

/// The configured provider, with its in-flight limit: at most `CXONE_REQUESTS_IN_FLIGHT`
/// calls at once, whoever makes them (the worker's batches and `POST /v1/embeddings` share the
/// one semaphore, so search traffic never adds to what the provider is sent). Waiters are
/// served in arrival order.
pub struct AnyProvider {
    model: Model,
    in_flight: Semaphore,
}

enum Model {
    Local(local::LocalProvider),
    OpenAi(openai::OpenAiProvider),
}

impl AnyProvider {
    pub fn from_config(cfg: &ProviderConfig) -> Result<Self, String> {
        let model = match cfg.provider {
            ProviderKind::Local => Model::Local(local::LocalProvider::load(cfg)?),
            ProviderKind::Openai => Model::OpenAi(openai::OpenAiProvider::new(cfg)?),
        };
        Ok(AnyProvider {
            model,
            in_flight: Semaphore::new(cfg.requests_in_flight()),
        })
    }
}

impl Provider for AnyProvider {
    fn model(&self) -> &str {
        match &self.model {
            Model::Local(p) => p.model(),
            Model::OpenAi(p) => p.model(),
        }
    }
    fn dimensions(&self) -> Option<usize> {
        match &self.model {
            Model::Local(p) => p.dimensions(),
            Model::OpenAi(p) => p.dimensions(),
        }
    }
    fn limits(&self) -> Limits {
        match &self.model {
            Model::Local(p) => p.limits(),
            Model::OpenAi(p) => p.limits(),
        }
    }
    fn count_tokens(&self, text: &str) -> usize {
        match &self.model {
            Model::Local(p) => p.count_tokens(text),
            Model::OpenAi(p) => p.count_tokens(text),
        }
    }
    async fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Never closed, so acquiring only waits.
        let _slot = self.in_flight.acquire().await;
        match &self.model {
            Model::Local(p) => p.embed(inputs).await,
            Model::OpenAi(p) => p.embed(inputs).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::{Json, Router};
    use clap::Parser;
    use serde_json::{json, Value};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// An OpenAI-compatible server that answers after 100 ms and records the most requests it
    /// ever had open at once.
    async fn slow_api() -> (String, Arc<AtomicUsize>) {
        let (open, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let p = peak.clone();
        let app = Router::new().route(
            "/embeddings",
            post(move |Json(req): Json<Value>| {
                let (open, peak) = (open.clone(), p.clone());
                async move {
                    let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    open.fetch_sub(1, Ordering::SeqCst);
                    let n = req["input"].as_array().map_or(1, Vec::len);
                    let data: Vec<Value> = (0..n)
                        .map(|i| json!({"index": i, "embedding": [0.6, 0.8]}))
                        .collect();
                    Json(json!({"data": data}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), peak)
    }

    #[tokio::test]
    async fn every_caller_shares_the_in_flight_limit() {
        let (url, peak) = slow_api().await;
        let cli = crate::cli::Cli::parse_from([
            "cxone-sidecar",
            "--provider",
            "openai",
            "--openai-base-url",
            &url,
            "--openai-model",
            "tiny",
            "--requests-in-flight",
            "2",
            "run",
        ]);
        let provider = Arc::new(AnyProvider::from_config(&cli.config.provider).unwrap());
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let p = provider.clone();
                tokio::spawn(async move { p.embed(vec![format!("text {i}")]).await })
            })
            .collect();
        for c in calls {
            assert_eq!(c.await.unwrap().unwrap(), vec![vec![0.6, 0.8]]);
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
