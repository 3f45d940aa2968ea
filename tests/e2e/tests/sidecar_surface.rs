//! The sidecar's HTTP surface, against the real binary: `/v1/embeddings` needs its key and caps
//! its requests; webhooks without credentials are refused before their body is read; a client
//! that stops reading a response is cut off; webhooks on an address of their own; search
//! traffic shares the provider's in-flight limit with the worker; `--help` explains the
//! settings and never shows the key.

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::{
    free_port, http, ingest_banking77, openai_db_unindexed, sidecar, sidecar_with_double, spawn,
    wait_embedded, wait_ready, Running, TestDb,
};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

/// What tests/e2e/src/lib.rs `sidecar()` sets as CXONE_EMBEDDINGS_API_KEY.
const KEY: &str = "cxone-test-embeddings-key";

/// `cxone-sidecar run` on a free port with the extra settings; waits until it is ready.
fn start(cmd: &mut Command, db: &TestDb, extra: &[(&str, &str)]) -> (Running, u16) {
    let port = free_port();
    cmd.env("DATABASE_URL", db.url())
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_POLL_SECS", "1");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = Running(spawn(cmd.arg("run")));
    wait_ready(port);
    (child, port)
}

fn embed(port: u16, auth: Option<&str>, body: &str) -> (u16, Value) {
    let bearer = auth.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b));
    }
    let (status, reply) = http(port, "POST", "/v1/embeddings", &headers, body.as_bytes());
    (status, serde_json::from_str(&reply).unwrap_or(Value::Null))
}

fn message(reply: &Value) -> &str {
    reply["error"]["message"].as_str().unwrap_or("")
}

#[test]
fn help_explains_the_new_settings_and_never_shows_the_key() {
    let out = sidecar()
        .env("CXONE_EMBEDDINGS_API_KEY", "help-secret-k3y")
        .arg("--help")
        .output()
        .expect("run cxone-sidecar --help");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for setting in [
        "CXONE_EMBEDDINGS_API_KEY",
        "CXONE_EMBEDDINGS_API_KEY_FILE",
        "CXONE_EMBEDDINGS_MAX_INPUTS",
        "CXONE_EMBEDDINGS_MAX_BYTES",
        "CXONE_WEBHOOK_ADDR",
        "CXONE_HTTP_WRITE_TIMEOUT_SECS",
    ] {
        assert!(help.contains(setting), "--help lacks {setting}:\n{help}");
    }
    assert!(!help.contains("help-secret-k3y"), "the key is in --help");
}

#[test]
fn embeddings_need_the_key_and_cap_their_requests() {
    let db = TestDb::new();
    let (_sidecar, port) = start(
        &mut sidecar(),
        &db,
        &[
            ("CXONE_EMBEDDINGS_MAX_INPUTS", "4"),
            ("CXONE_EMBEDDINGS_MAX_BYTES", "2000"),
        ],
    );
    let hello = r#"{"model": "all-MiniLM-L6-v2", "input": ["hello", "world"]}"#;
    for auth in [None, Some("wrong-key"), Some("")] {
        let (status, reply) = embed(port, auth, hello);
        assert_eq!(status, 401, "{auth:?}: {reply}");
        assert_eq!(reply["error"]["code"], "invalid_api_key");
        assert!(
            message(&reply).contains("CXONE_EMBEDDINGS_API_KEY"),
            "{reply}"
        );
        assert!(!reply.to_string().contains(KEY), "the key is in the reply");
    }
    let (status, reply) = embed(port, Some(KEY), hello);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["data"].as_array().unwrap().len(), 2);
    assert_eq!(reply["data"][0]["embedding"].as_array().unwrap().len(), 384);
    let five = r#"{"input": ["a", "b", "c", "d", "e"]}"#;
    let (status, reply) = embed(port, Some(KEY), five);
    assert_eq!(status, 400, "{reply}");
    assert!(
        message(&reply).contains("CXONE_EMBEDDINGS_MAX_INPUTS"),
        "{reply}"
    );
    let long = format!(r#"{{"input": "{}"}}"#, "refund ".repeat(400));
    let (status, reply) = embed(port, Some(KEY), &long);
    assert_eq!(status, 413, "{reply}");
    assert!(
        message(&reply).contains("CXONE_EMBEDDINGS_MAX_BYTES"),
        "{reply}"
    );

    // Without a key the endpoint is off and says which setting to set.
    let mut keyless = sidecar();
    keyless.env_remove("CXONE_EMBEDDINGS_API_KEY");
    let (_keyless, port) = start(&mut keyless, &db, &[]);
    let (status, reply) = embed(port, Some(KEY), hello);
    assert_eq!(status, 503, "{reply}");
    assert!(
        message(&reply).contains("CXONE_EMBEDDINGS_API_KEY"),
        "{reply}"
    );

    // The key from a file; an unreadable file stops the sidecar with a message naming it.
    let file = std::env::temp_dir().join(format!("cxone-surface-key-{}", std::process::id()));
    std::fs::write(&file, "file-k3y-0123456789\n").unwrap();
    let mut from_file = sidecar();
    from_file
        .env_remove("CXONE_EMBEDDINGS_API_KEY")
        .env("CXONE_EMBEDDINGS_API_KEY_FILE", &file);
    let (_from_file, port) = start(&mut from_file, &db, &[]);
    assert_eq!(embed(port, Some(KEY), hello).0, 401);
    assert_eq!(embed(port, Some("file-k3y-0123456789"), hello).0, 200);
    std::fs::remove_file(&file).unwrap();
    let out = sidecar()
        .env_remove("CXONE_EMBEDDINGS_API_KEY")
        .env("CXONE_EMBEDDINGS_API_KEY_FILE", &file)
        .env("DATABASE_URL", db.url())
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{}", free_port()))
        .arg("run")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("CXONE_EMBEDDINGS_API_KEY_FILE")
            && stderr.contains(&*file.to_string_lossy()),
        "{stderr}"
    );
}

