//! What the route tests share: requests sent to a router without a socket, and a body that
//! records whether anyone read it (credentials must be checked before the body is read).

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tower::ServiceExt;

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

pub fn post(path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
    let mut req = Request::post(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(body).unwrap()
}

/// The status and the JSON body (Null when the body is not JSON) of `req`'s reply.
pub async fn call(app: Router, req: Request<Body>) -> (StatusCode, Value) {
    let reply = app.oneshot(req).await.unwrap();
    let status = reply.status();
    let bytes = axum::body::to_bytes(reply.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A body of `text` that records whether anyone read it.
pub fn watched_body(text: &'static str) -> (Body, Arc<AtomicBool>) {
    let read = Arc::new(AtomicBool::new(false));
    let r = read.clone();
    let stream = futures_util::stream::once(async move {
        r.store(true, Ordering::SeqCst);
        Ok::<_, std::io::Error>(Bytes::from_static(text.as_bytes()))
    });
    (Body::from_stream(stream), read)
}
