//! An OpenAI-compatible embeddings server on 127.0.0.1 for tests. It enforces OpenAI's limits
//! (2048 inputs, 300,000 tokens per request, 8,192 per input, counted with cl100k), checks the
//! Bearer key, answers base64 when asked, sends rate-limit headers, and can inject faults: 429
//! with Retry-After, 500/503, stalls, malformed JSON, wrong dimensions, fewer or reordered
//! embeddings. It records every request it received.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use cxone_core::tokens::Tokenizer;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Faults to inject, decided per request.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Fraction of requests answered 429 (with Retry-After) or 500/503, alternating.
    pub fail_rate: f64,
    /// Retry-After sent with 429s, in milliseconds (as `retry-after-ms`; whole seconds also as `Retry-After`).
    pub retry_after_ms: u64,
    /// Answer with vectors of this many dimensions instead of the requested ones.
    pub wrong_dimensions: Option<usize>,
    /// Delay before answering.
    pub stall: Duration,
    /// Answer invalid JSON to this fraction of requests.
    pub malformed_rate: f64,
    /// Leave out the last embedding in this fraction of responses.
    pub fewer_rate: f64,
    /// Return embeddings in reverse order (with correct `index`).
    pub reorder: bool,
    /// A 429 storm: the first this-many requests are all answered 429 with Retry-After.
    pub storm_requests: u64,
    /// For benchmarks: answer every input with the same precomputed vector, and count tokens
    /// only when the byte lengths do not already prove the request within the limits, so that
    /// the double costs next to nothing and what is measured is the client. Limits are still
    /// enforced.
    pub instant: bool,
}

/// What the double received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub inputs: Vec<String>,
    /// HTTP status answered.
    pub status: u16,
    /// The wait the double asked for, when it answered 429.
    pub retry_after: Option<Duration>,
}

#[derive(Default)]
struct Inner {
    faults: Faults,
    log: Vec<Received>,
    /// Inputs of every request as it arrived, before any answer (or none, if the client died).
    arrivals: Vec<Vec<String>>,
    server_errors: u64,
    counter: u64,
}

#[derive(Clone)]
pub struct OpenAiDouble {
    pub addr: SocketAddr,
    pub key: String,
    inner: Arc<Mutex<Inner>>,
}

impl OpenAiDouble {
    /// Starts the server on a free port (in its own thread and runtime).
    pub fn start(faults: Faults) -> OpenAiDouble {
        let inner = Arc::new(Mutex::new(Inner {
            faults,
            ..Inner::default()
        }));
        let key = "sk-test-double".to_string();
        let state = (inner.clone(), key.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = Router::new()
                    .route("/v1/embeddings", post(embeddings))
                    .with_state(state);
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        OpenAiDouble { addr, key, inner }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The embeddings endpoint, as `cxone.embeddings_url` names it.
    pub fn embeddings_url(&self) -> String {
        format!("{}/embeddings", self.base_url())
    }

    pub fn set_faults(&self, faults: Faults) {
        self.inner.lock().unwrap().faults = faults;
    }

    pub fn log(&self) -> Vec<Received> {
        self.inner.lock().unwrap().log.clone()
    }

    pub fn arrivals(&self) -> Vec<Vec<String>> {
        self.inner.lock().unwrap().arrivals.clone()
    }
}

type Shared = (Arc<Mutex<Inner>>, String);

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "invalid_request_error"}})),
    )
        .into_response()
}