/// Sends `head` (request line and headers) and `body_part`, then waits for a reply without
/// sending the rest of the body; (the reply's first line, how long it took).
fn reply_without_the_whole_body(port: u16, head: &str, body_part: &[u8]) -> (String, Duration) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let started = Instant::now();
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body_part).unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    // The first line is enough: the rest of the body is never sent.
    while !reply.windows(2).any(|w| w == b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&reply).to_string();
    (
        text.lines().next().unwrap_or("").to_string(),
        started.elapsed(),
    )
}

#[test]
fn webhooks_without_credentials_are_refused_before_their_body_is_read() {
    let db = TestDb::new();
    let secret = "hook-secret";
    let (_sidecar, port) = start(
        &mut sidecar(),
        &db,
        &[
            ("CXONE_WEBHOOK_TOKEN", "hook-token"),
            ("CXONE_HTTP_BODY_TIMEOUT_SECS", "30"),
        ],
    );
    // 10 MB announced (under the 16 MiB limit), 1 KB sent: an answer within seconds can only
    // come from a server that did not wait for the body (that would take the 30 s timeout).
    let head = |auth: &str, extra: &str| {
        format!(
            "POST /v1/webhooks/cxone HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 10000000\r\n{auth}{extra}\r\n"
        )
    };
    let part = vec![b' '; 1024];
    for auth in [
        "",
        "Authorization: Bearer wrong\r\n",
        "Authorization: Basic aG9vaw==\r\n",
    ] {
        let (line, took) = reply_without_the_whole_body(port, &head(auth, ""), &part);
        assert!(line.starts_with("HTTP/1.1 401"), "{auth:?}: {line}");
        assert!(took < Duration::from_secs(5), "{auth:?}: took {took:?}");
    }
    // A client that waits for 100 Continue before sending its body is refused without being
    // asked for it; with the right token it is asked (hyper sends 100 Continue only when the
    // body is read).
    let expect = "Expect: 100-continue\r\n";
    let (line, took) = reply_without_the_whole_body(port, &head("", expect), b"");
    assert!(line.starts_with("HTTP/1.1 401"), "{line}");
    assert!(took < Duration::from_secs(5));
    let good = "Authorization: Bearer hook-token\r\n";
    let (line, _) = reply_without_the_whole_body(port, &head(good, expect), b"");
    assert!(line.starts_with("HTTP/1.1 100"), "{line}");

    // Signatures: without the headers the body is not read either.
    let mut signed = sidecar();
    let (_signed, port) = start(
        &mut signed,
        &db,
        &[
            ("CXONE_WEBHOOK_SECRET", secret),
            ("CXONE_HTTP_BODY_TIMEOUT_SECS", "30"),
        ],
    );
    let (line, took) = reply_without_the_whole_body(port, &head("", ""), &part);
    assert!(
        line.starts_with("HTTP/1.1 401") && took < Duration::from_secs(5),
        "{line} {took:?}"
    );
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let body = br#"{"eventId": "surface-1", "data": {"case": {"id": "surface-case"}}}"#;
    let sig = cxone_e2e::sign(secret, &ts, body);
    let (status, reply) = http(
        port,
        "POST",
        "/v1/webhooks/cxone",
        &[
            ("Content-Type", "application/json"),
            ("X-Nexus-Signature-256", &sig),
            ("X-Nexus-Timestamp", &ts),
        ],
        body,
    );
    assert_eq!(status, 200, "{reply}");
}

