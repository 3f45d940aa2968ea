//! Operating the sidecar: --help, NOTIFY wake-up, health/readiness/metrics, SIGTERM, secrets
//! out of logs, `check`, .env, the Azure form.

use cxone_e2e::openai_double::{Faults, OpenAiDouble};
use cxone_e2e::{
    backfill, ingest_banking77, openai_db, run_to_end, run_to_success, scalar, sidecar,
    sidecar_with_double, spawn, status_counts,
};
use std::time::{Duration, Instant};

fn get(port: u16, path: &str) -> (u16, String) {
    cxone_e2e::http(port, "GET", path, &[], b"")
}

#[test]
fn help_lists_commands_and_settings() {
    let out = sidecar()
        .arg("--help")
        .output()
        .expect("run cxone-sidecar --help (build it first)");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "run",
        "check",
        "backfill",
        "DATABASE_URL",
        "OPENAI_API_KEY",
        "CXONE_PROVIDER",
        "CXONE_CLIENT_SECRET",
    ] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
}

#[test]
fn sigterm_finishes_and_exits_zero() {
    let double = OpenAiDouble::start(Faults {
        stall: Duration::from_millis(300),
        ..Faults::default()
    });
    let db = openai_db();
    let mut c = db.connect();
    ingest_banking77(&mut c, 100, "term");
    let mut cmd = sidecar_with_double(&db, &double);
    let port = cxone_e2e::free_port();
    cmd.env("CXONE_MAX_INPUTS_PER_REQUEST", "10")
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"));
    let child = spawn(cmd.arg("run"));
    // Signal only once it is up (and its handler installed), with batches in flight.
    cxone_e2e::wait_ready(port);
    let started = Instant::now();
    while double.arrivals().is_empty() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing is left leased: what was not embedded is pending for the next sidecar.
    let leased: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings WHERE leased_by IS NOT NULL",
        &[],
    );
    assert_eq!(leased, 0);
}

#[test]
fn logs_hold_no_secrets() {
    let double = OpenAiDouble::start(Faults {
        fail_rate: 0.5,
        retry_after_ms: 50,
        ..Faults::default()
    });
    let db = openai_db();
    let mut c = db.connect();
    ingest_banking77(&mut c, 30, "secrets");
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_LOG", "debug");
    let out = run_to_end(cmd.arg("backfill"));
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(!logs.contains(&double.key), "the API key is in the logs");
}

