//! `cxone_search(query, k, filter, mode)` in its three modes, on conversations that mention
//! order, case and tracking numbers, embedded by the real sidecar with the local model: an exact
//! identifier finds its conversation first in hybrid and keyword mode; each result says which
//! method found it and carries a snippet; the filter and one row per conversation hold in every
//! mode; redaction placeholders do not match words; keyword mode answers without the embedding
//! service. And boilerplate: lines repeated across conversations are left out of what the
//! provider is sent, never out of the stored text.

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::postgres::Client;
use cxone_e2e::{
    backfill, closed_case, free_port, identifier_conversations, identifier_queries, insert,
    openai_db_unindexed, scalar, sidecar_with_double, start_local, wait_embedded, TestDb,
};
use serde_json::Value;
use std::collections::HashSet;

const MODES: [&str; 3] = ["hybrid", "semantic", "keyword"];

struct Hit {
    conversation: String,
    similarity: Option<f64>,
    metadata: Value,
    score: f64,
    found_by: Vec<String>,
    snippet: String,
}

fn search(c: &mut Client, query: &str, k: i32, filter: &str, mode: &str) -> Vec<Hit> {
    c.query(
        "SELECT conversation_id, similarity, semantic_metadata, score, found_by, snippet
           FROM cxone_search($1, $2, $3::text::jsonb, $4)",
        &[&query, &k, &filter, &mode],
    )
    .unwrap_or_else(|e| panic!("{mode} {query:?}: {e} {:?}", e.as_db_error()))
    .iter()
    .map(|r| Hit {
        conversation: r.get(0),
        similarity: r.get(1),
        metadata: r.get(2),
        score: r.get(3),
        found_by: r.get(4),
        snippet: r.get(5),
    })
    .collect()
}

