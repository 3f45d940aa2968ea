//! The sidecar's HTTP routes: `POST /v1/webhooks/cxone` (CXone events in), `POST /v1/embeddings`
//! (embeddings.rs), `/healthz` (the process is up), `/readyz` (the database answers),
//! `/metrics` (Prometheus). The webhook route can have a listener of its own (`Http::webhooks`)
//! while the rest stay on the internal one (`Http::internal`).

use crate::body::{self, BodyLimit};
use crate::config::Config;
use crate::embeddings::{self, Embeddings};
use crate::provider::AnyProvider;
use crate::reply::error;
use crate::state::State;
use crate::webhook::{split_events, WebhookAuth};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State as Extract};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct AppState {
    pub worker: Arc<State>,
    pub metrics: Option<PrometheusHandle>,
    pub webhook: Arc<WebhookAuth>,
}

/// Everything the routes serve, and the bounds of their request bodies.
pub struct Http {
    state: AppState,
    embeddings: Arc<Embeddings>,
    webhook_body: BodyLimit,
    embeddings_body: BodyLimit,
}

impl Http {
    /// Fails when the embeddings key is misconfigured (an unreadable key file, say).
    pub fn new(
        cfg: &Config,
        worker: Arc<State>,
        metrics: Option<PrometheusHandle>,
        provider: Option<Arc<AnyProvider>>,
    ) -> Result<Http, String> {
        let timeout = Duration::from_secs(cfg.http.http_body_timeout_secs.max(1));
        Ok(Http {
            state: AppState {
                worker,
                metrics,
                webhook: Arc::new(WebhookAuth::new(&cfg.webhook)),
            },
            embeddings: Arc::new(Embeddings {
                provider,
                key: cfg.embeddings.api_key()?,
                max_inputs: cfg.embeddings.embeddings_max_inputs.max(1),
            }),
            webhook_body: BodyLimit {
                max_bytes: cfg.webhook.webhook_max_bytes,
                timeout,
                setting: "CXONE_WEBHOOK_MAX_BYTES",
            },
            embeddings_body: BodyLimit {
                max_bytes: cfg.embeddings.embeddings_max_bytes,
                timeout,
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
            .with_state(self.state.clone())
            .merge(embeddings::route(
                self.embeddings.clone(),
                self.embeddings_body,
            ))
    }

    /// The webhook route: credentials and content type are checked before the body is read.
    pub fn webhooks(&self) -> Router {
        Router::new()
            .route(
                "/v1/webhooks/cxone",
                post(webhook)
                    .route_layer(from_fn_with_state(self.webhook_body, body::read_within))
                    .route_layer(from_fn_with_state(
                        self.state.webhook.clone(),
                        webhook_precheck,
                    )),
            )
            // read_within has bounded the body already.
            .layer(DefaultBodyLimit::disable())
            .with_state(self.state.clone())
    }

    /// Both, on one listener.
    pub fn app(&self) -> Router {
        self.internal().merge(self.webhooks())
    }
}

/// Ready when the worker's connection answers and the webhooks' own connection is up (a
/// webhook that came in before it would be answered 503).
async fn readyz(Extract(s): Extract<AppState>) -> impl IntoResponse {
    let client = match s.worker.ingest.read().await.is_some() {
        true => s.worker.client.read().await.clone(),
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

async fn metrics(Extract(s): Extract<AppState>) -> impl IntoResponse {
    match s.metrics {
        Some(h) => (StatusCode::OK, h.render()),
        None => (
            StatusCode::NOT_FOUND,
            "metrics are not enabled\n".to_string(),
        ),
    }
}

/// Credentials and content type, before the body is read: a request without valid credentials
/// is refused without one byte of its body being read.
async fn webhook_precheck(
    Extract(auth): Extract<Arc<WebhookAuth>>,
    req: Request,
    next: Next,
) -> Response {
    if let Err((status, message)) = auth.precheck(req.headers()) {
        metrics::counter!("cxone_webhook_refused_total").increment(1);
        return error(status, message);
    }
    let json_type = req
        .headers()
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
    next.run(req).await
}

/// The events, after `webhook_precheck` and the body's limits: the signature over the body,
/// then one INSERT.
async fn webhook(Extract(s): Extract<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err((status, message)) = s.webhook.verify_body(&headers, &body) {
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
    use std::sync::atomic::{AtomicBool, Ordering};
    use tower::ServiceExt;

    fn http(args: &[&str]) -> Http {
        let cfg = crate::cli::config(args);
        Http::new(&cfg, Arc::new(State::default()), None, None).unwrap()
    }

    async fn call(app: Router, req: Request<Body>) -> StatusCode {
        app.oneshot(req).await.unwrap().status()
    }

    fn get(path: &str) -> Request<Body> {
        Request::get(path).body(Body::empty()).unwrap()
    }

    fn post(path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
        let mut req = Request::post(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(body).unwrap()
    }

    /// A body that records whether anyone read it.
    fn watched_body() -> (Body, Arc<AtomicBool>) {
        let read = Arc::new(AtomicBool::new(false));
        let r = read.clone();
        let stream = futures_util::stream::once(async move {
            r.store(true, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from_static(b"{}"))
        });
        (Body::from_stream(stream), read)
    }

    #[tokio::test]
    async fn health_is_ok_and_readiness_needs_the_database() {
        let h = http(&[]);
        assert_eq!(call(h.app(), get("/healthz")).await, StatusCode::OK);
        assert_eq!(
            call(h.app(), get("/readyz")).await,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn webhook_refuses_wrong_type_size_auth_and_json() {
        let cases: [(&[&str], &str, &str, &'static str, StatusCode); 6] = [
            (
                &[],
                "application/json",
                "Bearer tok",
                "{}",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            (
                &["--webhook-token", "tok"],
                "text/plain",
                "Bearer tok",
                "{}",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                &["--webhook-token", "tok"],
                "application/json",
                "Bearer no",
                "{}",
                StatusCode::UNAUTHORIZED,
            ),
            (
                &["--webhook-token", "tok"],
                "application/json",
                "Bearer tok",
                "{nope",
                StatusCode::BAD_REQUEST,
            ),
            (
                &["--webhook-token", "tok", "--webhook-max-bytes", "8"],
                "application/json",
                "Bearer tok",
                "{\"a\": \"long body\"}",
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            // Valid, but no database yet: 503, so the sender retries.
            (
                &["--webhook-token", "tok"],
                "application/json; charset=utf-8",
                "Bearer tok",
                "{}",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ];
        for (args, ct, auth, body, want) in cases {
            let req = post(
                "/v1/webhooks/cxone",
                &[("content-type", ct), ("authorization", auth)],
                Body::from(body),
            );
            assert_eq!(
                call(http(args).app(), req).await,
                want,
                "{args:?} {ct} {auth} {body}"
            );
        }
    }

    #[tokio::test]
    async fn webhook_credentials_are_checked_before_the_body_is_read() {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let bad_sig = format!("sha256={}", "ab".repeat(32));
        let json: (&str, &str) = ("content-type", "application/json");
        type Case<'a> = (&'a [&'a str], Vec<(&'a str, &'a str)>, bool);
        // (settings, headers, whether the body may be read); every request is refused.
        let cases: [Case; 6] = [
            (&[], vec![json], false),
            (&["--webhook-token", "tok"], vec![json], false),
            (
                &["--webhook-token", "tok"],
                vec![json, ("authorization", "Bearer nope")],
                false,
            ),
            (&["--webhook-secret", "s"], vec![json], false),
            (
                &["--webhook-secret", "s"],
                vec![
                    json,
                    ("x-nexus-signature-256", "sha256=zz"),
                    ("x-nexus-timestamp", &ts),
                ],
                false,
            ),
            // Well-formed signature headers: only the HMAC over the body can tell.
            (
                &["--webhook-secret", "s"],
                vec![
                    json,
                    ("x-nexus-signature-256", &bad_sig),
                    ("x-nexus-timestamp", &ts),
                ],
                true,
            ),
        ];
        for (args, headers, may_read) in cases {
            let (body, read) = watched_body();
            let status = call(http(args).app(), post("/v1/webhooks/cxone", &headers, body)).await;
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::SERVICE_UNAVAILABLE,
                "{args:?} {headers:?}: {status}"
            );
            assert_eq!(
                read.load(Ordering::SeqCst),
                may_read,
                "{args:?} {headers:?}"
            );
        }
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
                call(h.webhooks(), get(path)).await,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let embed = post("/v1/embeddings", &[], Body::from("{}"));
        assert_eq!(call(h.webhooks(), embed).await, StatusCode::NOT_FOUND);
        assert_eq!(call(h.webhooks(), hook()).await, StatusCode::UNAUTHORIZED);
        assert_eq!(call(h.internal(), hook()).await, StatusCode::NOT_FOUND);
        assert_eq!(call(h.internal(), get("/healthz")).await, StatusCode::OK);
    }
}
