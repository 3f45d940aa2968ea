//! Latency: INSERT to embedded at a steady 50 payloads per second (one INSERT each), with the
//! sidecar running (`run`, woken by NOTIFY) against the instant double.

use crate::payloads;
use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::{
    free_port, sidecar, spawn, wait_embedded, wait_ready, with_double, Running, TestDb,
};
use postgres::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const RATE: u64 = 50;
const SECONDS: u64 = 30;

/// A database on the OpenAI-shaped setup and `cxone-sidecar run` against the instant double,
/// ready; keep all three alive for the run.
pub fn instant_sidecar() -> (TestDb, OpenAiDouble, Running) {
    let double = OpenAiDouble::start(Faults {
        instant: true,
        ..Faults::default()
    });
    let db = cxone_e2e::openai_db_unindexed();
    let port = free_port();
    let mut cmd = sidecar();
    with_double(&mut cmd, &db, &double);
    cmd.env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("OPENAI_DIMENSIONS", "1536")
        .env("CXONE_LOG", "warn");
    let running = Running(spawn(cmd.arg("run")));
    wait_ready(port);
    (db, double, running)
}

/// Inserts `payloads` one INSERT each at a steady `rate` per second; returns the seconds it
/// took.
pub fn send_steadily(c: &mut Client, payloads: &[String], rate: u64) -> f64 {
    let insert = c
        .prepare("INSERT INTO cxone_payloads (payload) VALUES ($1::text::json)")
        .unwrap();
    let start = Instant::now();
    for (i, p) in payloads.iter().enumerate() {
        let due = start + Duration::from_micros(i as u64 * 1_000_000 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        c.execute(&insert, &[p]).unwrap();
    }
    start.elapsed().as_secs_f64()
}

pub fn run() -> Value {
    let (db, _double, _sidecar) = instant_sidecar();
    let mut c = db.connect();
    let n = (RATE * SECONDS) as usize;
    let payloads = payloads::dfo(n, "latency");
    let sent_for = send_steadily(&mut c, &payloads, RATE);
    wait_embedded(&mut c, 120);
    let row = c
        .query_one(
            "SELECT count(*),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY d),
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY d),
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY d),
                    max(d)
               FROM (SELECT extract(epoch FROM embedded_at - created_at)::float8 * 1000 AS d
                       FROM conversation_embeddings WHERE status = 'embedded') s",
            &[],
        )
        .unwrap();
    json!({
        "payloads": n,
        "rate_per_s": RATE,
        "achieved_rate_per_s": n as f64 / sent_for,
        "embedded": row.get::<_, i64>(0),
        "p50_ms": row.get::<_, f64>(1),
        "p95_ms": row.get::<_, f64>(2),
        "p99_ms": row.get::<_, f64>(3),
        "max_ms": row.get::<_, f64>(4),
        "targets": {"p50_ms_max": 50, "p99_ms_max": 250}
    })
}