#[test]
fn three_modes_identifiers_snippets_filters_and_placeholders() {
    let db = TestDb::new();
    db.set("cxone.redact", "on");
    let (_sidecar, _port) = start_local(&db, &[]);
    let mut c = db.connect();
    let conversations = identifier_conversations(60);
    for (_, p) in &conversations {
        insert(&mut c, p);
    }
    // A redacted conversation: its [EMAIL] placeholder must not match the word "email".
    insert(
        &mut c,
        r#"{"eventId": "pl-1", "data": {"case": {"id": "placeholder-1", "status": "closed"},
            "transcript": [{"participant": "customer", "text": "my address is dana.whitfield@example.org, the refund never came"}]}}"#,
    );
    wait_embedded(&mut c, 240);
    let mut c = db.connect(); // picks up cxone.embeddings_url

    let ids: HashSet<String> = conversations.iter().map(|(id, _)| id.clone()).collect();
    let queries: Vec<_> = identifier_queries()
        .into_iter()
        .filter(|(conv, kind, _)| ids.contains(conv) && kind != "paraphrase")
        .collect();
    assert!(queries.len() >= 100, "{} queries", queries.len());
    for mode in ["hybrid", "keyword"] {
        let mut first = 0;
        for (conv, kind, query) in &queries {
            let hits = search(&mut c, query, 5, "{}", mode);
            if hits.first().map(|h| &h.conversation) == Some(conv) {
                first += 1;
                assert!(
                    hits[0].found_by.contains(&"keyword".to_string()),
                    "{mode} {query}"
                );
            } else {
                eprintln!(
                    "{mode} {kind} {query:?}: {:?}",
                    hits.iter().map(|h| &h.conversation).collect::<Vec<_>>()
                );
            }
        }
        let rate = first as f64 / queries.len() as f64;
        assert!(
            rate >= 0.98,
            "{mode}: right conversation first for {rate:.3} of identifier queries"
        );
    }

    // One identifier: what each mode returns and says.
    let (conv, _, bare) = queries.iter().find(|q| q.1 == "bare").unwrap().clone();
    for mode in MODES {
        let hits = search(&mut c, &bare, 5, "{}", mode);
        assert!(!hits.is_empty(), "{mode}");
        let distinct: HashSet<_> = hits.iter().map(|h| &h.conversation).collect();
        assert_eq!(
            distinct.len(),
            hits.len(),
            "{mode}: one row per conversation"
        );
        assert!(
            hits.windows(2).all(|w| w[0].score >= w[1].score),
            "{mode}: ranked by score"
        );
        for h in &hits {
            assert!(!h.found_by.is_empty(), "{mode}: says what found it");
            assert!(
                h.snippet.len() < 600,
                "{mode}: a short snippet: {}",
                h.snippet
            );
            assert!(
                h.snippet.contains(": "),
                "{mode}: a speaker label: {}",
                h.snippet
            );
            match mode {
                "keyword" => assert!(h.similarity.is_none() && h.found_by == ["keyword"]),
                "semantic" => assert!(h.similarity.is_some() && h.found_by == ["semantic"]),
                _ => assert!(h.similarity.is_some()),
            }
        }
        if mode != "semantic" {
            assert_eq!(&hits[0].conversation, &conv, "{mode}");
            assert!(
                hits[0].snippet.contains(&format!("**{bare}**")),
                "{mode}: the identifier marked in the snippet: {}",
                hits[0].snippet
            );
        }
    }

    // The filter holds in every mode.
    let channel = c
        .query_one(
            "SELECT semantic_metadata FROM conversation_embeddings LIMIT 1",
            &[],
        )
        .unwrap()
        .get::<_, Value>(0);
    let key = ["intent_category", "source_system"]
        .into_iter()
        .find(|k| channel.get(*k).is_some())
        .expect("a metadata key to filter on");
    let filter = serde_json::json!({ key: channel[key] }).to_string();
    for mode in MODES {
        for h in search(&mut c, "where is my parcel", 10, &filter, mode) {
            assert_eq!(h.metadata[key], channel[key], "{mode}: the filter holds");
        }
    }

    // Placeholders are not words.
    for mode in ["keyword", "hybrid"] {
        let hits = search(&mut c, "email", 10, "{}", mode);
        assert!(
            hits.iter()
                .all(|h| h.conversation != "placeholder-1"
                    || !h.found_by.contains(&"keyword".into())),
            "{mode}: [EMAIL] matched the word email"
        );
    }
    let kw = search(&mut c, "refund never came", 5, "{}", "keyword");
    assert_eq!(kw[0].conversation, "placeholder-1", "its words still match");

    // A description without its number: keyword mode ranks by how many of its words a
    // conversation holds (not every word is there, so the any-word pass answers).
    let paraphrases: Vec<_> = identifier_queries()
        .into_iter()
        .filter(|(conv, kind, _)| ids.contains(conv) && kind == "paraphrase")
        .collect();
    let first = paraphrases
        .iter()
        .filter(|(conv, _, q)| search(&mut c, q, 1, "{}", "keyword")[0].conversation == *conv)
        .count();
    assert!(
        first * 100 >= paraphrases.len() * 95,
        "keyword: {first} of {} paraphrases first",
        paraphrases.len()
    );
    // A question in plain words is ranked by meaning alone in hybrid mode; a query of stop
    // words only is no error in any mode.
    for h in search(
        &mut c,
        "why has my order not arrived yet",
        10,
        "{}",
        "hybrid",
    ) {
        assert_eq!(
            h.found_by,
            ["semantic"],
            "a plain question: {:?}",
            h.found_by
        );
    }
    for mode in MODES {
        search(&mut c, "is it", 3, "{}", mode);
    }

    // The README's examples, each run: the conversation its comment names comes first.
    for (first, sql) in readme_examples() {
        let rows = c
            .query(sql.as_str(), &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let got: String = rows.first().map(|r| r.get(0)).unwrap_or_default();
        assert_eq!(got, first, "README example: {sql}");
    }

    // A mode that does not exist is refused with what to use.
    let err = c
        .query("SELECT * FROM cxone_search('x', 5, '{}', 'fuzzy')", &[])
        .unwrap_err();
    let msg = err.as_db_error().unwrap().message().to_string();
    assert!(msg.contains("'hybrid', 'semantic' or 'keyword'"), "{msg}");

    // Keyword mode needs no embedding service.
    c.batch_execute(&format!(
        "SET cxone.embeddings_url = 'http://127.0.0.1:{}/v1/embeddings'",
        free_port()
    ))
    .unwrap();
    assert_eq!(
        search(&mut c, &bare, 3, "{}", "keyword")[0].conversation,
        conv
    );
    assert!(c
        .query("SELECT * FROM cxone_search('x', 3, '{}', 'hybrid')", &[])
        .is_err());
}

