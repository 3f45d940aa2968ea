//! `POST /v1/embeddings`: OpenAI-compatible, serving the configured provider (`cxone_embed`
//! calls it for query embeddings). It requires the key of CXONE_EMBEDDINGS_API_KEY (or its file)
//! as `Authorization: Bearer`, checked before the body is read; bounds each request's inputs and
//! bytes; and its provider calls share the provider's in-flight limit with the worker
//! (`AnyProvider`).

use crate::bearer;
use crate::body::{self, BodyLimit};
use crate::http_error::HttpError;
use crate::provider::{AnyProvider, EmbedError, Provider};
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
        None => HttpError::unavailable(
            "the embeddings endpoint is off: set CXONE_EMBEDDINGS_API_KEY (or \
             CXONE_EMBEDDINGS_API_KEY_FILE) on the sidecar, and send the same key as \
             Authorization: Bearer",
        )
        .into_response(),
        Some(key) if !bearer::matches(req.headers(), key) => {
            metrics::counter!("cxone_embeddings_refused_total").increment(1);
            HttpError::unauthorized(
                "missing or wrong API key: send Authorization: Bearer with the key set by \
                 CXONE_EMBEDDINGS_API_KEY (or CXONE_EMBEDDINGS_API_KEY_FILE)",
            )
            .into_response()
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

async fn embed(State(e): State<Arc<Embeddings>>, body: Bytes) -> Result<Json<Value>, HttpError> {
    let req: EmbeddingsRequest = serde_json::from_slice(&body)
        .map_err(|err| HttpError::bad_request(format!("invalid request: {err}")))?;
    let inputs = match req.input {
        Input::One(s) => vec![s],
        Input::Many(v) => v,
    };
    if inputs.is_empty() || inputs.len() > e.max_inputs {
        return Err(HttpError::bad_request(format!(
            "'input' has {} items; send between 1 and {} (CXONE_EMBEDDINGS_MAX_INPUTS)",
            inputs.len(),
            e.max_inputs
        )));
    }
    let Some(provider) = &e.provider else {
        return Err(HttpError::unavailable("no provider loaded"));
    };
    if let Some(m) = req.model.as_deref().filter(|m| *m != provider.model()) {
        return Err(HttpError::new(
            StatusCode::NOT_FOUND,
            format!(
                "this sidecar serves model {}, not {m}; point cxone.embeddings_url at a sidecar or API that serves {m}",
                provider.model()
            ),
        ));
    }
    let tokens: usize = inputs.iter().map(|t| provider.count_tokens(t)).sum();
    let vectors = provider.embed(inputs).await.map_err(|e| match e {
        EmbedError::Retryable { message, .. } => HttpError::unavailable(message),
        EmbedError::Permanent(message) => HttpError::new(StatusCode::BAD_GATEWAY, message),
    })?;
    let data: Vec<Value> = vectors
        .into_iter()
        .enumerate()
        .map(|(i, v)| json!({"object": "embedding", "index": i, "embedding": v}))
        .collect();
    Ok(Json(json!({
        "object": "list", "data": data, "model": provider.model(),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route_test::{self, call, watched_body};
    use axum::body::Body;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

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

    async fn post(app: Router, auth: Option<&str>, body: Body) -> (StatusCode, Value) {
        let mut headers = vec![("content-type", "application/json")];
        headers.extend(auth.map(|a| ("authorization", a)));
        call(app, route_test::post("/v1/embeddings", &headers, body)).await
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
