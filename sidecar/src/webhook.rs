//! `POST /v1/webhooks/cxone`: CXone events into `cxone_payloads`, exactly as sent.
//!
//! The checks run in order: credentials and content type before the body is read
//! (webhook_auth.rs; 401, 415, 503 when webhooks are off), the body's size and time limits
//! (body.rs; 413, 408), the signature over the body, the JSON (400). A JSON array is several
//! events. The reply, with each payload's id and outcome, is sent after commit (payloads.rs).
//! Replayed events are stored and recorded as duplicates by the ingest trigger, so retries by
//! the sender are harmless.

use crate::body::{self, BodyLimit};
use crate::config::Config;
use crate::http_error::HttpError;
use crate::payloads::{self, StoreError};
use crate::state::State as Shared;
use crate::webhook_auth::WebhookAuth;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::sync::Arc;

/// The route, with its checks in order: credentials and content type (before the body is
/// read), the body's limits, then the handler.
pub fn route(cfg: &Config, shared: Arc<Shared>) -> Router {
    let limit = BodyLimit {
        max_bytes: cfg.webhook.webhook_max_bytes,
        timeout: cfg.http.body_timeout(),
        setting: "CXONE_WEBHOOK_MAX_BYTES",
    };
    let auth = Arc::new(WebhookAuth::new(&cfg.webhook));
    Router::new()
        .route(
            "/v1/webhooks/cxone",
            post(receive)
                .route_layer(from_fn_with_state(limit, body::read_within))
                .route_layer(from_fn_with_state(auth.clone(), precheck)),
        )
        // read_within has bounded the body already.
        .layer(DefaultBodyLimit::disable())
        .with_state(Webhooks { auth, shared })
}

#[derive(Clone)]
struct Webhooks {
    auth: Arc<WebhookAuth>,
    /// Holds the webhooks' own database connection (db::keep_connected).
    shared: Arc<Shared>,
}

/// Credentials and content type, before the body is read: a request without valid credentials
/// is refused without one byte of its body being read.
async fn precheck(State(auth): State<Arc<WebhookAuth>>, req: Request, next: Next) -> Response {
    if let Err(refused) = auth.precheck(req.headers()) {
        metrics::counter!("cxone_webhook_refused_total").increment(1);
        return refused.into_response();
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
        return HttpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json",
        )
        .into_response();
    }
    next.run(req).await
}

/// The events, after `precheck` and the body's limits: the signature over the body, then one
/// INSERT.
async fn receive(
    State(hooks): State<Webhooks>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, HttpError> {
    hooks.auth.verify_body(&headers, &body).inspect_err(|_| {
        metrics::counter!("cxone_webhook_refused_total").increment(1);
    })?;
    let events = split_events(&body)?;
    let Some(db) = hooks.shared.ingest.read().await.clone() else {
        return Err(HttpError::unavailable("database unreachable; retry later"));
    };
    let stored = payloads::store(&db, &events).await.map_err(|e| match e {
        StoreError::InvalidJson(why) => HttpError::bad_request(format!("invalid JSON: {why}")),
        StoreError::Database(e) => {
            tracing::warn!(error = %e, "webhook insert failed");
            HttpError::unavailable("could not store the events; retry later")
        }
    })?;
    metrics::counter!("cxone_webhook_events_total").increment(stored.len() as u64);
    Ok(Json(json!({"received": stored.len(), "payloads": stored})))
}

/// The events in a body, each as its exact text: one object, or the elements of an array.
pub fn split_events(body: &[u8]) -> Result<Vec<String>, HttpError> {
    let text =
        std::str::from_utf8(body).map_err(|_| HttpError::bad_request("body is not UTF-8"))?;
    let bad = |e: serde_json::Error| HttpError::bad_request(format!("invalid JSON: {e}"));
    match serde_json::from_str::<&RawValue>(text) {
        Ok(raw) if raw.get().trim_start().starts_with('[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(bad)?;
            if items.is_empty() {
                return Err(HttpError::bad_request("empty array: no events"));
            }
            Ok(items.into_iter().map(|r| r.get().to_string()).collect())
        }
        Ok(_) => Ok(vec![text.to_string()]),
        // Too deep for serde, or escapes it refuses (a lone surrogate), but valid for
        // PostgreSQL's json type: store the body as one payload, as an SQL INSERT would, and
        // the trigger records why it cannot be mapped. Should PostgreSQL refuse it after all,
        // the INSERT's data exception becomes a 400 (see `receive`).
        Err(e)
            if ["recursion limit", "surrogate"]
                .iter()
                .any(|m| e.to_string().contains(m)) =>
        {
            Ok(vec![text.to_string()])
        }
        Err(e) => Err(bad(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route_test::{call, post, watched_body};
    use axum::body::Body;
    use std::sync::atomic::Ordering;

    fn app(args: &[&str]) -> Router {
        route(&crate::cli::config(args), Arc::new(Shared::default()))
    }

    #[test]
    fn events_keep_their_exact_text() {
        assert_eq!(
            split_events(br#"{"b":1, "a" : 2}"#).unwrap(),
            vec![r#"{"b":1, "a" : 2}"#]
        );
        assert_eq!(
            split_events(br#"[{"x": 1},  {"y":2}]"#).unwrap(),
            vec![r#"{"x": 1}"#, r#"{"y":2}"#]
        );
        assert_eq!(
            split_events(b"{nope").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            split_events(b"[]").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        let deep = format!("{{\"a\": {}{}}}", "[".repeat(1000), "]".repeat(1000));
        assert_eq!(split_events(deep.as_bytes()).unwrap().len(), 1);
        let lone = br#"{"a": "\udc00 lone"}"#;
        assert_eq!(split_events(lone).unwrap().len(), 1);
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
                call(app(args), req).await.0,
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
            let (body, read) = watched_body("{}");
            let (status, _) = call(app(args), post("/v1/webhooks/cxone", &headers, body)).await;
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
}
