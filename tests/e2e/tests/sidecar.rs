//! The sidecar's embedding path against the real cluster and the OpenAI double: the local
//! model, provider faults, timeouts, reuse. (Crashes, restarts and several sidecars: reliability.rs.)

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::{
    backfill, ingest_banking77, openai_db, record, scalar, sidecar, sidecar_with_double,
    status_counts, Record, TestDb,
};
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn local_model_embeds_a_thousand_banking77_conversations() {
    let db = TestDb::new();
    let mut c = db.connect();
    let n = ingest_banking77(&mut c, 1000, "local");
    backfill(sidecar().env("DATABASE_URL", db.url()));
    let row = c
        .query_one(
            "SELECT count(*), count(DISTINCT model), min(vector_dims(embedding)), max(vector_dims(embedding))
               FROM conversation_embeddings WHERE status = 'embedded'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), n as i64);
    assert_eq!(row.get::<_, i64>(1), 1);
    assert_eq!(row.get::<_, i32>(2), 384);
    assert_eq!(row.get::<_, i32>(3), 384);
    // Nearest neighbours make sense: a card-arrival question finds card-arrival conversations.
    let hits: i64 = scalar(&mut c, "WITH q AS (SELECT embedding FROM conversation_embeddings WHERE text_content LIKE '%I am still waiting on my card?%' LIMIT 1)
             SELECT count(*) FROM (SELECT text_content FROM conversation_embeddings, q
                                    ORDER BY conversation_embeddings.embedding <=> q.embedding LIMIT 5) s
              WHERE text_content LIKE '%card arrival%'",
            &[]);
    assert!(
        hits >= 4,
        "only {hits} of 5 neighbours are about card arrival"
    );
}

#[test]
fn provider_failures_are_retried_and_nothing_is_embedded_twice() {
    let double = OpenAiDouble::start(Faults {
        fail_rate: 0.2,
        retry_after_ms: 300,
        ..Faults::default()
    });
    let db = openai_db();
    let mut c = db.connect();
    let n = ingest_banking77(&mut c, 600, "faults");
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_MAX_INPUTS_PER_REQUEST", "25");
    backfill(&mut cmd);
    assert_eq!(status_counts(&mut c).get("embedded"), Some(&(n as i64)));
    let log = double.log();
    assert!(
        log.iter().any(|r| r.status == 429)
            && log.iter().any(|r| r.status == 500)
            && log.iter().any(|r| r.status == 503),
        "faults were injected"
    );
    // No text was successfully embedded twice.
    let mut seen = HashSet::new();
    for r in log.iter().filter(|r| r.status == 200) {
        for t in &r.inputs {
            assert!(seen.insert(t.clone()), "embedded twice: {t}");
        }
    }
    assert_eq!(seen.len(), n);
    // No retry came before the Retry-After it was given.
    for (i, r) in log.iter().enumerate().filter(|(_, r)| r.status == 429) {
        if let Some(next) = log[i + 1..].iter().find(|x| x.inputs == r.inputs) {
            let waited = next.at.duration_since(r.at);
            assert!(
                waited >= r.retry_after.unwrap(),
                "retried after {waited:?}, asked {:?}",
                r.retry_after
            );
        }
    }
    for r in &log {
        assert!(r.inputs.len() <= 25);
    }
}

#[test]
fn wrong_dimensions_leave_rows_failed_with_the_reason() {
    let double = OpenAiDouble::start(Faults {
        wrong_dimensions: Some(12),
        ..Faults::default()
    });
    let db = openai_db();
    let mut c = db.connect();
    let n = ingest_banking77(&mut c, 20, "dims");
    backfill(&mut sidecar_with_double(&db, &double));
    assert_eq!(status_counts(&mut c).get("failed"), Some(&(n as i64)));
    let reason: String = scalar(
        &mut c,
        "SELECT min(last_error) FROM conversation_embeddings",
        &[],
    );
    assert!(
        reason.contains("dimension mismatch") && reason.contains("12"),
        "{reason}"
    );
    let written: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings WHERE embedding IS NOT NULL",
        &[],
    );
    assert_eq!(written, 0);
    record(Record {
        scenario: "3 · provider answers with the wrong dimensions",
        load: format!("{n} rows"),
        faults: "12-dimensional vectors for a 1536-dimensional model".into(),
        lost: without_outcome(&mut c),
        duplicated: 0,
        notes: format!("no vector written; every row failed with the reason: {reason}"),
    });
}

