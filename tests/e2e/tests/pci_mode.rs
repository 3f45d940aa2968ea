//! PCI mode (`cxone.pci_mask_payloads`): card data is masked inside each raw payload before it
//! is stored, and the unmasked values are written nowhere: not `cxone_payloads`, the messages,
//! the queue or what the provider is sent, not the sidecar's log, the server's log, the
//! webhook's error replies or the write-ahead log. A card number unique to the run makes the
//! search meaningful; a control run with PCI mode off shows the same search finds it.

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::postgres::Client;
use cxone_e2e::{
    fixture, free_port, openai_db, scalar, sidecar_with_double, wait_embedded, TestDb,
};
use serde_json::Value;

/// A Luhn-valid 16-digit Visa-style number unique to this run and `salt`.
fn unique_card(salt: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let body = format!(
        "4{:014}",
        (nanos ^ (salt << 40) ^ u64::from(std::process::id())) % 10u64.pow(14)
    );
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

fn grouped(card: &str) -> String {
    card.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

fn spoken(digits: &str) -> String {
    const WORDS: [&str; 10] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    digits
        .chars()
        .map(|c| WORDS[c.to_digit(10).unwrap() as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// The forms of `card` that must be found nowhere: as typed, its digits, and said in two halves.
fn forms(card: &str) -> Vec<String> {
    vec![
        grouped(card),
        card.to_string(),
        spoken(&card[..8]),
        spoken(&card[8..]),
    ]
}

/// The payloads of the scenario: a real-shape CXone message whose text holds the card typed with
/// its security code and expiry, the close of its case, and a transcript in which the card is
/// read out over two customer turns.
fn payloads(card: &str) -> Vec<String> {
    let message = fixture("real/dfo_message_added_customer.json").replace(
        "I was charged twice for my gym membership this month",
        &format!(
            "my card is {} and the security code is 482, it expires 09/29",
            grouped(card)
        ),
    );
    let close = fixture("real/dfo_case_status_changed_closed.json");
    let transcript = fixture("dfo_case_closed_with_transcript.json")
        .replace(
            "Sorry about that. Can you confirm the amount and the merchant?",
            "Sorry about that. Can I take the long number on the card please?",
        )
        .replace(
            "42.50 at Corner Books. My email is dana.whitfield@example.org if you need it.",
            &spoken(&card[..8]),
        )
        .replace(
            "\"messageId\": \"m-005\", \"payload\": {\"postback\": \"lookup_transactions\"}",
            "\"messageId\": \"m-005\"",
        )
        .replace(
            "\"participant\": \"system\", \"text\": \"\"",
            &format!(
                "\"participant\": \"customer\", \"text\": \"{}\"",
                spoken(&card[8..])
            ),
        );
    vec![message, close, transcript]
}

/// Every place on the cluster the test can read that could hold card data, as text.
fn everything_stored(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT payload::text FROM cxone_payloads",
        "SELECT coalesce(reason, '') FROM cxone_payloads",
        "SELECT body FROM cxone_messages",
        "SELECT text_content || semantic_metadata::text FROM conversation_embeddings",
        "SELECT facts::text FROM cxone_conversations",
    ] {
        out.extend(
            c.query(sql, &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0)),
        );
    }
    out
}

/// The write-ahead log's segments written since `since` and the server log, as bytes (what a
/// superuser can read).
fn cluster_files(c: &mut Client, since: std::time::SystemTime) -> Vec<Vec<u8>> {
    let mut files: Vec<Vec<u8>> = c
        .query(
            // missing_ok: tests running beside this one write WAL too, and a segment listed
            // can be recycled before it is read.
            "SELECT pg_read_binary_file('pg_wal/' || name, 0, size, true) FROM pg_ls_waldir()
              WHERE name ~ '^[0-9A-F]{24}$' AND modification >= $1",
            &[&since],
        )
        .unwrap()
        .iter()
        .filter_map(|r| r.get::<_, Option<Vec<u8>>>(0))
        .collect();
    if let Ok(r) = c.query_one("SELECT pg_read_binary_file('postgres.log')", &[]) {
        files.push(r.get(0));
    }
    files
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Sends the scenario through the sidecar's webhook and embeds it: the sidecar's log.
fn run(db: &TestDb, double: &OpenAiDouble, card: &str) -> String {
    // Stored uncompressed, so a search of the write-ahead log would find the number.
    db.connect()
        .batch_execute("ALTER TABLE cxone_payloads ALTER COLUMN payload SET STORAGE EXTERNAL")
        .unwrap();
    let port = free_port();
    let log_path = std::env::temp_dir().join(format!("cxone-pci-{}.log", db.name));
    let mut cmd = sidecar_with_double(db, double);
    cmd.env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_WEBHOOK_TOKEN", "pci-hook-token")
        .env("CXONE_LOG", "debug")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    let sidecar = cxone_e2e::Running(cmd.arg("run").spawn().unwrap());
    cxone_e2e::wait_ready(port);
    let post = |body: &str| {
        cxone_e2e::http(
            port,
            "POST",
            "/v1/webhooks/cxone",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", "Bearer pci-hook-token"),
            ],
            body.as_bytes(),
        )
    };
    for p in payloads(card) {
        let (status, body) = post(&p);
        assert_eq!(status, 200, "{body}");
    }
    // A payload that is not JSON: refused, and the refusal does not quote it.
    let (status, body) = post(&format!("{{\"text\": \"card {}\", oops}}", grouped(card)));
    assert_eq!(status, 400, "{body}");
    for f in forms(card) {
        assert!(
            !body.contains(&f),
            "the webhook's error quotes the card: {body}"
        );
    }
    let mut c = db.connect();
    wait_embedded(&mut c, 60);
    drop(sidecar);
    let log = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    log
}

#[test]
fn card_data_is_masked_before_it_is_stored_and_found_nowhere() {
    let card = unique_card(1);
    // A minute of slack for the clocks of the test and the server.
    let since = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    let db = openai_db();
    db.set("cxone.pci_mask_payloads", "on");
    // Redaction off: PCI mode alone keeps card data out of everything derived.
    db.set("cxone.redact", "off");
    let double = OpenAiDouble::start(Faults::default());
    let log = run(&db, &double, &card);
    let mut c = db.connect();

    let stored = everything_stored(&mut c);
    let sent = double.arrivals().concat();
    let files = cluster_files(&mut c, since);
    assert!(!files.is_empty(), "the write-ahead log was read");
    for f in forms(&card) {
        for t in stored.iter().chain(&sent) {
            assert!(!t.contains(&f), "{f:?} is stored or sent: {t}");
        }
        assert!(!log.contains(&f), "{f:?} is in the sidecar's log");
        for file in &files {
            assert!(
                !contains(file, &f),
                "{f:?} is in the write-ahead or server log"
            );
        }
    }
    assert!(!stored.iter().any(|t| t.contains("security code is 482")));
    assert!(!stored.iter().any(|t| t.contains("expires 09/29")));

    // Structure kept: each stored payload is its original with only string values changed,
    // identifiers untouched; and the derived rows hold the placeholders.
    let originals = payloads(&card);
    let rows = c
        .query(
            "SELECT payload::text, outcome FROM cxone_payloads ORDER BY id",
            &[],
        )
        .unwrap();
    assert_eq!(rows.len(), originals.len());
    for (row, original) in rows.iter().zip(&originals) {
        let kept: Value = serde_json::from_str(&row.get::<_, String>(0)).expect("still JSON");
        let sent: Value = serde_json::from_str(original).unwrap();
        assert_same_shape(&kept, &sent, "");
        assert_ne!(row.get::<_, String>(1), "invalid");
    }
    let masked: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM cxone_payloads WHERE payload::text LIKE '%[CARD]%'",
        &[],
    );
    assert_eq!(masked, 2, "both cards masked in their payloads");
    let texts: Vec<String> = c
        .query("SELECT text_content FROM conversation_embeddings", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("[CARD]") && t.contains("[CVV]")),
        "{texts:?}"
    );
    assert!(
        texts.iter().filter(|t| t.contains("[CARD]")).count() >= 2,
        "{texts:?}"
    );

    // Control: with PCI mode off, the same searches find a card stored as sent.
    let control = unique_card(2);
    let off = openai_db();
    let double = OpenAiDouble::start(Faults::default());
    run(&off, &double, &control);
    let mut c = off.connect();
    let stored = everything_stored(&mut c);
    assert!(
        stored.iter().any(|t| t.contains(&grouped(&control))),
        "control: stored as sent"
    );
    let files = cluster_files(&mut c, since);
    assert!(
        files.iter().any(|f| contains(f, &grouped(&control))),
        "control: the write-ahead log holds the unmasked card, so the search above can fail"
    );
}

/// Same keys, same non-string values, same identifiers; strings may differ only by masking.
fn assert_same_shape(kept: &Value, sent: &Value, path: &str) {
    match (kept, sent) {
        (Value::Object(a), Value::Object(b)) => {
            let ka: Vec<_> = a.keys().collect();
            let kb: Vec<_> = b.keys().collect();
            assert_eq!(ka, kb, "keys at {path}");
            for (k, v) in a {
                assert_same_shape(v, &b[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "length at {path}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same_shape(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::String(a), Value::String(b)) => {
            if a != b {
                assert!(
                    a.contains('[') && !path.to_lowercase().ends_with("id"),
                    "{path}: {a}"
                );
            }
        }
        (a, b) => assert_eq!(a, b, "at {path}"),
    }
}

#[test]
fn off_by_default_payloads_are_stored_byte_for_byte() {
    let db = TestDb::new();
    let card = unique_card(3);
    let mut c = db.connect();
    let p = payloads(&card).remove(0);
    let id = cxone_e2e::insert(&mut c, &p);
    let kept: String = scalar(
        &mut c,
        "SELECT payload::text FROM cxone_payloads WHERE id = $1",
        &[&id],
    );
    assert_eq!(kept, p);
}
