//! Ingest: 10,000 eight-turn DFO payloads through INSERT ... SELECT and COPY, with the
//! extension's trigger, against (a) the same table without a trigger, (b) the write floor (that
//! insert plus an insert of the precomputed queue rows, in one transaction) and (c) the
//! PL/pgSQL trigger doing the same mapping, tagging and PII checks.

use crate::measure::{copy_escape, median_time};
use crate::{payloads, plpgsql};
use cxone_e2e::TestDb;
use postgres::Client;
use serde_json::{json, Value};
use std::io::Write;

const RUNS: usize = 5;

/// CPU time the backend of `c` has used so far, all its threads (the ingest helper too):
/// utime + stime from /proc (the benchmark runs on the cluster's machine).
fn backend_cpu(pid: i32) -> std::time::Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name: state is the 3rd field, utime the 14th, stime the 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    // /proc counts in USER_HZ, 100 per second on Linux.
    std::time::Duration::from_millis(ticks * 10)
}

fn copy_in(c: &mut Client, table: &str, payloads: &[String]) {
    let mut w = c
        .copy_in(&format!("COPY {table} (payload) FROM STDIN"))
        .unwrap();
    for p in payloads {
        w.write_all(copy_escape(p).as_bytes()).unwrap();
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
         -- a generated column is computed, not inserted (the copy's rows are all queued).
         ALTER TABLE pre_queue DROP COLUMN IF EXISTS keyword_doc;
         ANALYZE pre_queue;",
    )
    .unwrap();
    let queued: i64 = c
        .query_one("SELECT count(*) FROM pre_queue", &[])
        .unwrap()
        .get(0);
    let pid: i32 = c.query_one("SELECT pg_backend_pid()", &[]).unwrap().get(0);
    // Several closures use the one connection in turn.
    let c = std::cell::RefCell::new(c);
    // The backend's CPU time over the runs of each path, per run.
    let cpu = std::cell::RefCell::new(serde_json::Map::new());
    let timed = |name: &str, reset: &mut dyn FnMut(), run: &mut dyn FnMut()| {
        let mut used = std::time::Duration::ZERO;
        let t = median_time(RUNS, reset, || {
            let before = backend_cpu(pid);
            run();
            used += backend_cpu(pid) - before;
        });
        cpu.borrow_mut()
            .insert(name.into(), json!(ms(used) / RUNS as f64));
        t
    };
    let insert_ext = || {
        c.borrow_mut()
            .batch_execute("INSERT INTO cxone_payloads (payload) SELECT p FROM src")
            .unwrap()
    };
    let trigger_insert = timed(
        "trigger_insert_select",
        &mut || reset_ext(&mut c.borrow_mut()),
        &mut || insert_ext(),
    );
    let trigger_copy = timed(
        "trigger_copy",
        &mut || reset_ext(&mut c.borrow_mut()),
        &mut || copy_in(&mut c.borrow_mut(), "cxone_payloads", &payloads),
    );
    // The same with everything on the backend's own thread (one core).
    c.borrow_mut()
        .batch_execute("SET cxone.ingest_helper_thread = off")
        .unwrap();
    let one_core_insert = timed(
        "trigger_one_thread_insert_select",
        &mut || reset_ext(&mut c.borrow_mut()),
        &mut || insert_ext(),
    );
    let one_core_copy = timed(
        "trigger_one_thread_copy",
        &mut || reset_ext(&mut c.borrow_mut()),
        &mut || copy_in(&mut c.borrow_mut(), "cxone_payloads", &payloads),
    );
    c.borrow_mut()
        .batch_execute("RESET cxone.ingest_helper_thread")
        .unwrap();
    let mut reset_bare = || {
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
    let floor_insert = timed("floor_insert_select", &mut reset_bare, &mut || {
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
    let mut reset_pl = || {
        c.borrow_mut()
            .batch_execute("TRUNCATE pl_payloads, pl_event_keys, pl_queue")
            .unwrap()
    };
    let plpgsql_insert = timed("plpgsql_insert_select", &mut reset_pl, &mut || {
        c.borrow_mut()
            .batch_execute("INSERT INTO pl_payloads (payload) SELECT p FROM src")
            .unwrap()
    });
    let plpgsql_copy = timed("plpgsql_copy", &mut reset_pl, &mut || {
        copy_in(&mut c.borrow_mut(), "pl_payloads", &payloads)
    });
    let pl_queued: i64 = c
        .borrow_mut()
        .query_one("SELECT count(*) FROM pl_queue", &[])
        .unwrap()
        .get(0);
    let rust_cpu = trigger_cpu(&payloads);
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
            "trigger_one_thread_insert_select": ms(one_core_insert),
            "trigger_one_thread_copy": ms(one_core_copy),
            "plpgsql_insert_select": ms(plpgsql_insert),
            "plpgsql_copy": ms(plpgsql_copy),
        },
        "backend_cpu_ms_per_run": cpu.into_inner(),
        "trigger_cpu_ms": ms(rust_cpu),
        "ratios": {
            "trigger_vs_floor_insert_select": ms(trigger_insert) / ms(floor_insert),
            "trigger_vs_floor_copy": ms(trigger_copy) / ms(floor_copy),
            "plpgsql_vs_trigger_insert_select": ms(plpgsql_insert) / ms(trigger_insert),
            "plpgsql_vs_trigger_copy": ms(plpgsql_copy) / ms(trigger_copy),
            "plpgsql_vs_trigger_one_thread_insert_select": ms(plpgsql_insert) / ms(one_core_insert),
            "plpgsql_vs_trigger_one_thread_copy": ms(plpgsql_copy) / ms(one_core_copy),
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