#[test]
fn reordered_and_short_responses_are_never_misassigned() {
    let double = OpenAiDouble::start(Faults {
        reorder: true,
        fewer_rate: 0.3,
        malformed_rate: 0.1,
        ..Faults::default()
    });
    let db = openai_db();
    // Each vector is checked against its row's whole text: no line left out as boilerplate.
    db.set("cxone.boilerplate_min_conversations", "0");
    let mut c = db.connect();
    ingest_banking77(&mut c, 200, "order");
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_MAX_INPUTS_PER_REQUEST", "20");
    backfill(&mut cmd);
    // Every stored vector is the one the double computes for that row's text.
    let rows = c
        .query(
            "SELECT text_content, embedding::text FROM conversation_embeddings",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), 200);
    for r in rows {
        let text: String = r.get(0);
        let stored: Vec<f32> = r
            .get::<_, String>(1)
            .trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|x| x.parse().unwrap())
            .collect();
        let want = cxone_e2e::openai_double::vector_for(&text, 1536);
        let dot: f32 = stored.iter().zip(&want).map(|(a, b)| a * b).sum();
        assert!(dot > 0.9999, "row got another row's vector");
    }
}

#[test]
fn stalls_beyond_the_timeout_are_retried_then_failed_with_the_reason() {
    let double = OpenAiDouble::start(Faults {
        stall: Duration::from_millis(2500),
        ..Faults::default()
    });
    let db = openai_db();
    let mut c = db.connect();
    ingest_banking77(&mut c, 5, "stall");
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_REQUEST_TIMEOUT_SECS", "1")
        .env("CXONE_REQUEST_RETRIES", "2")
        .env("CXONE_MAX_ATTEMPTS", "1");
    backfill(&mut cmd);
    let row = c
        .query_one(
            "SELECT count(*), min(last_error) FROM conversation_embeddings WHERE status = 'failed'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 5);
    let reason: String = row.get(1);
    assert!(
        reason.contains("gave up after 1 attempts") && reason.contains("embeddings request failed"),
        "{reason}"
    );
    record(Record {
        scenario: "3 · provider stalls beyond the request timeout",
        load: "5 rows, 1 s timeout, 2 tries per request, 1 attempt per row".into(),
        faults: "every answer delayed 2.5 s".into(),
        lost: without_outcome(&mut c),
        duplicated: 0,
        notes: format!("all 5 rows failed with the reason: {reason}"),
    });
}

#[test]
fn identical_text_is_embedded_once_and_reused() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    let payload = |conv: &str| {
        format!(r#"{{"conversationId": "{conv}", "data": {{"subject": "Where is my card?"}}}}"#)
    };
    cxone_e2e::insert(&mut c, &payload("a"));
    cxone_e2e::insert(&mut c, &payload("b"));
    backfill(&mut sidecar_with_double(&db, &double));
    // A later conversation with the same text reuses the stored vector.
    cxone_e2e::insert(&mut c, &payload("c"));
    backfill(&mut sidecar_with_double(&db, &double));
    assert_eq!(status_counts(&mut c).get("embedded"), Some(&3));
    let sent: usize = double
        .log()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.inputs.len())
        .sum();
    assert_eq!(sent, 1, "the text was sent {sent} times");
}

