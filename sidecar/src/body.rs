//! Reading a request body within a size and a time limit, as a layer under a route's credential
//! checks: a request they refuse is answered before one byte of its body is read, and a client
//! trickling bytes gets 408 instead of holding a connection and a buffer forever.

use crate::http_error::HttpError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The bounds of one route's bodies; `setting` names the variable that sets `max_bytes`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit {
    pub max_bytes: usize,
    pub timeout: Duration,
    pub setting: &'static str,
}

/// Reads the whole body within the limits before the handler runs.
pub async fn read_within(State(limit): State<BodyLimit>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match read(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(refused) => refused.into_response(),
    }
}

async fn read(body: Body, limit: BodyLimit) -> Result<Bytes, HttpError> {
    match tokio::time::timeout(limit.timeout, axum::body::to_bytes(body, limit.max_bytes)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if e.to_string().contains("length limit") => Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "request body is larger than {} bytes ({})",
                limit.max_bytes, limit.setting
            ),
        )),
        Ok(Err(e)) => Err(HttpError::bad_request(format!(
            "could not read the request body: {e}"
        ))),
        Err(_) => {
            metrics::counter!("cxone_http_body_timeouts_total").increment(1);
            Err(HttpError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "request body not received within {} s (CXONE_HTTP_BODY_TIMEOUT_SECS)",
                    limit.timeout.as_secs()
                ),
            ))
        }
    }
}
