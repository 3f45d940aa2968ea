//! The sidecar's HTTP server: `/healthz` (the process is up), `/readyz` (the database answers),
//! `/metrics` (Prometheus text).

use crate::worker::State;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub worker: Arc<State>,
    pub metrics: Option<PrometheusHandle>,
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn readyz(Extract(s): Extract<AppState>) -> impl IntoResponse {
    let client = s.worker.client.read().await.clone();
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

async fn metrics(Extract(s): Extract<AppState>) -> impl IntoResponse {
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
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[tokio::test]
    async fn health_is_ok_and_readiness_needs_the_database() {
        let state = AppState {
            worker: Arc::new(State::default()),
            metrics: None,
        };
        let r = app(state.clone())
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r = app(state)
            .oneshot(Request::get("/readyz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
