//! The reliability suite's HTTP side: hostile payloads through SQL and the webhook, and webhook
//! abuse (bad auth, oversized bodies, slow clients, a wrk burst). Like reliability.rs, each
//! scenario asserts nothing is lost or duplicated, then records its row of RELIABILITY.md.

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::{
    free_port, http, lost_and_duplicated, openai_db_unindexed, outcome, peak_rss_mib, record,
    scalar, sidecar_with_double, spawn, status_counts, wait_embedded, wait_ready, Record, Running,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The hostile payloads, each with the outcome the trigger must record.
fn hostile_payloads() -> Vec<(&'static str, String, &'static str)> {
    let turns: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"participant": "customer", "text": "turn {i}"}}"#))
        .collect();
    vec![
        (
            "nesting 10,000 levels deep",
            format!(
                "{{\"conversationId\": \"deep\", \"x\": {}{}}}",
                "[".repeat(10_000),
                "]".repeat(10_000)
            ),
            "invalid",
        ),
        (
            "a 10 MB string",
            format!(
                "{{\"conversationId\": \"long\", \"data\": {{\"subject\": \"{}\"}}}}",
                "refund ".repeat((10 << 20) / 7)
            ),
            // Over cxone.max_payload_bytes (8 MiB): stored as sent, recorded with the reason.
            "invalid",
        ),
        (
            "\\u0000 escapes",
            r#"{"conversationId": "nul", "data": {"subject": "a\u0000b refund"}}"#.into(),
            "queued",
        ),
        (
            "a lone surrogate escape",
            r#"{"conversationId": "lone", "data": {"subject": "\udc00 lone"}}"#.into(),
            "invalid",
        ),
        ("non-object JSON (a number)", "42".into(), "invalid"),
        ("non-object JSON (a string)", r#""hello""#.into(), "invalid"),
        (
            "100,000 turns",
            format!(
                r#"{{"eventId": "many", "data": {{"case": {{"id": "many-turns"}}, "transcript": [{}]}}}}"#,
                turns.join(",")
            ),
            "queued",
        ),
    ]
}

#[test]
fn hostile_payloads_through_sql_and_the_webhook() {
    let db = openai_db_unindexed();
    let mut c = db.connect();
    let port = free_port();
    let double = OpenAiDouble::start(Faults::default());
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_WEBHOOK_TOKEN", "hook-token")
        .env("CXONE_HTTP_BODY_TIMEOUT_SECS", "120");
    let mut sidecar = Running(spawn(cmd.arg("run")));
    wait_ready(port);
    let backend_pid =
        |c: &mut cxone_e2e::postgres::Client| -> i32 { scalar(c, "SELECT pg_backend_pid()", &[]) };
    let pid = backend_pid(&mut c);
    let cases = hostile_payloads();
    let mut ids = Vec::new();
    for (what, payload, want) in &cases {
        // Through SQL: the INSERT succeeds and records the outcome.
        let t = Instant::now();
        let id = cxone_e2e::insert(&mut c, payload);
        let (got, reason) = outcome(&mut c, id);
        assert_eq!(&got, want, "SQL, {what}: {reason:?}");
        println!("SQL, {what}: {got} in {:?}", t.elapsed());
        ids.push(id);
        // Through the webhook, as another conversation: stored as sent, with the same outcome.
        let hooked = payload
            .replacen("\"conversationId\": \"", "\"conversationId\": \"hook-", 1)
            .replacen("\"eventId\": \"", "\"eventId\": \"hook-", 1)
            .replacen("\"id\": \"", "\"id\": \"hook-", 1);
        let (status, body) = http(
            port,
            "POST",
            "/v1/webhooks/cxone",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", "Bearer hook-token"),
            ],
            hooked.as_bytes(),
        );
        assert_eq!(status, 200, "webhook, {what}: {body}");
        let reply: serde_json::Value = serde_json::from_str(&body).unwrap();
        let id = reply["payloads"][0]["id"].as_i64().unwrap();
        let (got, reason) = outcome(&mut c, id);
        assert_eq!(&got, want, "webhook, {what}: {reason:?}");
        ids.push(id);
    }
    // The backend never crashed: the same session is still there.
    assert_eq!(backend_pid(&mut c), pid);
    let stored: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM cxone_payloads WHERE outcome IS NOT NULL AND id = ANY($1)",
        &[&ids],
    );
    assert_eq!(stored, ids.len() as i64);
    wait_embedded(&mut c, 300);
    let counts = status_counts(&mut c);
    let (lost, duplicated) = lost_and_duplicated(&mut c);
    assert_eq!((lost, duplicated), (0, 0), "{counts:?}");
    assert!(sidecar.0.try_wait().unwrap().is_none(), "the sidecar died");
    let kinds: Vec<&str> = cases.iter().map(|(w, _, _)| *w).collect();
    record(Record {
        scenario: "5 · hostile payloads through SQL and the webhook",
        load: format!("{} payloads, each sent both ways", cases.len()),
        faults: kinds.join("; "),
        lost,
        duplicated,
        notes: format!(
            "every payload stored with an outcome (objects queued, the rest invalid with the parser's reason); no backend crash; {} rows embedded",
            counts.get("embedded").copied().unwrap_or(0)
        ),
    });
}