#[test]
fn identical_texts_in_consecutive_claims_are_sent_once() {
    // The next claim is made while the current one is being embedded, so it cannot find the
    // current one's vectors yet; the worker notices the overlap and takes them once written.
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    // Texts 0, 1, 1, 2, 2, 3, 3, ...: with claims of 2, 4, 8, 8, ... rows, pairs straddle
    // the claim boundaries.
    for i in 0..40 {
        cxone_e2e::insert(
            &mut c,
            &format!(
                r#"{{"conversationId": "pair-{i}", "data": {{"subject": "Question number {} about my card"}}}}"#,
                (i as usize).div_ceil(2)
            ),
        );
    }
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_CLAIM_BATCH", "8");
    backfill(&mut cmd);
    assert_eq!(status_counts(&mut c).get("embedded"), Some(&40));
    let mut sent: Vec<String> = double
        .log()
        .iter()
        .filter(|r| r.status == 200)
        .flat_map(|r| r.inputs.clone())
        .collect();
    let total = sent.len();
    sent.sort();
    sent.dedup();
    assert_eq!((total, sent.len()), (21, 21), "each of the 21 texts once");
}

#[test]
fn a_burst_is_embedded_claim_by_claim_from_a_slow_start_and_each_text_sent_once() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    for i in 0..100 {
        cxone_e2e::insert(
            &mut c,
            &format!(
                r#"{{"conversationId": "burst-{i}", "data": {{"subject": "Question number {i} about my card"}}}}"#
            ),
        );
    }
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_CLAIM_BATCH", "32");
    backfill(&mut cmd);
    assert_eq!(status_counts(&mut c).get("embedded"), Some(&100));
    let log = double.log();
    let sizes: Vec<usize> = log
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.inputs.len())
        .collect();
    // One request per claim, claims embedded in turn while the previous one is written; slow
    // start: a quarter of the claim size first, then doubling.
    assert_eq!(sizes, vec![8, 16, 32, 32, 12]);
    let texts: HashSet<&String> = log.iter().flat_map(|r| r.inputs.iter()).collect();
    assert_eq!(texts.len(), 100);
    assert_eq!(
        sizes.iter().sum::<usize>(),
        100,
        "a text was sent twice: {sizes:?}"
    );
    assert_eq!(without_outcome(&mut c), 0);
}

#[test]
fn claims_are_sized_to_fill_requests_under_the_token_limit() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    c.batch_execute(
        "INSERT INTO cxone_payloads (payload)
         SELECT json_build_object('conversationId', 'fit-' || g,
                                  'data', json_build_object('subject', 'Question number ' || lpad(g::text, 6, '0') || ' about my card'))
           FROM generate_series(1, 4000) AS g",
    )
    .unwrap();
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_MAX_TOKENS_PER_REQUEST", "1000");
    backfill(&mut cmd);
    assert_eq!(status_counts(&mut c).get("embedded"), Some(&4000));
    let tokens: Vec<usize> = double
        .log()
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| {
            r.inputs
                .iter()
                .map(|t| cxone_core::tokens::Tokenizer::Cl100k.count(t))
                .sum()
        })
        .collect();
    assert!(tokens.iter().all(|&t| t <= 1000), "{tokens:?}");
    // Texts of one length: once the tokens per text are known (after the first claim; the
    // second is claimed meanwhile), each claim fills one request. Only those first two claims
    // and the last may leave a request part-filled.
    let middle = &tokens[..tokens.len() - 1];
    let thin = middle.iter().filter(|&&t| t < 900).count();
    assert!(thin <= 2, "part-filled requests: {tokens:?}");
}

/// Rows that ended neither embedded nor failed with a reason.
fn without_outcome(c: &mut cxone_e2e::postgres::Client) -> i64 {
    scalar(
        c,
        "SELECT count(*) FROM conversation_embeddings
          WHERE NOT (status = 'embedded' OR (status = 'failed' AND last_error IS NOT NULL))",
        &[],
    )
}
