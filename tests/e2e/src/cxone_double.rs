//! A CXone OpenID/token server on 127.0.0.1: discovery at
//! `/.well-known/openid-configuration`, and a token endpoint that accepts
//! `grant_type=password` (access key id/secret) with the client as HTTP Basic, like the real one.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const CLIENT_ID: &str = "cxone-client";
pub const CLIENT_SECRET: &str = "client-secret-xyz";
pub const ACCESS_KEY_ID: &str = "AKID123";
pub const ACCESS_KEY_SECRET: &str = "ak-secret-789";

pub struct CxoneDouble {
    pub addr: SocketAddr,
    pub token_requests: Arc<AtomicU32>,
}

impl CxoneDouble {
    pub fn start() -> CxoneDouble {
        let count = Arc::new(AtomicU32::new(0));
        let c = count.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tx.send(addr).unwrap();
                let issuer = format!("http://{addr}");
                let app = Router::new()
                    .route(
                        "/.well-known/openid-configuration",
                        get(move || {
                            let issuer = issuer.clone();
                            async move { Json(json!({"issuer": issuer, "token_endpoint": format!("{issuer}/auth/token")})) }
                        }),
                    )
                    .route("/auth/token", post(token))
                    .with_state(c);
                axum::serve(listener, app).await.unwrap();
            });
        });
        CxoneDouble {
            addr: rx.recv().unwrap(),
            token_requests: count,
        }
    }

    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn token(
    State(count): State<Arc<AtomicU32>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> impl IntoResponse {
    count.fetch_add(1, Ordering::SeqCst);
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    if basic.as_deref() != Some(&format!("{CLIENT_ID}:{CLIENT_SECRET}")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        );
    }
    let ok = form.get("grant_type").map(String::as_str) == Some("password")
        && form.get("username").map(String::as_str) == Some(ACCESS_KEY_ID)
        && form.get("password").map(String::as_str) == Some(ACCESS_KEY_SECRET);
    if !ok {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({"access_token": "tok-abc", "token_type": "Bearer", "expires_in": 3600})),
    )
}
