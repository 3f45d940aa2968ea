//! `POST /v1/embeddings`: OpenAI-compatible, serving the configured provider (`cxone_embed`
//! calls it for query embeddings). It requires the key of CXONE_EMBEDDINGS_API_KEY (or its file)
//! as `Authorization: Bearer`, checked before the body is read; bounds each request's inputs and
//! bytes; and its provider calls share the provider's in-flight limit with the worker
//! (`AnyProvider`).

use crate::bearer;
use crate::body::{self, BodyLimit};
use crate::provider::{AnyProvider, EmbedError, Provider};
use crate::reply::error;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub struct Embeddings {
    pub provider: Option<Arc<AnyProvider>>,
    /// None: the endpoint is off (503).
    pub key: Option<String>,
    pub max_inputs: usize,
}

/// The route, with its checks in order: the key (before the body is read), the body's size and
/// time limits, then the handler.
pub fn route(embeddings: Arc<Embeddings>, limit: BodyLimit) -> Router {
    Router::new()
        .route(
            "/v1/embeddings",
            post(embed)
                .route_layer(from_fn_with_state(limit, body::read_within))
                .route_layer(from_fn_with_state(embeddings.clone(), require_key)),
        )
        // read_within has bounded the body already.
        .layer(DefaultBodyLimit::disable())
        .with_state(embeddings)
}

async fn require_key(State(e): State<Arc<Embeddings>>, req: Request, next: Next) -> Response {
    match &e.key {
        None => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the embeddings endpoint is off: set CXONE_EMBEDDINGS_API_KEY (or \
             CXONE_EMBEDDINGS_API_KEY_FILE) on the sidecar, and send the same key as \
             Authorization: Bearer",
        ),
        Some(key) if !bearer::matches(req.headers(), key) => {
            metrics::counter!("cxone_embeddings_refused_total").increment(1);
            error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong API key: send Authorization: Bearer with the key set by \
                 CXONE_EMBEDDINGS_API_KEY (or CXONE_EMBEDDINGS_API_KEY_FILE)",
            )
        }
        Some(_) => next.run(req).await,
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

async fn embed(State(e): State<Arc<Embeddings>>, body: Bytes) -> Response {
    let req: EmbeddingsRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(err) => return error(StatusCode::BAD_REQUEST, format!("invalid request: {err}")),
    };
    let inputs = match req.input {
        Input::One(s) => vec![s],
        Input::Many(v) => v,
    };
    if inputs.is_empty() || inputs.len() > e.max_inputs {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "'input' has {} items; send between 1 and {} (CXONE_EMBEDDINGS_MAX_INPUTS)",
                inputs.len(),
                e.max_inputs
            ),
        );
    }
    let Some(provider) = &e.provider else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "no provider loaded");
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    use tower::ServiceExt;

    fn route_with(key: Option<&str>, max_bytes: usize) -> Router {
        let e = Embeddings {
            provider: None,
            key: key.map(String::from),
            max_inputs: 3,
        };
        let limit = BodyLimit {
            max_bytes,
            timeout: Duration::from_secs(5),
            setting: "CXONE_EMBEDDINGS_MAX_BYTES",
        };
        route(Arc::new(e), limit)
    }

    /// A body that records whether anyone read it.
    fn watched_body(text: &'static str) -> (Body, Arc<AtomicBool>) {
        let read = Arc::new(AtomicBool::new(false));
        let r = read.clone();
        let stream = futures_util::stream::once(async move {
            r.store(true, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Bytes::from_static(text.as_bytes()))
        });
        (Body::from_stream(stream), read)
    }

    async fn post(app: Router, auth: Option<&str>, body: Body) -> (StatusCode, Value) {
        let mut req = Request::post("/v1/embeddings").header("content-type", "application/json");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = app.oneshot(req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn the_key_is_required_before_the_body_is_read() {
        let cases: [(Option<&str>, Option<&str>, StatusCode, &str); 4] = [
            (
                None,
                Some("Bearer k"),
                StatusCode::SERVICE_UNAVAILABLE,
                "CXONE_EMBEDDINGS_API_KEY",
            ),
            (
                Some("k3y"),
                None,
                StatusCode::UNAUTHORIZED,
                "Authorization: Bearer",
            ),
            (
                Some("k3y"),
                Some("Bearer nope"),
                StatusCode::UNAUTHORIZED,
                "missing or wrong",
            ),
            (
                Some("k3y"),
                Some("Basic k3y"),
                StatusCode::UNAUTHORIZED,
                "missing or wrong",
            ),
        ];
        for (key, auth, want, says) in cases {
            let (body, read) = watched_body(r#"{"input": "hello"}"#);
            let (status, reply) = post(route_with(key, 1024), auth, body).await;
            assert_eq!(status, want, "{key:?} {auth:?}");
            let message = reply["error"]["message"].as_str().unwrap();
            assert!(message.contains(says), "{message}");
            assert!(!message.contains("k3y"), "{message}");
            assert!(
                !read.load(Ordering::SeqCst),
                "the body was read: {key:?} {auth:?}"
            );
        }
        // The right key passes the check; the body is then read (and this test has no provider).
        let (body, read) = watched_body(r#"{"input": "hello"}"#);
        let (status, _) = post(route_with(Some("k3y"), 1024), Some("Bearer k3y"), body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(read.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn inputs_and_bytes_are_capped() {
        let auth = Some("Bearer k3y");
        let big = Body::from(format!(r#"{{"input": "{}"}}"#, "x".repeat(100)));
        let (status, reply) = post(route_with(Some("k3y"), 64), auth, big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CXONE_EMBEDDINGS_MAX_BYTES"));
        for input in [r#"[]"#, r#"["a", "b", "c", "d"]"#] {
            let body = Body::from(format!(r#"{{"input": {input}}}"#));
            let (status, reply) = post(route_with(Some("k3y"), 1024), auth, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{input}");
            assert!(reply["error"]["message"]
                .as_str()
                .unwrap()
                .contains("CXONE_EMBEDDINGS_MAX_INPUTS"));
        }
    }
}
