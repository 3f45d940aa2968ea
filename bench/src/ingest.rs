//! Ingest: 10,000 eight-turn DFO payloads through INSERT ... SELECT and COPY, with the
//! extension's trigger, against (a) the same table without a trigger, (b) the write floor (that
//! insert plus an insert of the precomputed queue rows, in one transaction) and (c) the
//! PL/pgSQL trigger doing the same mapping, tagging and PII checks.

use crate::{median_time, payloads, plpgsql};
use cxone_e2e::TestDb;
use postgres::Client;
use serde_json::{json, Value};
use std::io::Write;

const RUNS: usize = 5;

fn copy_in(c: &mut Client, table: &str, payloads: &[String]) {
    let mut w = c
        .copy_in(&format!("COPY {table} (payload) FROM STDIN"))
        .unwrap();
    for p in payloads {
        w.write_all(crate::copy_escape(p).as_bytes()).unwrap();
        w.write_all(b"\n").unwrap();
    }
    w.finish().unwrap();
}

pub fn run(n: usize) -> Value {
    let db = TestDb::new();
    let mut c = db.connect();
    let payloads = payloads::dfo(n, "ingest");
    c.execute(
        "CREATE TABLE src AS SELECT p::json AS p FROM unnest($1::text[]) AS p",
        &[&payloads],
    )
    .unwrap();
    c.batch_execute(
        "CREATE TABLE bare (LIKE cxone_payloads INCLUDING ALL);
         CREATE TABLE floor_queue (LIKE conversation_embeddings INCLUDING ALL);
         ANALYZE src;",
    )
    .unwrap();
    c.batch_execute(plpgsql::SQL).unwrap();
    let reset_ext = |c: &mut Client| {
        c.batch_execute("TRUNCATE cxone_payloads, conversation_embeddings, _cxone_event_keys")
            .unwrap()
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    // The extension's trigger, once to warm up and to keep its queue rows for the floor.
    reset_ext(&mut c);
    c.batch_execute("INSERT INTO cxone_payloads (payload) SELECT p FROM src")
        .unwrap();
    c.batch_execute(
        "CREATE TABLE pre_queue AS SELECT * FROM conversation_embeddings;
         ANALYZE pre_queue;",
    )
    .unwrap();
    let queued: i64 = c
        .query_one("SELECT count(*) FROM pre_queue", &[])
        .unwrap()
        .get(0);
    // Several closures use the one connection in turn.
    let c = std::cell::RefCell::new(c);
    let trigger_insert = median_time(
        RUNS,
        || reset_ext(&mut c.borrow_mut()),
        || {
            c.borrow_mut()
                .batch_execute("INSERT INTO cxone_payloads (payload) SELECT p FROM src")
                .unwrap()
        },
    );
    let trigger_copy = median_time(
        RUNS,
        || reset_ext(&mut c.borrow_mut()),
        || copy_in(&mut c.borrow_mut(), "cxone_payloads", &payloads),
    );
    let reset_bare = || {
        c.borrow_mut()
            .batch_execute("TRUNCATE bare, floor_queue")
            .unwrap()
    };
    let bare_insert = median_time(RUNS, reset_bare, || {
        c.borrow_mut()
            .batch_execute("INSERT INTO bare (payload) SELECT p FROM src")
            .unwrap()
    });
    let bare_copy = median_time(RUNS, reset_bare, || {
        copy_in(&mut c.borrow_mut(), "bare", &payloads)
    });
    let floor_insert = median_time(RUNS, reset_bare, || {
        c.borrow_mut()
            .batch_execute(
                "BEGIN; INSERT INTO bare (payload) SELECT p FROM src;
                 INSERT INTO floor_queue SELECT * FROM pre_queue; COMMIT;",
            )
            .unwrap()
    });
    let floor_copy = median_time(RUNS, reset_bare, || {
        let mut cl = c.borrow_mut();
        cl.batch_execute("BEGIN").unwrap();
        copy_in(&mut cl, "bare", &payloads);
        cl.batch_execute("INSERT INTO floor_queue SELECT * FROM pre_queue; COMMIT")
            .unwrap();
    });
    let reset_pl = || {
        c.borrow_mut()
            .batch_execute("TRUNCATE pl_payloads, pl_event_keys, pl_queue")
            .unwrap()
    };
    let plpgsql_insert = median_time(RUNS, reset_pl, || {
        c.borrow_mut()
            .batch_execute("INSERT INTO pl_payloads (payload) SELECT p FROM src")
            .unwrap()
    });
    let plpgsql_copy = median_time(RUNS, reset_pl, || {
        copy_in(&mut c.borrow_mut(), "pl_payloads", &payloads)
    });
    let pl_queued: i64 = c
        .borrow_mut()
        .query_one("SELECT count(*) FROM pl_queue", &[])
        .unwrap()
        .get(0);
    let cpu = trigger_cpu(&payloads);
    let words: usize = payloads.iter().map(|p| payloads::words(p)).sum();
    json!({
        "payloads": n,
        "turns_per_payload": 8,
        "words_per_payload": words as f64 / n as f64,
        "queue_rows": queued,
        "plpgsql_queue_rows": pl_queued,
        "runs": RUNS,
        "ms": {
            "bare_insert_select": ms(bare_insert),
            "bare_copy": ms(bare_copy),
            "floor_insert_select": ms(floor_insert),
            "floor_copy": ms(floor_copy),
            "trigger_insert_select": ms(trigger_insert),
            "trigger_copy": ms(trigger_copy),
            "plpgsql_insert_select": ms(plpgsql_insert),
            "plpgsql_copy": ms(plpgsql_copy),
        },
        "trigger_cpu_ms": ms(cpu),
        "ratios": {
            "trigger_vs_floor_insert_select": ms(trigger_insert) / ms(floor_insert),
            "trigger_vs_floor_copy": ms(trigger_copy) / ms(floor_copy),
            "plpgsql_vs_trigger_insert_select": ms(plpgsql_insert) / ms(trigger_insert),
            "plpgsql_vs_trigger_copy": ms(plpgsql_copy) / ms(trigger_copy),
        },
        "targets": {"trigger_vs_floor_max": 1.5, "plpgsql_vs_trigger_min": 3.0}
    })
}

/// The trigger's own work without the database: parse, envelope, map, tag, chunk and the
/// metadata's JSON text, in this process with the seeded configuration (median of RUNS).
fn trigger_cpu(payloads: &[String]) -> std::time::Duration {
    use cxone_core::envelope::Envelope;
    use cxone_core::ingest::{parse_payload, prepare, IngestConfig};
    let cfg = IngestConfig::seeded(false);
    median_time(
        RUNS,
        || {},
        || {
            for p in payloads {
                let v = parse_payload(p).unwrap();
                let env = Envelope::extract(&v, &cfg.mapping);
                let row = prepare(&v, &env, &cfg).unwrap();
                std::hint::black_box(serde_json::to_string(&row.metadata).unwrap());
            }
        },
    )
}