#[test]
fn a_separate_webhook_address_serves_only_webhooks() {
    let db = TestDb::new();
    let hooks = free_port();
    let (_sidecar, internal) = start(
        &mut sidecar(),
        &db,
        &[
            ("CXONE_WEBHOOK_TOKEN", "hook-token"),
            ("CXONE_WEBHOOK_ADDR", &format!("127.0.0.1:{hooks}")),
        ],
    );
    let event = br#"{"eventId": "split-1", "data": {"case": {"id": "split-case"}}}"#;
    let hook = |port| {
        http(
            port,
            "POST",
            "/v1/webhooks/cxone",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", "Bearer hook-token"),
            ],
            event,
        )
        .0
    };
    assert_eq!(hook(hooks), 200);
    assert_eq!(hook(internal), 404);
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(http(hooks, "GET", path, &[], b"").0, 404, "{path}");
        assert_eq!(http(internal, "GET", path, &[], b"").0, 200, "{path}");
    }
    let hello = r#"{"input": "hello"}"#;
    assert_eq!(embed(hooks, Some(KEY), hello).0, 404);
    assert_eq!(embed(internal, Some(KEY), hello).0, 200);
}

#[test]
fn a_client_that_stops_reading_a_response_is_cut_off() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db_unindexed();
    let mut cmd = sidecar_with_double(&db, &double);
    let (_sidecar, port) = start(&mut cmd, &db, &[("CXONE_HTTP_WRITE_TIMEOUT_SECS", "2")]);
    // 1,500 vectors of 1,536 dimensions as JSON: about 25 MB, more than the socket buffers of
    // both ends hold, so the server must wait for this client to read.
    let inputs: Vec<String> = (0..1500).map(|i| format!("text {i}")).collect();
    let body = serde_json::json!({"input": inputs}).to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {KEY}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    // Read nothing for well over the write timeout, then everything that is left.
    std::thread::sleep(Duration::from_secs(8));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got[..got.len().min(4096)]).to_string();
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..text.len().min(200)]
    );
    let length: usize = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    assert!(
        got.len() < length,
        "the whole response ({length} bytes) arrived: the server waited for the reader"
    );
    // The sidecar itself is fine.
    assert_eq!(http(port, "GET", "/healthz", &[], b"").0, 200);
}

#[test]
fn search_traffic_shares_the_providers_in_flight_limit() {
    let stall = Duration::from_millis(300);
    let double = OpenAiDouble::start(Faults {
        stall,
        ..Faults::default()
    });
    let db = openai_db_unindexed();
    let mut c = db.connect();
    let mut cmd = sidecar_with_double(&db, &double);
    let (_sidecar, port) = start(
        &mut cmd,
        &db,
        &[
            ("CXONE_REQUESTS_IN_FLIGHT", "1"),
            ("CXONE_MAX_INPUTS_PER_REQUEST", "5"),
        ],
    );
    // The worker's batches and four searches at once, all for one provider slot.
    ingest_banking77(&mut c, 20, "shared");
    let searches: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || {
                embed(port, Some(KEY), &format!(r#"{{"input": "query {i}"}}"#)).0
            })
        })
        .collect();
    for s in searches {
        assert_eq!(s.join().unwrap(), 200);
    }
    wait_embedded(&mut c, 60);
    // Each request takes the stall; with one slot their answers are at least that far apart.
    let mut answered: Vec<Instant> = double
        .log()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.at)
        .collect();
    answered.sort();
    assert!(answered.len() >= 4 + 4, "{} requests", answered.len());
    for w in answered.windows(2) {
        let gap = w[1] - w[0];
        assert!(
            gap >= stall * 8 / 10,
            "two provider requests overlapped: answers {gap:?} apart"
        );
    }
}
