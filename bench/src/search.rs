//! Search at 100,000 rows: the nearest-neighbour query `cxone_search` runs (`_cxone_nearest`,
//! with cxone_search's settings: HNSW on halfvec, ef_search 100, iterative scan), timed without
//! the query embedding, and its recall@10 against exact full-precision search, with and without
//! a selective metadata filter (1% of rows); and cxone_search's ranking in each mode (semantic,
//! hybrid, keyword: `_cxone_fuse`, the query embedding excluded), p50 and p95, with and without
//! the filter.
//!
//! Data: 100,000 unit 384-dimension vectors around 500 random centres (noise of norm ~0.5, so
//! a point's cosine to its centre is ~0.9, like sentence embeddings of many topics), metadata with 100 intents and 3 channels; 200 queries near the
//! centres. Synthetic: generating 100,000 real embeddings with the local model would take ten
//! minutes here; retrieval quality on real vectors is benchmark 7.

use cxone_e2e::TestDb;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::Write;
use std::time::Instant;

const ROWS: usize = 100_000;
const DIMS: usize = 384;
const CENTRES: usize = 500;
const QUERIES: usize = 200;
const K: i32 = 10;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    fn unit_near(&mut self, centre: &[f32], spread: f32) -> Vec<f32> {
        let mut v: Vec<f32> = centre.iter().map(|c| c + spread * self.next()).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
        v.iter_mut().for_each(|x| *x /= n);
        v
    }
}

