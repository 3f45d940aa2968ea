//! Messages: real-shape CXone message events (one message each, then the case's closing status
//! change) recorded and assembled into conversations inside the database.
//! - bulk: n events (a tenth of them conversations: nine messages and the close each) in one
//!   INSERT ... SELECT, against the write floor: the same payloads into a table without a
//!   trigger plus the rows the extension derived (messages, conversations, queue rows) copied
//!   in, in one transaction;
//! - one event per statement (the webhook's case): single-row INSERTs, against the same into
//!   the table without a trigger;
//! - close to embedded: at a steady rate, with `cxone-sidecar run` and the instant double, the
//!   time from a case's closing event to its conversation's row being embedded.

use crate::measure::median_time;
use cxone_e2e::{wait_embedded, TestDb};
use postgres::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const MESSAGES_PER_CASE: usize = 9;
const SINGLE_EVENTS: usize = 2_000;
/// Conversations per second in the latency run: each three messages and a close.
const CASES_PER_S: u64 = 10;
const SECONDS: u64 = 30;

/// The events of `cases` conversations, each `messages` messages (customer and agent in turn)
/// then a `CaseStatusChanged` to `closed`, in order.
pub fn events(cases: usize, messages: usize, tag: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(cases * (messages + 1));
    for n in 0..cases {
        let case = format!("{tag}-{n}");
        let at =
            |m: usize| chrono_like(1_714_640_400 + (n * 60 + m) as i64, (m * 37 % 1000) as u32);
        for m in 0..messages {
            let customer = m % 2 == 0;
            let t = at(m);
            out.push(
                json!({
                    "eventId": format!("{case}-e{m}"),
                    "eventType": "MessageAddedIntoCase",
                    "createdAtWithMilliseconds": t,
                    "data": {
                        "case": {"id": case, "status": "open", "statusUpdatedAt": t, "direction": "inbound"},
                        "channel": {"name": "Website chat", "realExternalPlatformId": "chat", "mediaType": 3},
                        "brand": {"id": 6435, "tenantId": "11ee2f4a-0000-4000-8000-00000000a1b2"},
                        "message": {
                            "id": format!("{case}-m{m}"),
                            "contactNumber": case,
                            "direction": if customer { "inbound" } else { "outbound" },
                            "createdAtWithMilliseconds": t,
                            "authorEndUserIdentity": if customer { json!({"id": format!("chat_{n}")}) } else { Value::Null },
                            "authorUser": if customer { Value::Null } else { json!({"id": 62719001, "isBotUser": false, "isSurveyUser": false}) },
                            "messageContent": {"type": "TEXT", "text": line(n, m, customer)},
                            "sentiment": "neutral"
                        }
                    }
                })
                .to_string(),
            );
        }
        let t = at(messages);
        out.push(
            json!({
                "eventId": format!("{case}-close"),
                "eventType": "CaseStatusChanged",
                "createdAtWithMilliseconds": t,
                "data": {"case": {"id": case, "status": "closed", "statusUpdatedAt": t}}
            })
            .to_string(),
        );
    }
    out
}

