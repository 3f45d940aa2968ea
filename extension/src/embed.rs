//! `cxone_embed(text) → vector`: the query embedding, fetched from inside PostgreSQL over HTTP
//! (reqwest, blocking) from an OpenAI-compatible `/embeddings` endpoint: by default the local
//! sidecar's, so search works out of the box. The API key, if any, is a superuser-only setting.

use crate::guc;
use pgrx::prelude::*;
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;

fn fail(code: PgSqlErrorCode, message: String) -> ! {
    ereport!(ERROR, code, message);
}

/// One client per backend (connection reuse across queries); its timeout is per request.
fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .build()
            .unwrap_or_else(|e| {
                fail(
                    PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                    format!("cannot build an HTTP client: {e}"),
                )
            })
    })
}

/// The embedding of `text` by `model` as real[] (cast to vector by the SQL wrappers). A service
/// that answers 404 (it does not serve that model) raises 42704, so a search can try the
/// model it does serve.
#[pg_extern(volatile, strict, parallel_unsafe)]
fn _cxone_embed_array(text: &str, model: &str) -> Vec<f32> {
    let url = guc::embeddings_url();
    let mut req = client()
        .post(&url)
        .timeout(Duration::from_millis(guc::embed_timeout_ms()))
        .json(&json!({"model": model, "input": [text]}));
    if let Some(key) = guc::embeddings_api_key() {
        req = req.bearer_auth(key);
    }
    let resp = req.send().unwrap_or_else(|e| {
        let hint = if e.is_timeout() {
            format!(
                "no answer within cxone.embed_timeout_ms = {} ms",
                guc::embed_timeout_ms()
            )
        } else {
            "is the sidecar running (cxone-sidecar run), or is cxone.embeddings_url right?".into()
        };
        fail(
            PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
            format!("cxone_embed: cannot reach {url}: {e}; {hint}"),
        )
    });
    let status = resp.status();
    let body: Value = resp.json().unwrap_or_else(|e| {
        fail(
            PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
            format!("cxone_embed: {url} answered {status} with a body that is not JSON: {e}"),
        )
    });
    if !status.is_success() {
        let msg = body["error"]["message"].as_str().unwrap_or("no message");
        if status.as_u16() == 404 {
            fail(
                PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
                format!("cxone_embed: {url} does not serve model {model}: {msg}"),
            );
        }
        fail(
            PgSqlErrorCode::ERRCODE_CONNECTION_FAILURE,
            format!("cxone_embed: {url} answered {status}: {msg}"),
        );
    }
    body["data"][0]["embedding"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_f64())
                .map(|x| x as f32)
                .collect::<Vec<f32>>()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            fail(
                PgSqlErrorCode::ERRCODE_DATA_EXCEPTION,
                format!("cxone_embed: {url} returned no embedding"),
            )
        })
}
