//! Pipeline overhead: pending to embedded through the sidecar's `openai` provider pointed at an
//! instant embeddings double (1536 dimensions), so that what is measured is the sidecar's own
//! claiming, batching, decoding and write-back. Baselines in the same run: the tutorial-style
//! loop (a new HTTP client per request, batches of at most 200 inputs or 8,000 estimated
//! tokens, float JSON, one INSERT per row) and a plain COPY of the same vectors (the floor).
//! Then the same with the HNSW index kept up to date, against a COPY into the indexed table.

use crate::payloads;
use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::{run_to_end, sidecar, with_double, TestDb};
use pgvector::Vector;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{Kind, Type};
use postgres::Client;
use serde_json::{json, Value};
use std::time::Instant;

const DIMS: usize = 1536;

fn queue(db: &TestDb, n: usize, tag: &str) -> Client {
    let mut c = db.connect();
    c.execute(
        "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
        &[&payloads::dfo(n, tag)],
    )
    .unwrap();
    c.batch_execute("VACUUM ANALYZE conversation_embeddings")
        .unwrap();
    c
}

/// The sidecar's `backfill` (with `extra` arguments) to the end; (seconds, requests, largest
/// request in inputs).
fn sidecar_backfill(db: &TestDb, double: &OpenAiDouble, extra: &[&str]) -> (f64, usize, usize) {
    let before = double.log().len();
    let mut cmd = sidecar();
    with_double(&mut cmd, db, double);
    cmd.env("OPENAI_DIMENSIONS", DIMS.to_string())
        .env("CXONE_LOG", "warn");
    let t = Instant::now();
    let out = run_to_end(cmd.arg("backfill").args(extra));
    let secs = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let failed: Vec<(i64, Option<String>)> = db
        .connect()
        .query(
            "SELECT count(*), min(last_error) FROM conversation_embeddings WHERE status <> 'embedded'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        failed[0].0,
        0,
        "not embedded: {failed:?}; {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = double.log();
    let largest = log[before..]
        .iter()
        .map(|r| r.inputs.len())
        .max()
        .unwrap_or(0);
    (secs, log.len() - before, largest)
}

/// What the original tutorial's code does; (seconds, requests).
fn tutorial(c: &mut Client, double: &OpenAiDouble) -> (f64, usize) {
    c.batch_execute(
        "DROP TABLE IF EXISTS tutorial_embeddings;
         CREATE TABLE tutorial_embeddings (id bigserial PRIMARY KEY, conversation_id text, text_content text, embedding vector(1536))",
    )
    .unwrap();
    let rows: Vec<(String, String)> = c
        .query(
            "SELECT conversation_id, text_content FROM conversation_embeddings ORDER BY created_at",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let t = Instant::now();
    let mut requests = 0;
    let mut i = 0;
    while i < rows.len() {
        // Batches of at most 200 inputs or 8,000 estimated tokens (characters / 4).
        let mut j = i;
        let mut tokens = 0;
        while j < rows.len() && j - i < 200 && tokens + rows[j].1.len() / 4 <= 8000 {
            tokens += rows[j].1.len() / 4;
            j += 1;
        }
        let j = j.max(i + 1);
        let inputs: Vec<&str> = rows[i..j].iter().map(|r| r.1.as_str()).collect();
        let client = reqwest::blocking::Client::new(); // a new client (and connection) each time
        let resp: Value = client
            .post(format!("{}/embeddings", double.base_url()))
            .bearer_auth(&double.key)
            .json(&json!({"model": "text-embedding-3-small", "input": inputs}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        requests += 1;
        for (k, item) in resp["data"].as_array().unwrap().iter().enumerate() {
            let v: Vec<String> = item["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.to_string())
                .collect();
            let (conv, text) = &rows[i + k];
            c.execute(
                "INSERT INTO tutorial_embeddings (conversation_id, text_content, embedding) VALUES ($1, $2, $3::text::vector)",
                &[conv, text, &format!("[{}]", v.join(","))],
            )
            .unwrap();
        }
        i = j;
    }
    (t.elapsed().as_secs_f64(), requests)
}

/// COPY of the same rows with precomputed vectors into a table shaped like the queue, with or
/// without its HNSW index; seconds. Binary COPY: the server neither parses nor prints a float.
fn copy_floor(c: &mut Client, indexed: bool) -> f64 {
    c.batch_execute(
        "DROP TABLE IF EXISTS floor_embeddings;
         CREATE TABLE floor_embeddings (LIKE conversation_embeddings INCLUDING DEFAULTS INCLUDING CONSTRAINTS);",
    )
    .unwrap();
    if indexed {
        c.batch_execute(
            "CREATE INDEX ON floor_embeddings USING hnsw ((embedding::halfvec(1536)) halfvec_cosine_ops)",
        )
        .unwrap();
    }
    let rows: Vec<(String, String, i64)> = c
        .query(
            "SELECT conversation_id, text_content, payload_id FROM conversation_embeddings",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    // Each text's own vector, as the double answers; made before timing.
    let vectors: Vec<Vector> = rows
        .iter()
        .map(|(_, text, _)| Vector::from(cxone_e2e::openai_double::vector_for(text, DIMS)))
        .collect();
    let vector_oid: u32 = c
        .query_one("SELECT 'vector'::regtype::oid", &[])
        .unwrap()
        .get(0);
    let vector = Type::new("vector".into(), vector_oid, Kind::Simple, "public".into());
    let model = "text-embedding-3-small";
    let t = Instant::now();
    let sink = c
        .copy_in("COPY floor_embeddings (source_system, conversation_id, text_content, payload_id, target_model, model, status, embedding) FROM STDIN (FORMAT binary)")
        .unwrap();
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        vector,
    ];
    let mut w = BinaryCopyInWriter::new(sink, &types);
    for ((conv, text, payload), v) in rows.iter().zip(&vectors) {
        w.write(&[
            &"cxone",
            conv,
            text,
            payload,
            &model,
            &model,
            &"embedded",
            v,
        ])
        .unwrap();
    }
    w.finish().unwrap();
    t.elapsed().as_secs_f64()
}

fn db_for_openai(indexed: bool) -> TestDb {
    if indexed {
        cxone_e2e::openai_db()
    } else {
        cxone_e2e::openai_db_unindexed()
    }
}

pub fn run(n: usize) -> Value {
    let double = OpenAiDouble::start(Faults {
        instant: true,
        ..Faults::default()
    });
    // (a) No vector index.
    let db = db_for_openai(false);
    let mut c = queue(&db, n, "pipe");
    let rows: i64 = c
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    warm(&mut c);
    // A run takes about two seconds, start-up included: the median of three, with the rows
    // made pending again (and statistics as after ingest) between runs.
    let mut runs = Vec::new();
    for i in 0..3 {
        if i > 0 {
            c.batch_execute(
                "UPDATE conversation_embeddings SET status = 'pending', embedding = NULL, model = NULL,
                        embedded_at = NULL, attempts = 0, next_attempt_at = now()",
            )
            .unwrap();
            c.batch_execute("VACUUM ANALYZE conversation_embeddings")
                .unwrap();
        }
        runs.push(sidecar_backfill(&db, &double, &[]));
    }
    let run_seconds: Vec<f64> = runs.iter().map(|r| r.0).collect();
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (secs, requests, largest) = runs[1];
    let embedded: i64 = c
        .query_one(
            "SELECT count(*) FROM conversation_embeddings WHERE status = 'embedded'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(embedded, rows);
    let (tut_secs, tut_requests) = tutorial(&mut c, &double);
    let floor_secs = copy_floor(&mut c, false);
    drop(c);
    drop(db);
    // (b) With the HNSW index: kept up to date row by row (live), and the backfill mode that
    // sets it aside and builds it once at the end, against a COPY into the indexed table.
    let n_idx = n;
    let db = db_for_openai(true);
    let mut c = queue(&db, n_idx, "pipe-idx");
    let rows_idx: i64 = c
        .query_one("SELECT count(*) FROM conversation_embeddings", &[])
        .unwrap()
        .get(0);
    warm(&mut c);
    let (idx_secs, _, _) = sidecar_backfill(&db, &double, &[]);
    let floor_idx_secs = copy_floor(&mut c, true);
    drop(c);
    drop(db);
    let db = db_for_openai(true);
    let mut c = queue(&db, n_idx, "pipe-idx");
    let (deferred_secs, _, _) = sidecar_backfill(&db, &double, &["--defer-index"]);
    let indexes: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'conversation_embeddings' AND indexdef LIKE '%USING hnsw%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(indexes >= 1, "backfill --defer-index left no HNSW index");
    let rate = |rows: i64, s: f64| rows as f64 / s;
    json!({
        "conversations": n,
        "rows": rows,
        "dims": DIMS,
        "no_index": {
            "sidecar_rows_per_s": rate(rows, secs),
            "sidecar_seconds": secs,
            "sidecar_run_seconds": run_seconds,
            "sidecar_requests": requests,
            "sidecar_largest_request_inputs": largest,
            "tutorial_rows_per_s": rate(rows, tut_secs),
            "tutorial_requests": tut_requests,
            "copy_floor_rows_per_s": rate(rows, floor_secs),
            "ratio_vs_tutorial": tut_secs / secs,
            "ratio_vs_floor": floor_secs / secs,
        },
        "requests": {
            "sidecar": requests,
            "tutorial_rule": tut_requests,
            "ratio_fewer": tut_requests as f64 / requests.max(1) as f64,
        },
        "hnsw": {
            "rows": rows_idx,
            "sidecar_live_rows_per_s": rate(rows_idx, idx_secs),
            "copy_into_index_rows_per_s": rate(rows_idx, floor_idx_secs),
            "ratio_live_vs_floor": floor_idx_secs / idx_secs,
            "backfill_deferred_rows_per_s": rate(rows_idx, deferred_secs),
            "backfill_deferred_seconds": deferred_secs,
            "ratio_backfill_vs_floor": floor_idx_secs / deferred_secs,
        },
        "targets": {"rows_per_s_min": 8000, "vs_tutorial_min": 8.0, "requests_fewer_min": 20.0, "live_vs_index_floor_min": 0.9, "backfill_vs_index_floor_min": 3.0}
    })
}

/// Serialises the double's answers for the queued texts before anything is timed.
fn warm(c: &mut Client) {
    let texts: Vec<String> = c
        .query(
            "SELECT DISTINCT text_content FROM conversation_embeddings",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    cxone_e2e::openai_double::warm_instant(&texts, DIMS);
}
