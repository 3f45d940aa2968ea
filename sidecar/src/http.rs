//! The sidecar's HTTP routes, put together: `POST /v1/webhooks/cxone` (webhook.rs),
//! `POST /v1/embeddings` (embeddings.rs), `/healthz` (the process is up), `/readyz` (the
//! database answers), `/metrics` (Prometheus). The webhook route can have a listener of its own
//! (`Http::webhooks`) while the rest stay on the internal one (`Http::internal`).

use crate::body::BodyLimit;
use crate::config::Config;
use crate::embeddings::{self, Embeddings};
use crate::provider::AnyProvider;
use crate::state::State as Shared;
use crate::webhook;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;

/// What `/readyz` and `/metrics` read.
#[derive(Clone)]
struct Internal {
    shared: Arc<Shared>,
    metrics: Option<PrometheusHandle>,
}

/// Everything the routes serve, and the bounds of their request bodies.
pub struct Http {
    internal: Internal,
    embeddings: Arc<Embeddings>,
    embeddings_body: BodyLimit,
    webhooks: Router,
}

impl Http {
    /// Fails when the embeddings key is misconfigured (an unreadable key file, say).
    pub fn new(
        cfg: &Config,
        shared: Arc<Shared>,
        metrics: Option<PrometheusHandle>,
        provider: Option<Arc<AnyProvider>>,
    ) -> Result<Http, String> {
        Ok(Http {
            webhooks: webhook::route(cfg, shared.clone()),
            internal: Internal { shared, metrics },
            embeddings: Arc::new(Embeddings {
                provider,
                key: cfg.embeddings.api_key()?,
                max_inputs: cfg.embeddings.embeddings_max_inputs.max(1),
            }),
            embeddings_body: BodyLimit {
                max_bytes: cfg.embeddings.embeddings_max_bytes,
                timeout: cfg.http.body_timeout(),
                setting: "CXONE_EMBEDDINGS_MAX_BYTES",
            },
        })
    }

    /// Whether POST /v1/embeddings has a key (without one it answers 503).
    pub fn embeddings_enabled(&self) -> bool {
        self.embeddings.key.is_some()
    }

    /// The internal endpoints: embeddings, health, readiness, metrics.
    pub fn internal(&self) -> Router {
        Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics))
            .with_state(self.internal.clone())
            .merge(embeddings::route(
                self.embeddings.clone(),
                self.embeddings_body,
            ))
    }

    /// The webhook route alone.
    pub fn webhooks(&self) -> Router {
        self.webhooks.clone()
    }

    /// Both, on one listener.
    pub fn app(&self) -> Router {
        self.internal().merge(self.webhooks())
    }
}

/// Ready when the worker's connection answers and the webhooks' own connection is up (a
/// webhook that came in before it would be answered 503).
async fn readyz(State(s): State<Internal>) -> impl IntoResponse {
    let client = match s.shared.ingest.read().await.is_some() {
        true => s.shared.client.read().await.clone(),
        false => None,
    };
    let reachable = match client {
        Some(c) => matches!(
            tokio::time::timeout(Duration::from_secs(2), c.simple_query("SELECT 1")).await,
            Ok(Ok(_))
        ),
        None => false,
    };
    if reachable {
        (StatusCode::OK, "ready: database reachable\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: database unreachable, reconnecting\n",
        )
    }
}

async fn metrics(State(s): State<Internal>) -> impl IntoResponse {
    match s.metrics {
        Some(h) => (StatusCode::OK, h.render()),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are not enabled\n".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route_test::{call, get, post};
    use axum::body::Body;

    fn http(args: &[&str]) -> Http {
        let cfg = crate::cli::config(args);
        Http::new(&cfg, Arc::new(Shared::default()), None, None).unwrap()
    }

    #[tokio::test]
    async fn health_is_ok_and_readiness_needs_the_database() {
        let h = http(&[]);
        assert_eq!(call(h.app(), get("/healthz")).await.0, StatusCode::OK);
        assert_eq!(
            call(h.app(), get("/readyz")).await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn a_separate_webhook_listener_serves_only_webhooks() {
        let h = http(&["--webhook-token", "tok"]);
        let hook = || {
            post(
                "/v1/webhooks/cxone",
                &[
                    ("content-type", "application/json"),
                    ("authorization", "Bearer no"),
                ],
                Body::from("{}"),
            )
        };
        for path in ["/healthz", "/readyz", "/metrics"] {
            assert_eq!(
                call(h.webhooks(), get(path)).await.0,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let embed = post("/v1/embeddings", &[], Body::from("{}"));
        assert_eq!(call(h.webhooks(), embed).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(h.webhooks(), hook()).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(call(h.internal(), hook()).await.0, StatusCode::NOT_FOUND);
        assert_eq!(call(h.internal(), get("/healthz")).await.0, StatusCode::OK);
    }
}
