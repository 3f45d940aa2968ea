//! The one error reply of every HTTP route: OpenAI's shape (`{"error": {"message", "type",
//! "code"}}`), which OpenAI clients, `cxone_embed` and webhook senders all read.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error reply; `message` says what to do and never contains a secret.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let kind = match status {
        StatusCode::UNAUTHORIZED => "authentication_error",
        s if s.is_server_error() => "server_error",
        _ => "invalid_request_error",
    };
    let code = match status {
        StatusCode::UNAUTHORIZED => Some("invalid_api_key"),
        StatusCode::PAYLOAD_TOO_LARGE => Some("request_too_large"),
        StatusCode::REQUEST_TIMEOUT => Some("request_timeout"),
        _ => None,
    };
    let body =
        json!({"error": {"message": message.into(), "type": kind, "param": null, "code": code}});
    let mut reply = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        reply
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    reply
}
