//! The one error of every HTTP route, and its reply in OpenAI's shape (`{"error": {"message",
//! "type", "param", "code"}}`), which OpenAI clients, `cxone_embed` and webhook senders all read.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A refused request: the status, and a message that says what to do and never contains a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub status: StatusCode,
    pub message: String,
}

impl HttpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        HttpError {
            status,
            message: message.into(),
        }
    }

    /// 400: the client must change the request; sending it again will not help.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401, with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 503: off until configured, or a dependency is down; the sender may retry later.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let kind = match self.status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            s if s.is_server_error() => "server_error",
            _ => "invalid_request_error",
        };
        let code = match self.status {
            StatusCode::UNAUTHORIZED => Some("invalid_api_key"),
            StatusCode::PAYLOAD_TOO_LARGE => Some("request_too_large"),
            StatusCode::REQUEST_TIMEOUT => Some("request_timeout"),
            _ => None,
        };
        let body =
            json!({"error": {"message": self.message, "type": kind, "param": null, "code": code}});
        let mut reply = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            reply
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        reply
    }
}