fn text(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x:.5}")).collect();
    format!("[{}]", parts.join(","))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn run() -> Value {
    let db = TestDb::new();
    let mut c = db.connect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let zero = vec![0.0f32; DIMS];
    let centres: Vec<Vec<f32>> = (0..CENTRES).map(|_| rng.unit_near(&zero, 1.0)).collect();
    // Load first, then build the index (as a backfill would).
    c.batch_execute("DROP INDEX conversation_embeddings_hnsw_all_minilm_l6_v2")
        .unwrap();
    let t = Instant::now();
    let mut w = c
        .copy_in(
            "COPY conversation_embeddings (source_system, conversation_id, text_content, semantic_metadata,
                                          payload_id, target_model, model, status, embedding) FROM STDIN",
        )
        .unwrap();
    let utterances = crate::payloads::banking77();
    for i in 0..ROWS {
        let v = rng.unit_near(&centres[i % CENTRES], 0.09);
        // Text for keyword search: an utterance, and a case number unique to the row.
        let said = utterances[i % utterances.len()]
            .0
            .replace(['\\', '\t'], " ");
        let channel = ["SMS", "Web chat", "Voice"][i % 3];
        let meta =
            json!({"intent_category": format!("intent_{}", (i / 7) % 100), "channel": channel});
        writeln!(
            w,
            "bench\tconv-{i}\tCustomer: {said}\\nAgent: I have opened case CS{i:07} for you.\t{meta}\t{i}\tall-MiniLM-L6-v2\tall-MiniLM-L6-v2\tembedded\t{}",
            text(&v)
        )
        .unwrap();
    }
    w.finish().unwrap();
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    c.batch_execute(
        "SET maintenance_work_mem = '1GB';
         SELECT cxone_create_index('all-MiniLM-L6-v2', 384);",
    )
    .unwrap();
    c.batch_execute("VACUUM ANALYZE conversation_embeddings")
        .unwrap();
    let index_s = t.elapsed().as_secs_f64();
    let size: String = c
        .query_one(
            "SELECT pg_size_pretty(sum(pg_relation_size(indexrelid))) FROM pg_index i
               JOIN pg_class r ON r.oid = i.indexrelid WHERE r.relname LIKE 'conversation_embeddings_hnsw_%'",
            &[],
        )
        .unwrap()
        .get(0);
    c.batch_execute("SET hnsw.iterative_scan = 'relaxed_order'; SET hnsw.ef_search = 100;")
        .unwrap();
    let ann = c
        .prepare(
            "SELECT conversation_id FROM _cxone_nearest($1::text::vector, $2, $3::text::jsonb, NULL, 'all-MiniLM-L6-v2')",
        )
        .unwrap();
    // The exact baseline; without a filter it has no containment test at all (`@> '{}'` would
    // make PostgreSQL read the whole metadata GIN index first).
    let exact_sql = |filtered: bool| {
        format!(
            "SELECT conversation_id FROM conversation_embeddings
              WHERE model = 'all-MiniLM-L6-v2' AND status = 'embedded' AND {}
              ORDER BY embedding <=> $1::text::vector LIMIT $2",
            if filtered {
                "semantic_metadata @> $3::text::jsonb"
            } else {
                "$3::text IS NOT NULL"
            }
        )
    };
    let mut out = serde_json::Map::new();
    for (name, filter) in [
        ("no_filter", "{}".to_string()),
        ("filter_1_percent", String::new()),
    ] {
        let exact = c.prepare(&exact_sql(name != "no_filter")).unwrap();
        let (mut times, mut exact_times, mut hits) = (Vec::new(), Vec::new(), 0usize);
        for q in 0..QUERIES {
            let qv = text(&rng.unit_near(&centres[(q * 7) % CENTRES], 0.09));
            let filter = if filter.is_empty() {
                json!({"intent_category": format!("intent_{}", q % 100)}).to_string()
            } else {
                filter.clone()
            };
            let t = Instant::now();
            let got: HashSet<String> = c
                .query(&ann, &[&qv, &K, &filter])
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let truth: Vec<String> = c
                .query(&exact, &[&qv, &(K as i64), &filter])
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            exact_times.push(t.elapsed().as_secs_f64() * 1000.0);
            hits += truth.iter().filter(|t| got.contains(*t)).count();
        }
        times.sort_by(f64::total_cmp);
        exact_times.sort_by(f64::total_cmp);
        out.insert(
            name.into(),
            json!({
                "p50_ms": percentile(&times, 0.5),
                "p95_ms": percentile(&times, 0.95),
                "exact_p50_ms": percentile(&exact_times, 0.5),
                "recall_at_10": hits as f64 / (QUERIES * K as usize) as f64,
            }),
        );
    }
    // cxone_search's ranking in each mode (`_cxone_fuse`: everything after the query
    // embedding), half the queries a case number, half a customer's question.
    let fuse = c
        .prepare(
            "SELECT count(*) FROM _cxone_fuse($1::text::vector, $2, $3, $4::text::jsonb, $5, 'all-MiniLM-L6-v2')",
        )
        .unwrap();
    let mut modes = serde_json::Map::new();
    for mode in ["semantic", "hybrid", "keyword"] {
        for filtered in [false, true] {
            let mut times = Vec::new();
            for q in 0..QUERIES {
                let qv = text(&rng.unit_near(&centres[(q * 7) % CENTRES], 0.09));
                let query = if q % 2 == 0 {
                    format!("case CS{:07}", (q * 499) % ROWS)
                } else {
                    utterances[(q * 31) % utterances.len()].0.clone()
                };
                let filter = if filtered {
                    json!({"intent_category": format!("intent_{}", q % 100)}).to_string()
                } else {
                    "{}".to_string()
                };
                let t = Instant::now();
                c.query_one(&fuse, &[&qv, &query, &K, &filter, &mode])
                    .unwrap();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let name = format!(
                "{mode}_{}",
                if filtered {
                    "filter_1_percent"
                } else {
                    "no_filter"
                }
            );
            modes.insert(
                name,
                json!({"p50_ms": percentile(&times, 0.5), "p95_ms": percentile(&times, 0.95)}),
            );
        }
    }
    json!({
        "rows": ROWS, "dims": DIMS, "queries": QUERIES, "k": K,
        "modes": modes,
        "load_seconds": load_s, "index_build_seconds": index_s, "index_size": size,
        "results": out,
        "targets": {"recall_min": 0.95, "p50_ms_max": 30}
    })
}