/// Reads what the server sends until it closes the connection or `limit` passes; the time it
/// took, and the text.
fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (Duration, String) {
    let t = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (t.elapsed(), String::from_utf8_lossy(&out).to_string())
}

#[test]
fn webhook_abuse_is_refused_bounded_and_loses_nothing() {
    let db = openai_db_unindexed();
    let mut c = db.connect();
    let double = OpenAiDouble::start(Faults::default());
    let port = free_port();
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_WEBHOOK_TOKEN", "hook-token")
        .env("CXONE_WEBHOOK_MAX_BYTES", "1000000")
        .env("CXONE_HTTP_HEADER_TIMEOUT_SECS", "2")
        .env("CXONE_HTTP_BODY_TIMEOUT_SECS", "2")
        .env("CXONE_LOG", "warn");
    let sidecar = Running(spawn(cmd.arg("run")));
    wait_ready(port);
    let post = |headers: &[(&str, &str)], body: &[u8]| {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        http(port, "POST", "/v1/webhooks/cxone", &h, body)
    };
    let event = br#"{"eventId": "abuse-1", "data": {"case": {"id": "abuse-case"}, "transcript": [{"participant": "customer", "text": "Where is my refund?"}]}}"#;
    let mut refused = Vec::new();
    // Missing and wrong credentials.
    assert_eq!(post(&[], event).0, 401);
    assert_eq!(post(&[("Authorization", "Bearer nope")], event).0, 401);
    assert_eq!(
        post(&[("Authorization", "Bearer hook-token")], event).0,
        200
    );
    refused.push(
        "no auth or a wrong bearer token: 401 (signatures and replays: see the signed-webhook row)",
    );
    // Oversized.
    let big = vec![b' '; 2_000_000];
    assert_eq!(post(&[("Authorization", "Bearer hook-token")], &big).0, 413);
    refused.push("2 MB body over a 1 MB limit: 413");
    // Slow clients: headers that never finish, and a body that trickles, are cut off.
    let mut slow_headers: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"POST /v1/webhooks/cxone HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    let mut slow_body = TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow_body
        .write_all(b"POST /v1/webhooks/cxone HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer hook-token\r\nContent-Length: 1000\r\n\r\n{\"eventId\":")
        .unwrap();
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Meanwhile others are served.
    assert_eq!(http(port, "GET", "/healthz", &[], b"").0, 200);
    let (took, _) = read_until_closed(&mut slow_headers[0], Duration::from_secs(10));
    assert!(
        took < Duration::from_secs(5),
        "slow headers held for {took:?}"
    );
    for s in &mut slow_headers[1..] {
        let (took, _) = read_until_closed(s, Duration::from_secs(10));
        assert!(took < Duration::from_secs(5));
    }
    let (took, reply) = read_until_closed(&mut slow_body, Duration::from_secs(10));
    assert!(
        reply.starts_with("HTTP/1.1 408") && took < Duration::from_secs(5),
        "{took:?} {reply}"
    );
    let (took, _) = read_until_closed(&mut idle, Duration::from_secs(10));
    assert!(took < Duration::from_secs(5), "idle connection held");
    refused.push("50 connections with unfinished headers and one idle: closed after 2 s; a trickling body: 408 after 2 s");
    let rss_before = peak_rss_mib(sidecar.0.id());
    // A burst of 10,000 requests from wrk, 32 connections.
    let burst_started = Instant::now();
    let wrk = wrk_burst(port, 10_000, "hook-token");
    let count_burst = |c: &mut cxone_e2e::postgres::Client| -> i64 {
        scalar(
            c,
            "SELECT count(*) FROM cxone_payloads WHERE source = 'webhook' AND payload->>'eventId' LIKE 'burst-%'",
            &[],
        )
    };
    // Each wrk thread stops sending after its share is answered; the burst is over when
    // 10,000 payloads are stored and no more arrive. Then SIGINT makes wrk print its summary
    // instead of idling to the end of its duration.
    let mut burst_took = Duration::ZERO;
    let (mut last, mut still_since) = (0, Instant::now());
    while burst_started.elapsed() < Duration::from_secs(110) {
        let now = count_burst(&mut c);
        if now >= 10_000 && burst_took.is_zero() {
            burst_took = burst_started.elapsed();
        }
        if now != last {
            (last, still_since) = (now, Instant::now());
        } else if now >= 10_000 && still_since.elapsed() > Duration::from_secs(1) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = std::process::Command::new("kill")
        .args(["-INT", &wrk.id().to_string()])
        .status();
    let (accepted, sent_total, non2xx) = wrk_summary(wrk);
    let stored = count_burst(&mut c);
    assert_eq!(non2xx, 0, "wrk saw refusals");
    assert!(accepted >= 10_000, "only {accepted} requests answered");
    assert!(
        stored >= accepted && stored <= sent_total,
        "{accepted} accepted, {stored} stored, {sent_total} sent"
    );
    let rss_after = peak_rss_mib(sidecar.0.id());
    assert!(rss_after < 256.0, "peak RSS {rss_after:.0} MiB");
    wait_embedded(&mut c, 120);
    let (lost, duplicated) = lost_and_duplicated(&mut c);
    assert_eq!((lost, duplicated), (0, 0), "{:?}", status_counts(&mut c));
    let queued: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings WHERE conversation_id LIKE 'burst-%'",
        &[],
    );
    assert_eq!(queued, stored, "every stored burst payload was queued");
    record(Record {
        scenario: "6 · webhook abuse",
        load: format!(
            "10,000-request burst from wrk (32 connections): {accepted} answered 200, {stored} stored; the first 10,000 in {:.1} s",
            burst_took.as_secs_f64()
        ),
        faults: refused.join("; "),
        lost: (accepted - stored).max(0),
        duplicated,
        notes: format!("sidecar peak RSS {rss_before:.0} MiB before the burst, {rss_after:.0} MiB after; every stored payload queued and embedded"),
    });
}