#[test]
fn boilerplate_lines_are_left_out_of_what_is_embedded_not_out_of_the_stored_text() {
    let db = openai_db_unindexed();
    let mut c = db.connect();
    let greeting = "Hi! I'm the virtual assistant. What can I help with today?";
    let macro_ = "Is there anything else I can help you with?";
    let payloads: Vec<String> = (0..40)
        .map(|i| {
            let said = format!("my parcel number {i} never arrived at flat {}", i * 7);
            closed_case(
                &format!("bp-{i}"),
                &[("bot", greeting), ("customer", &said), ("agent", macro_)],
            )
        })
        .collect();
    c.execute(
        "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
        &[&payloads],
    )
    .unwrap();
    // A conversation of boilerplate alone is embedded whole.
    insert(
        &mut c,
        &closed_case("bp-only", &[("bot", greeting), ("agent", macro_)]),
    );
    let double = OpenAiDouble::start(Faults::default());
    backfill(&mut sidecar_with_double(&db, &double));
    let sent = double.arrivals().concat();
    assert_eq!(sent.len(), 41);
    let with_greeting = sent.iter().filter(|t| t.contains(greeting)).count();
    assert!(
        with_greeting <= 2,
        "{with_greeting} texts sent with the greeting: {sent:?}"
    );
    assert!(sent.iter().filter(|t| t.contains("never arrived")).count() == 40);
    assert!(
        sent.iter()
            .any(|t| t.contains(greeting) && t.contains(macro_)),
        "boilerplate alone is sent whole"
    );
    // The stored text is complete, and keyword search still finds the greeting's words.
    let stored: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings WHERE text_content LIKE '%virtual assistant%'",
        &[],
    );
    assert_eq!(stored, 41);
    let boilerplate: bool = scalar(
        &mut c,
        &format!(
            "SELECT cxone_is_boilerplate('Bot: {}')",
            greeting.replace('\'', "''")
        ),
        &[],
    );
    assert!(boilerplate);
    // Off (0): every line is embedded.
    let db = openai_db_unindexed();
    db.set("cxone.boilerplate_min_conversations", "0");
    let mut c = db.connect();
    c.execute(
        "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
        &[&payloads],
    )
    .unwrap();
    let double = OpenAiDouble::start(Faults::default());
    backfill(&mut sidecar_with_double(&db, &double));
    let sent = double.arrivals().concat();
    assert!(
        sent.iter().all(|t| t.contains(greeting)),
        "off: every text whole"
    );
}

/// The README's search examples: (the conversation the comment says comes first, the SQL).
fn readme_examples() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(format!("{}/../../README.md", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let block = readme
        .split("<!-- example: search -->")
        .nth(1)
        .and_then(|b| b.split("```sql").nth(1))
        .and_then(|b| b.split("```").next())
        .expect("the README's search examples");
    let mut out = Vec::new();
    let mut first = None;
    for line in block.lines() {
        if let Some((_, id)) = line.split_once("first: ") {
            first = Some(id.trim().to_string());
        } else if line.starts_with("SELECT") {
            out.push((
                first.take().expect("a comment naming the first result"),
                line.trim_end_matches(';').to_string(),
            ));
        }
    }
    assert!(out.len() >= 3, "{out:?}");
    out
}