/// A deterministic unit vector for a text.
pub fn vector_for(text: &str, dims: usize) -> Vec<f32> {
    let mut h: u64 = 1469598103934665603;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    let mut v: Vec<f32> = (0..dims)
        .map(|i| {
            h = h
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407 + i as u64);
            ((h >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

async fn embeddings(
    State((inner, key)): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let faults = inner.lock().unwrap().faults.clone();
    let record = |inputs: Vec<String>, status: u16, retry_after: Option<Duration>| {
        inner.lock().unwrap().log.push(Received {
            at: Instant::now(),
            inputs,
            status,
            retry_after,
        });
    };
    // OpenAI sends the key as Bearer; Azure OpenAI as the api-key header.
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    if header("authorization") != format!("Bearer {key}") && header("api-key") != key {
        record(vec![], 401, None);
        return error(StatusCode::UNAUTHORIZED, "Incorrect API key provided");
    }
    let req: Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "We could not parse the JSON body of your request.",
            )
        }
    };
    let inputs: Vec<String> = match &req["input"] {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => return error(StatusCode::BAD_REQUEST, "'input' is required"),
    };
    if inputs.is_empty() || inputs.len() > 2048 {
        record(inputs, 400, None);
        return error(
            StatusCode::BAD_REQUEST,
            "'input' must have between 1 and 2048 items",
        );
    }
    // A token is at least one byte, so byte lengths bound the counts: when they are within
    // the limits, the instant double skips counting; otherwise it counts exactly.
    let bytes: usize = inputs.iter().map(String::len).sum();
    let bounded = bytes <= 300_000 && inputs.iter().all(|t| t.len() <= 8192);
    let tokens: Vec<usize> = if faults.instant && bounded {
        inputs.iter().map(String::len).collect()
    } else {
        inputs.iter().map(|t| Tokenizer::Cl100k.count(t)).collect()
    };
    if let Some(t) = tokens.iter().find(|&&t| t > 8192) {
        record(inputs, 400, None);
        return error(StatusCode::BAD_REQUEST, &format!("This model's maximum context length is 8192 tokens, however you requested {t} tokens"));
    }
    if tokens.iter().sum::<usize>() > 300_000 {
        record(inputs, 400, None);
        return error(
            StatusCode::BAD_REQUEST,
            "Requested 300001 tokens, max 300000 tokens per request",
        );
    }
    let n = {
        let mut g = inner.lock().unwrap();
        g.counter += 1;
        g.arrivals.push(inputs.clone());
        g.counter
    };
    if !faults.stall.is_zero() {
        tokio::time::sleep(faults.stall).await;
    }
    // Deterministic fault schedule: request k fails when frac(k * golden) < rate.
    let roll = |salt: f64| ((n as f64 + salt) * 0.618_033_988_75).fract();
    let storm = n <= faults.storm_requests;
    if storm || roll(0.0) < faults.fail_rate {
        if storm || n % 2 == 0 {
            let wait = Duration::from_millis(faults.retry_after_ms);
            record(inputs, 429, Some(wait));
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit reached for requests",
            );
            r.headers_mut().insert(
                "retry-after-ms",
                faults.retry_after_ms.to_string().parse().unwrap(),
            );
            r.headers_mut().insert(
                "retry-after",
                wait.as_secs().max(1).to_string().parse().unwrap(),
            );
            return r;
        }
        // 500 and 503 in turn.
        let fives = {
            let mut g = inner.lock().unwrap();
            g.server_errors += 1;
            g.server_errors
        };
        let status = if fives % 2 == 1 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        record(inputs, status.as_u16(), None);
        return error(
            status,
            "The server had an error while processing your request.",
        );
    }
    if roll(0.3) < faults.malformed_rate {
        record(inputs, 200, None);
        return (StatusCode::OK, "{\"data\": [").into_response();
    }
    let dims = faults
        .wrong_dimensions
        .or_else(|| req["dimensions"].as_u64().map(|d| d as usize))
        .unwrap_or(1536);
    let base64 = req["encoding_format"] == "base64";
    if faults.instant {
        return instant_answer(&req, &inputs, dims, &tokens, record);
    }
    let mut data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let v = vector_for(text, dims);
            let embedding = if base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(v)
            };
            json!({"object": "embedding", "index": i, "embedding": embedding})
        })
        .collect();
    if faults.reorder {
        data.reverse();
    }
    if roll(0.6) < faults.fewer_rate {
        data.pop();
    }
    record(inputs, 200, None);
    let mut r = Json(json!({
        "object": "list", "data": data, "model": req["model"],
        "usage": {"prompt_tokens": tokens.iter().sum::<usize>(), "total_tokens": tokens.iter().sum::<usize>()}
    }))
    .into_response();
    let h = r.headers_mut();
    h.insert("x-ratelimit-limit-requests", "10000".parse().unwrap());
    h.insert("x-ratelimit-remaining-requests", "9999".parse().unwrap());
    h.insert("x-ratelimit-limit-tokens", "10000000".parse().unwrap());
    r
}

/// The answers of the instant double, by (dimensions, base64, text): each text's own vector
/// ([`vector_for`]), serialised once.
type InstantCache = Mutex<std::collections::HashMap<(usize, bool, String), Arc<str>>>;
static INSTANT: std::sync::OnceLock<InstantCache> = std::sync::OnceLock::new();

fn serialise(v: &[f32], base64: bool) -> Arc<str> {
    if base64 {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            .to_string()
            .into()
    } else {
        json!(v).to_string().into()
    }
}

/// The instant answer for `text`, serialised on first use.
fn instant_vector(
    cache: &mut std::collections::HashMap<(usize, bool, String), Arc<str>>,
    text: &str,
    dims: usize,
    base64: bool,
) -> Arc<str> {
    cache
        .entry((dims, base64, text.to_string()))
        .or_insert_with(|| serialise(&vector_for(text, dims), base64))
        .clone()
}

/// Serialises the instant double's answers for `texts` ahead of a measurement, in both
/// encodings, so that no side of a benchmark pays for it.
pub fn warm_instant(texts: &[String], dims: usize) {
    let mut c = INSTANT.get_or_init(Default::default).lock().unwrap();
    for t in texts {
        for base64 in [false, true] {
            instant_vector(&mut c, t, dims, base64);
        }
    }
}

/// The benchmark answer: each input's cached vector (distinct texts get distinct vectors, so
/// an HNSW index sees realistic distinct points), written straight into the body.
fn instant_answer(
    req: &Value,
    inputs: &[String],
    dims: usize,
    tokens: &[usize],
    record: impl Fn(Vec<String>, u16, Option<Duration>),
) -> Response {
    let base64 = req["encoding_format"] == "base64";
    let answers: Vec<Arc<str>> = {
        let mut c = INSTANT.get_or_init(Default::default).lock().unwrap();
        inputs
            .iter()
            .map(|t| instant_vector(&mut c, t, dims, base64))
            .collect()
    };
    let one_len = answers.first().map_or(0, |a| a.len());
    let mut body = String::with_capacity(inputs.len() * (one_len + 48) + 128);
    body.push_str("{\"object\": \"list\", \"data\": [");
    for (i, answer) in answers.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "{{\"object\": \"embedding\", \"index\": {i}, \"embedding\": {answer}}}"
        ));
    }
    let total: usize = tokens.iter().sum();
    body.push_str(&format!(
        "], \"model\": {}, \"usage\": {{\"prompt_tokens\": {total}, \"total_tokens\": {total}}}}}",
        req["model"]
    ));
    record(inputs.to_vec(), 200, None);
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