fn line(n: usize, m: usize, customer: bool) -> String {
    const CUSTOMER: [&str; 3] = [
        "I was charged twice for my card payment",
        "my new card has not arrived yet",
        "why is the exchange rate so bad today",
    ];
    const AGENT: [&str; 2] = [
        "Thanks for waiting, let me check that for you.",
        "I have raised it with the team; anything else?",
    ];
    match customer {
        true => format!("{} (case {n}, turn {m})", CUSTOMER[(n + m) % 3]),
        false => AGENT[m % 2].to_string(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmm+00:00` for seconds since the epoch.
fn chrono_like(secs: i64, ms: u32) -> String {
    chrono::DateTime::from_timestamp(secs, ms * 1_000_000)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string()
}

fn reset(c: &mut Client) {
    c.batch_execute(
        "TRUNCATE cxone_payloads, conversation_embeddings, _cxone_event_keys, cxone_messages, cxone_conversations",
    )
    .unwrap();
}

pub fn run(n: usize) -> Value {
    let db = TestDb::new();
    let mut c = db.connect();
    let cases = (n / (MESSAGES_PER_CASE + 1)).max(1);
    let payloads = events(cases, MESSAGES_PER_CASE, "bulk");
    c.execute(
        "CREATE TABLE src AS SELECT p::json AS p FROM unnest($1::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i",
        &[&payloads],
    )
    .unwrap();
    c.batch_execute("CREATE TABLE bare (LIKE cxone_payloads INCLUDING ALL); ANALYZE src;")
        .unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let ext = median_time(
        RUNS,
        || reset(&mut db.connect()),
        || {
            db.connect()
                .batch_execute("INSERT INTO cxone_payloads (payload) SELECT p FROM src")
                .unwrap();
        },
    );
    let queued: i64 = c
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    assert_eq!(queued as usize, cases, "each conversation queued once");
    // The floor: what the extension wrote, written without it.
    c.batch_execute(
        "CREATE TABLE m_copy AS SELECT * FROM cxone_messages;
         CREATE TABLE c_copy AS SELECT * FROM cxone_conversations;
         CREATE TABLE q_copy AS SELECT * FROM conversation_embeddings;
         -- a generated column is computed, not inserted (the copy's rows are all queued).
         ALTER TABLE q_copy DROP COLUMN IF EXISTS keyword_doc;
         CREATE TABLE floor_m (LIKE cxone_messages INCLUDING ALL);
         CREATE TABLE floor_c (LIKE cxone_conversations INCLUDING ALL);
         CREATE TABLE floor_q (LIKE conversation_embeddings INCLUDING ALL);",
    )
    .unwrap();
    let floor = median_time(
        RUNS,
        || {
            db.connect()
                .batch_execute("TRUNCATE bare, floor_m, floor_c, floor_q")
                .unwrap()
        },
        || {
            db.connect()
                .batch_execute(
                    "BEGIN;
                     INSERT INTO bare (payload) SELECT p FROM src;
                     INSERT INTO floor_m SELECT * FROM m_copy;
                     INSERT INTO floor_c SELECT * FROM c_copy;
                     INSERT INTO floor_q SELECT * FROM q_copy;
                     COMMIT;",
                )
                .unwrap();
        },
    );
    // One event per statement.
    let singles = events(
        SINGLE_EVENTS / (MESSAGES_PER_CASE + 1),
        MESSAGES_PER_CASE,
        "one",
    );
    let per_event = |c: &mut Client, table: &str| {
        let insert = c
            .prepare(&format!(
                "INSERT INTO {table} (payload) VALUES ($1::text::json)"
            ))
            .unwrap();
        let t = Instant::now();
        for p in &singles {
            c.execute(&insert, &[p]).unwrap();
        }
        t.elapsed().as_secs_f64() * 1e6 / singles.len() as f64
    };
    reset(&mut c);
    c.batch_execute("TRUNCATE bare").unwrap();
    let single_bare = per_event(&mut c, "bare");
    let single_ext = per_event(&mut c, "cxone_payloads");
    let latency = close_to_embedded();
    json!({
        "events": payloads.len(),
        "conversations": cases,
        "messages_per_conversation": MESSAGES_PER_CASE,
        "bulk_ms": ms(ext),
        "floor_ms": ms(floor),
        "bulk_events_per_s": payloads.len() as f64 / ext.as_secs_f64(),
        "floor_events_per_s": payloads.len() as f64 / floor.as_secs_f64(),
        "ratio_vs_floor": ext.as_secs_f64() / floor.as_secs_f64(),
        "single_events": singles.len(),
        "single_us_per_event": single_ext,
        "single_bare_us_per_event": single_bare,
        "single_ratio_vs_bare": single_ext / single_bare,
        "latency": latency,
        "targets": {"bulk_vs_floor_max": 6.0, "single_vs_bare_max": 3.0, "close_p99_ms_max": 250}
    })
}

/// Close to embedded, at a steady rate of conversations (three messages, then the close).
fn close_to_embedded() -> Value {
    let (db, _double, _sidecar) = crate::latency::instant_sidecar();
    let mut c = db.connect();
    let cases = (CASES_PER_S * SECONDS) as usize;
    let payloads = events(cases, 3, "lat");
    let rate = CASES_PER_S * 4;
    let sent_for = crate::latency::send_steadily(&mut c, &payloads, rate);
    wait_embedded(&mut c, 120);
    let row = c
        .query_one(
            "SELECT count(*),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY d),
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY d),
                    max(d)
               FROM (SELECT extract(epoch FROM e.embedded_at - p.received_at)::float8 * 1000 AS d
                       FROM conversation_embeddings e
                       JOIN cxone_payloads p ON p.id = e.payload_id
                      WHERE e.status = 'embedded' AND p.payload->>'eventType' = 'CaseStatusChanged') s",
            &[],
        )
        .unwrap();
    json!({
        "conversations": cases,
        "events_per_s": rate,
        "achieved_events_per_s": payloads.len() as f64 / sent_for,
        "embedded": row.get::<_, i64>(0),
        "p50_ms": row.get::<_, f64>(1),
        "p99_ms": row.get::<_, f64>(2),
        "max_ms": row.get::<_, f64>(3),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_civil_dates() {
        assert_eq!(
            super::chrono_like(1_714_640_400, 7),
            "2024-05-02T09:00:00.007+00:00"
        );
        assert_eq!(super::chrono_like(0, 0), "1970-01-01T00:00:00.000+00:00");
    }
}
