//! `cxone_embed(text) → vector`: the query embedding, fetched from inside PostgreSQL over HTTP
//! from an OpenAI-compatible `/embeddings` endpoint: by default the local sidecar's, so search
//! works out of the box.
//!
//! - The key is read from `cxone.embeddings_api_key_file` (a file only the server's OS user
//!   can read), never from a setting, and is never sent over plain http except to loopback.
//! - The request runs on a thread started with signals blocked ([`crate::threads`]); the
//!   backend waits for it answering query cancel and `statement_timeout`.
//! - Error text names the endpoint without credentials or query string, never the key.

use crate::error::sqlstate;
use crate::{guc, threads};
use pgrx::prelude::*;
use reqwest::Url;
use serde_json::{json, Value};
use std::sync::mpsc;
use std::time::Duration;

fn fail(code: PgSqlErrorCode, message: String) -> ! {
    ereport!(ERROR, code, message);
}

fn bad_setting(message: String) -> ! {
    fail(sqlstate::NOT_ALLOWED, message)
}

/// A client for this CA file: built with signals blocked, because the blocking client starts
/// its runtime thread when built. Kept per backend while the CA file setting is unchanged.
fn client(ca_file: &str) -> reqwest::blocking::Client {
    thread_local! {
        static CLIENT: std::cell::RefCell<Option<(String, reqwest::blocking::Client)>> =
            const { std::cell::RefCell::new(None) };
    }
    if let Some(c) = CLIENT.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(ca, _)| ca == ca_file)
            .map(|(_, c)| c.clone())
    }) {
        return c;
    }
    let mut builder = reqwest::blocking::Client::builder();
    if !ca_file.is_empty() {
        let pem = std::fs::read(ca_file).unwrap_or_else(|e| {
            fail(
                sqlstate::SERVER_FILE,
                format!("cxone_embed: cannot read cxone.embeddings_ca_file '{ca_file}': {e}"),
            )
        });
        let cert = reqwest::Certificate::from_pem(&pem).unwrap_or_else(|e| {
            fail(
                sqlstate::SERVER_FILE,
                format!("cxone_embed: cxone.embeddings_ca_file '{ca_file}' is not a PEM certificate: {e}"),
            )
        });
        builder = builder.add_root_certificate(cert);
    }
    let built = threads::with_signals_blocked(|| builder.build())
        .and_then(|r| r.ok())
        .unwrap_or_else(|| {
            fail(
                sqlstate::INTERNAL,
                "cxone_embed: cannot build an HTTP client".into(),
            )
        });
    CLIENT.with(|c| *c.borrow_mut() = Some((ca_file.to_string(), built.clone())));
    built
}

/// The key from the key file: None when the setting is empty or the file does not exist.
fn api_key() -> Option<String> {
    let path = guc::embeddings_api_key_file().unwrap_or_else(|e| bad_setting(e));
    if path.is_empty() {
        return None;
    }
    match std::fs::read_to_string(&path) {
        Ok(k) => Some(k.trim().to_string()).filter(|k| !k.is_empty()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => fail(
            sqlstate::SERVER_FILE,
            format!("cxone_embed: cannot read cxone.embeddings_api_key_file '{path}': {e}; it must be readable by the database server's OS user"),
        ),
    }
}

/// The URL as shown in messages: no user, password, query or fragment.
fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Loopback hosts, where plain http does not cross a network.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The embedding of `text` by `model` as real[] (cast to vector by the SQL wrappers). A service
/// that answers 404 (it does not serve that model) raises 42704, so a search can try the
/// model it does serve.
#[pg_extern(volatile, strict, parallel_unsafe)]
fn _cxone_embed_array(text: &str, model: &str) -> Vec<f32> {
    let (_, max_text) = guc::limits_settings();
    if text.len() > usize::try_from(max_text).unwrap_or(usize::MAX) {
        fail(
            sqlstate::OVER_A_CAP,
            format!(
                "cxone_embed: the text is {} bytes, over cxone.max_text_bytes = {max_text}",
                text.len()
            ),
        );
    }
    let raw_url = guc::embeddings_url().unwrap_or_else(|e| bad_setting(e));
    let url = Url::parse(&raw_url).unwrap_or_else(|e| {
        fail(
            sqlstate::BAD_ARGUMENT,
            format!("cxone_embed: cxone.embeddings_url is not a URL: {e}"),
        )
    });
    let at = shown(&url);
    let key = api_key();
    if key.is_some() && url.scheme() != "https" && !is_loopback(&url) {
        fail(
            sqlstate::NOT_ALLOWED,
            format!("cxone_embed: refusing to send the API key over plain http to {at}; use an https URL in cxone.embeddings_url"),
        );
    }
    let ca_file = guc::embeddings_ca_file().unwrap_or_else(|e| bad_setting(e));
    let timeout = guc::embed_timeout_ms();
    let mut req = client(&ca_file)
        .post(url)
        .timeout(Duration::from_millis(timeout))
        .json(&json!({"model": model, "input": [text]}));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    // The request and the reading of its answer run on their own thread; a cancel ends the
    // wait here and the thread finishes alone (its answer is dropped).
    let (tx, rx) = mpsc::channel();
    let sent = threads::with_signals_blocked(|| {
        std::thread::Builder::new()
            .name("cxone-embed".into())
            .spawn(move || {
                let answer = req.send().and_then(|r| {
                    let status = r.status();
                    r.json::<Value>().map(|body| (status, body))
                });
                let _ = tx.send(answer);
            })
    });
    if !matches!(sent, Some(Ok(_))) {
        fail(
            sqlstate::INTERNAL,
            "cxone_embed: cannot start the request thread".into(),
        );
    }
    let answer = threads::wait(&rx).unwrap_or_else(|| {
        fail(
            sqlstate::INTERNAL,
            format!("cxone_embed: the request to {at} ended without an answer"),
        )
    });
    let (status, body) = answer.unwrap_or_else(|e| {
        let hint = if e.is_timeout() {
            format!("no answer within cxone.embed_timeout_ms = {timeout} ms")
        } else if e.is_decode() {
            "the answer is not JSON".into()
        } else {
            "is the sidecar running (cxone-sidecar run), or is cxone.embeddings_url right?".into()
        };
        fail(
            sqlstate::PROVIDER_UNREACHABLE,
            format!(
                "cxone_embed: cannot get an embedding from {at}: {}; {hint}",
                e.without_url()
            ),
        )
    });
    if !status.is_success() {
        let msg = body["error"]["message"].as_str().unwrap_or("no message");
        let msg: String = msg.chars().take(300).collect();
        if status.as_u16() == 404 {
            fail(
                sqlstate::NO_SUCH_OBJECT,
                format!("cxone_embed: {at} does not serve model {model}: {msg}"),
            );
        }
        let hint = if status.as_u16() == 401 {
            "; the key in cxone.embeddings_api_key_file (in the data directory unless absolute) must match the sidecar's CXONE_EMBEDDINGS_API_KEY"
        } else {
            ""
        };
        fail(
            sqlstate::PROVIDER_UNREACHABLE,
            format!("cxone_embed: {at} answered {status}: {msg}{hint}"),
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
                sqlstate::BAD_PROVIDER_ANSWER,
                format!("cxone_embed: {at} returned no embedding"),
            )
        })
}
