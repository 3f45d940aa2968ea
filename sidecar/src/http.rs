//! The sidecar's HTTP server: `POST /v1/webhooks/cxone` (CXone events in), `POST /v1/embeddings`
//! (OpenAI-compatible, serving the configured provider: SQL's cxone_embed calls it),
//! `/healthz` (the process is up), `/readyz` (the database answers), `/metrics` (Prometheus).

use crate::provider::{AnyProvider, EmbedError, Provider};
use crate::webhook::{split_events, WebhookAuth};
use crate::worker::State;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State as Extract};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub worker: Arc<State>,
    pub metrics: Option<PrometheusHandle>,
    pub provider: Option<Arc<AnyProvider>>,
    pub webhook: Arc<WebhookAuth>,
}

pub fn app(state: AppState, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/webhooks/cxone", post(webhook))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// An error in OpenAI's shape, which clients of both endpoints understand.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({"error": {"message": message.into()}}))).into_response()
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

#[derive(Deserialize)]
struct EmbeddingsRequest {
    #[serde(default)]
    model: Option<String>,
    input: Input,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Input {
    One(String),
    Many(Vec<String>),
}

async fn embeddings(Extract(s): Extract<AppState>, body: Bytes) -> Response {
    let Some(provider) = s.provider else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "no provider loaded");
    };
    let req: EmbeddingsRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid request: {e}")),
    };
    if let Some(m) = req.model.as_deref().filter(|m| *m != provider.model()) {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "this sidecar serves model {}, not {m}; point cxone.embeddings_url at a sidecar or API that serves {m}",
                provider.model()
            ),
        );
    }
    let inputs = match req.input {
        Input::One(s) => vec![s],
        Input::Many(v) => v,
    };
    let limits = provider.limits();
    if inputs.is_empty() || inputs.len() > limits.max_inputs.max(2048) {
        return error(
            StatusCode::BAD_REQUEST,
            "'input' must have between 1 and 2048 items",
        );
    }
    let tokens: usize = inputs.iter().map(|t| provider.count_tokens(t)).sum();
    match provider.embed(inputs).await {
        Ok(vectors) => {
            let data: Vec<Value> = vectors
                .into_iter()
                .enumerate()
                .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
                .collect();
            Json(json!({
                "object": "list", "data": data, "model": provider.model(),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
            }))
            .into_response()
        }
        Err(EmbedError::Retryable { message, .. }) => {
            error(StatusCode::SERVICE_UNAVAILABLE, message)
        }
        Err(EmbedError::Permanent(message)) => error(StatusCode::BAD_GATEWAY, message),
    }
}

async fn webhook(Extract(s): Extract<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json_type {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json",
        );
    }
    if let Err((status, message)) = s.webhook.verify(&headers, &body) {
        metrics::counter!("cxone_webhook_refused_total").increment(1);
        return error(status, message);
    }
    let events = match split_events(&body) {
        Ok(e) => e,
        Err((status, message)) => return error(status, message),
    };
    let Some(db) = s.worker.ingest.read().await.clone() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable; retry later",
        );
    };
    // One statement, autocommitted: the reply is sent only after the commit. Replays and
    // payloads superseded on arrival get their outcome when the statement ends (after
    // RETURNING is computed), so the outcomes are read back once it has committed.
    let rows = match db
        .query(
            "INSERT INTO cxone_payloads (source, payload)
             SELECT 'webhook', p::json FROM unnest($1::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n
             RETURNING id",
            &[&events],
        )
        .await
    {
        Ok(ids) => {
            let ids: Vec<i64> = ids.iter().map(|r| r.get(0)).collect();
            db.query(
                "SELECT p.id, p.outcome, p.reason FROM unnest($1::int8[]) WITH ORDINALITY AS t(id, n)
                   JOIN cxone_payloads p ON p.id = t.id ORDER BY t.n",
                &[&ids],
            )
            .await
        }
        Err(e) => Err(e),
    };
    match rows {
        Ok(rows) => {
            metrics::counter!("cxone_webhook_events_total").increment(rows.len() as u64);
            let payloads: Vec<Value> = rows
                .iter()
                .map(|r| json!({"id": r.get::<_, i64>(0), "outcome": r.get::<_, Option<String>>(1), "reason": r.get::<_, Option<String>>(2)}))
                .collect();
            (
                StatusCode::OK,
                Json(json!({"received": payloads.len(), "payloads": payloads})),
            )
                .into_response()
        }
        // Class 22 (data exception): PostgreSQL refuses the body as json. The client must fix
        // it; retrying will not help.
        Err(e) if e.code().is_some_and(|c| c.code().starts_with("22")) => error(
            StatusCode::BAD_REQUEST,
            format!(
                "invalid JSON: {}",
                e.as_db_error()
                    .map_or(String::new(), |d| d.message().to_string())
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "webhook insert failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the events; retry later",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use clap::Parser;
    use tower::ServiceExt;

    fn state(args: &[&str]) -> AppState {
        let mut all = vec!["cxone-sidecar"];
        all.extend_from_slice(args);
        all.push("run");
        let cli = crate::cli::Cli::parse_from(all);
        AppState {
            worker: Arc::new(State::default()),
            metrics: None,
            provider: None,
            webhook: Arc::new(WebhookAuth::new(&cli.config)),
        }
    }

    async fn call(app: Router, req: Request<Body>) -> StatusCode {
        app.oneshot(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn health_is_ok_and_readiness_needs_the_database() {
        let s = state(&[]);
        assert_eq!(
            call(
                app(s.clone(), 1024),
                Request::get("/healthz").body(Body::empty()).unwrap()
            )
            .await,
            StatusCode::OK
        );
        assert_eq!(
            call(
                app(s, 1024),
                Request::get("/readyz").body(Body::empty()).unwrap()
            )
            .await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn webhook_refuses_wrong_type_size_auth_and_json() {
        let s = state(&["--webhook-token", "tok"]);
        let post = |ct: &str, auth: &str, body: &'static str| {
            Request::post("/v1/webhooks/cxone")
                .header("content-type", ct)
                .header("authorization", auth)
                .body(Body::from(body))
                .unwrap()
        };
        assert_eq!(
            call(app(s.clone(), 1024), post("text/plain", "Bearer tok", "{}")).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            call(
                app(s.clone(), 1024),
                post("application/json", "Bearer no", "{}")
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            call(
                app(s.clone(), 1024),
                post("application/json", "Bearer tok", "{nope")
            )
            .await,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            call(
                app(s.clone(), 8),
                post("application/json", "Bearer tok", "{\"a\": \"long body\"}")
            )
            .await,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        // Valid, but no database yet: 503, so the sender retries.
        assert_eq!(
            call(
                app(s, 1024),
                post("application/json; charset=utf-8", "Bearer tok", "{}")
            )
            .await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