#[test]
fn check_reports_each_part_and_names_what_to_fix() {
    let double = OpenAiDouble::start(Faults::default());
    let cx = cxone_e2e::cxone_double::CxoneDouble::start();
    let db = openai_db();
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_ISSUER", cx.issuer())
        .env("CXONE_CLIENT_ID", cxone_e2e::cxone_double::CLIENT_ID)
        .env(
            "CXONE_CLIENT_SECRET",
            cxone_e2e::cxone_double::CLIENT_SECRET,
        )
        .env(
            "CXONE_ACCESS_KEY_ID",
            cxone_e2e::cxone_double::ACCESS_KEY_ID,
        )
        .env(
            "CXONE_ACCESS_KEY_SECRET",
            cxone_e2e::cxone_double::ACCESS_KEY_SECRET,
        );
    let out = run_to_success(cmd.arg("check"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1536 dimensions") && stdout.contains("CXone: token obtained"),
        "{stdout}"
    );

    // A wrong access key secret: non-zero, and the message says which credential to fix.
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("CXONE_ISSUER", cx.issuer())
        .env("CXONE_CLIENT_ID", cxone_e2e::cxone_double::CLIENT_ID)
        .env(
            "CXONE_CLIENT_SECRET",
            cxone_e2e::cxone_double::CLIENT_SECRET,
        )
        .env(
            "CXONE_ACCESS_KEY_ID",
            cxone_e2e::cxone_double::ACCESS_KEY_ID,
        )
        .env("CXONE_ACCESS_KEY_SECRET", "wrong");
    let out = run_to_end(cmd.arg("check"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CXONE_ACCESS_KEY"), "{err}");
    assert!(!err.contains("wrong") || err.contains("CXONE"), "{err}");

    // A wrong API key: non-zero, naming OPENAI_API_KEY.
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("OPENAI_API_KEY", "sk-wrong");
    let out = run_to_end(cmd.arg("check"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("OPENAI_API_KEY"));
}

#[test]
fn run_wakes_on_notify_and_serves_health_readiness_and_metrics() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    let port = cxone_e2e::free_port();
    let mut cmd = sidecar_with_double(&db, &double);
    // A long poll interval: only NOTIFY can wake it quickly.
    cmd.env("CXONE_POLL_SECS", "60")
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"));
    let mut child = spawn(cmd.arg("run"));
    let started = Instant::now();
    while get(port, "/readyz").0 != 200 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(get(port, "/healthz").0, 200);
    assert_eq!(get(port, "/readyz").0, 200);
    std::thread::sleep(Duration::from_millis(300)); // past the first, empty claim
    let t0 = Instant::now();
    cxone_e2e::insert(
        &mut c,
        &cxone_e2e::fixture("dfo_case_closed_with_transcript.json"),
    );
    loop {
        let n: i64 = scalar(
            &mut c,
            "SELECT count(*) FROM conversation_embeddings WHERE status = 'embedded'",
            &[],
        );
        if n == 1 {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "not embedded within 5 s of the INSERT: NOTIFY did not wake the sidecar"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    println!("INSERT to embedded: {:?}", t0.elapsed());
    // The counters move just after the write-back commits: allow the sidecar a moment.
    let mut scrape = get(port, "/metrics");
    let waited = Instant::now();
    while !scrape.1.contains("cxone_embedded_total") && waited.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
        scrape = get(port, "/metrics");
    }
    let (status, metrics) = scrape;
    assert_eq!(status, 200);
    for name in [
        "cxone_embedded_total",
        "cxone_batch_size",
        "cxone_provider_latency_seconds",
    ] {
        assert!(metrics.contains(name), "/metrics lacks {name}:\n{metrics}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn azure_form_uses_the_api_key_header() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    ingest_banking77(&mut c, 10, "azure");
    let mut cmd = sidecar_with_double(&db, &double);
    cmd.env("OPENAI_AZURE", "true");
    backfill(&mut cmd);
    let errors: Option<String> = scalar(
        &mut c,
        "SELECT min(last_error) FROM conversation_embeddings",
        &[],
    );
    assert_eq!(
        status_counts(&mut c).get("embedded"),
        Some(&10),
        "{errors:?}"
    );
}

#[test]
fn settings_come_from_a_dot_env_file() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let dir = std::env::temp_dir().join(format!("cxone-dotenv-{}", db.name));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".env"),
        format!(
            "DATABASE_URL={}\nCXONE_PROVIDER=openai\nOPENAI_BASE_URL={}\nOPENAI_API_KEY={}\n",
            db.url(),
            double.base_url(),
            double.key
        ),
    )
    .unwrap();
    let out = run_to_end(sidecar().current_dir(&dir).arg("check"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1536 dimensions"));
}

/// The model's HNSW index definitions.
fn hnsw_indexes(c: &mut cxone_e2e::postgres::Client) -> Vec<String> {
    c.query(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'conversation_embeddings' AND indexdef LIKE '%USING hnsw%' ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// `backfill --defer-index` against the double, to success; its stderr.
fn backfill_deferring_index(db: &cxone_e2e::TestDb, double: &OpenAiDouble) -> String {
    let mut cmd = sidecar_with_double(db, double);
    let out = run_to_success(cmd.args(["backfill", "--defer-index"]));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn backfill_defer_index_rebuilds_the_same_index_and_recovers_an_interrupted_run() {
    let double = OpenAiDouble::start(Faults::default());
    let db = openai_db();
    let mut c = db.connect();
    let before = hnsw_indexes(&mut c);
    assert_eq!(before.len(), 2, "{before:?}"); // the default model's and the API model's
    ingest_banking77(&mut c, 300, "defer");
    let stderr = backfill_deferring_index(&db, &double);
    assert!(stderr.contains("built 1 index(es)"), "{stderr}");
    assert_eq!(hnsw_indexes(&mut c), before);
    let pending: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM conversation_embeddings WHERE status <> 'embedded'",
        &[],
    );
    assert_eq!(pending, 0);
    // An interrupted backfill leaves the index set aside; search still answers (exactly)...
    let n: i32 = scalar(
        &mut c,
        "SELECT cxone_index_defer('text-embedding-3-small')",
        &[],
    );
    assert_eq!(n, 1);
    assert_eq!(hnsw_indexes(&mut c).len(), 1);
    let q = cxone_e2e::openai_double::vector_for("anything", 1536);
    let q = format!(
        "[{}]",
        q.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let hits: i64 = scalar(
        &mut c,
        "SELECT count(*) FROM _cxone_nearest($1::text::vector, 5, '{}', NULL, 'text-embedding-3-small')",
        &[&q],
    );
    assert_eq!(hits, 5);
    // ... and the next backfill --defer-index builds it again.
    ingest_banking77(&mut c, 20, "defer-2");
    backfill_deferring_index(&db, &double);
    assert_eq!(hnsw_indexes(&mut c), before);
    let left: i64 = scalar(&mut c, "SELECT count(*) FROM _cxone_deferred_indexes", &[]);
    assert_eq!(left, 0);
}