/// Starts wrk POSTing distinct events until `total` are answered (it then idles until its
/// duration ends or it gets SIGINT).
fn wrk_burst(port: u16, total: usize, token: &str) -> std::process::Child {
    let dir = std::env::temp_dir().join(format!("cxone-wrk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("burst.lua");
    std::fs::write(
        &script,
        format!(
            r#"
local threads = {{}}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
sent = 0
answered = 0
function request()
  sent = sent + 1
  local body = string.format('{{"eventId": "burst-%d-%d", "data": {{"case": {{"id": "burst-%d-%d"}}, "transcript": [{{"participant": "customer", "text": "Burst message %d from thread %d about a refund"}}]}}}}', tid, sent, tid, sent, sent, tid)
  return wrk.format("POST", "/v1/webhooks/cxone", {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}, body)
end
function response(status, headers, body)
  answered = answered + 1
  if answered >= {per_thread} then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local sent_total = 0
  for _, t in ipairs(threads) do sent_total = sent_total + t:get("sent") end
  io.write(string.format("WRK %d %d %d\n", summary.requests, sent_total, summary.errors.status))
end
"#,
            per_thread = total / 2
        ),
    )
    .unwrap();
    std::process::Command::new("wrk")
        .args(["-t2", "-c32", "-d120s", "--timeout", "20s", "-s"])
        .arg(&script)
        .arg(format!("http://127.0.0.1:{port}/v1/webhooks/cxone"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("wrk is installed by scripts/setup.sh")
}

/// (answered 2xx, requests sent, non-2xx) from wrk's summary.
fn wrk_summary(wrk: std::process::Child) -> (i64, i64, i64) {
    let out = wrk.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("WRK "))
        .unwrap_or_else(|| panic!("no summary from wrk: {stdout}"));
    let v: Vec<i64> = line[4..]
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    (v[0] - v[2], v[1], v[2])
}
