//! Helpers for the end-to-end tests: each test gets its own database with the extension
//! installed, on the cluster that `scripts/test.sh` starts (CXONE_TEST_DATABASE_URL).

pub mod attack;
pub mod cluster;
pub mod cxone_double;
pub mod openai_double;
pub mod records;

pub use cluster::PrivateCluster;
pub use records::{lost_and_duplicated, peak_rss_mib, record, Record};

use postgres::{Client, NoTls};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub use postgres;

/// The cluster under test, pointing at its maintenance database.
pub fn admin_url() -> String {
    std::env::var("CXONE_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("CXONE_TEST_DATABASE_URL is not set: run ./scripts/test.sh, which installs the extension and starts a test cluster")
    })
}

/// A fresh database with `CREATE EXTENSION cxone_vector CASCADE`, dropped at the end.
pub struct TestDb {
    pub name: String,
    url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub fn new() -> TestDb {
        let name = format!(
            "e2e_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = Client::connect(&admin_url(), NoTls).expect("connect to the test cluster");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .expect("drop leftover database");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        let url = with_dbname(&admin_url(), &name);
        let db = TestDb { name, url };
        db.connect()
            .batch_execute("CREATE EXTENSION cxone_vector CASCADE")
            .expect("CREATE EXTENSION cxone_vector");
        db
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn connect(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("connect to the test database")
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&admin_url(), NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Replaces the database name of a `postgres://` URL or adds `dbname=` to a key=value string.
fn with_dbname(url: &str, db: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let (base, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        let host = base.split('/').next().unwrap_or(base);
        match query {
            Some(q) => format!("postgres://{host}/{db}?{q}"),
            None => format!("postgres://{host}/{db}"),
        }
    } else {
        format!("{url} dbname={db}")
    }
}

/// A fixture from tests/fixtures/cxone.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/../fixtures/cxone/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Inserts a payload as plain SQL does and returns its id.
pub fn insert(client: &mut Client, payload: &str) -> i64 {
    client
        .query_one(
            "INSERT INTO cxone_payloads (payload) VALUES ($1::text::json) RETURNING id",
            &[&payload],
        )
        .expect("insert payload")
        .get(0)
}

/// (outcome, reason) of a payload.
pub fn outcome(client: &mut Client, id: i64) -> (String, Option<String>) {
    let row = client
        .query_one(
            "SELECT outcome, reason FROM cxone_payloads WHERE id = $1",
            &[&id],
        )
        .expect("payload row");
    (row.get(0), row.get(1))
}

/// Inserts `n` CXone-shaped (DFO) conversations built from Banking77 utterances in one statement;
/// returns their count. `tag` keeps event ids apart between calls.
pub fn ingest_banking77(client: &mut Client, n: usize, tag: &str) -> usize {
    let csv = std::fs::read_to_string(format!(
        "{}/../../data/banking77/train.csv",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let rows: Vec<(&str, &str)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit_once(','))
        .collect();
    // Past the end of the data set the utterances come round again, each time with a different
    // agent line, so every conversation's text stays distinct.
    let payloads: Vec<String> = (0..n)
        .map(|i| {
            let (text, category) = rows[i % rows.len()];
            let round = i / rows.len();
            let again = if round == 0 {
                String::new()
            } else {
                format!(" (follow-up {round})")
            };
            serde_json::json!({
                "eventId": format!("{tag}-{i}"),
                "createdAt": "2024-03-06T08:06:04+00:00",
                "data": {
                    "case": {"id": format!("{tag}-case-{i}"), "status": "closed"},
                    "transcript": [
                        {"participant": "bot", "text": "Hi! What can I help with today?"},
                        {"participant": "customer", "text": text.trim_matches('"')},
                        {"participant": "agent", "text": format!("Thanks, let me look into {}.{again}", category.replace('_', " "))}
                    ]
                }
            })
            .to_string()
        })
        .collect();
    client
        .execute(
            "INSERT INTO cxone_payloads (payload) SELECT p::json FROM unnest($1::text[]) AS p",
            &[&payloads],
        )
        .unwrap();
    payloads.len()
}

/// The real sidecar binary (built by scripts/test.sh; CXONE_SIDECAR_BIN points at it).
pub fn sidecar() -> Command {
    let bin = std::env::var("CXONE_SIDECAR_BIN").unwrap_or_else(|_| {
        format!(
            "{}/../../target/debug/cxone-sidecar",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "CXONE_MODEL_DIR",
            format!(
                "{}/../../models/all-MiniLM-L6-v2",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        // The key POST /v1/embeddings requires (scripts/test.sh gives cxone_embed the same).
        .env("CXONE_EMBEDDINGS_API_KEY", "cxone-test-embeddings-key")
        .env("CXONE_LOG", "info");
    c
}

/// `cxone-sidecar run` with the local model on a free port, and the database pointed at it.
pub fn start_local(db: &TestDb, extra: &[(&str, &str)]) -> (Running, u16) {
    let port = free_port();
    let mut cmd = sidecar();
    cmd.env("DATABASE_URL", db.url())
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_POLL_SECS", "1");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = Running(spawn(cmd.arg("run")));
    db.connect()
        .batch_execute(&format!(
            "ALTER DATABASE {} SET cxone.embeddings_url = 'http://127.0.0.1:{port}/v1/embeddings'",
            db.name
        ))
        .unwrap();
    wait_ready(port);
    (child, port)
}

/// Sidecar settings for the OpenAI double.
pub fn with_double(c: &mut Command, db: &TestDb, double: &openai_double::OpenAiDouble) {
    c.env("DATABASE_URL", db.url())
        .env("CXONE_PROVIDER", "openai")
        .env("OPENAI_BASE_URL", double.base_url())
        .env("OPENAI_API_KEY", &double.key)
        .env("OPENAI_MODEL", "text-embedding-3-small")
        .env("CXONE_POLL_SECS", "1")
        .env("CXONE_LEASE_SECS", "30");
}

/// Runs the sidecar to completion, capturing its output.
pub fn run_to_end(c: &mut Command) -> Output {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run cxone-sidecar")
}

/// Starts the sidecar in the background.
pub fn spawn(c: &mut Command) -> Child {
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cxone-sidecar")
}

/// Counts of conversation_embeddings rows by status.
pub fn status_counts(client: &mut Client) -> std::collections::BTreeMap<String, i64> {
    client
        .query(
            "SELECT status, count(*) FROM conversation_embeddings GROUP BY status",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// A free port on 127.0.0.1 for a sidecar's HTTP server.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 request to 127.0.0.1:port; (status, body). Status 0: no connection.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    if s.write_all(req.as_bytes())
        .and_then(|_| s.write_all(body))
        .is_err()
    {
        return (0, String::new());
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out).to_string();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// Waits until GET /readyz answers 200 (or panics after 60 s).
pub fn wait_ready(port: u16) {
    let started = std::time::Instant::now();
    while http(port, "GET", "/readyz", &[], b"").0 != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "sidecar not ready on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Waits until no row is pending (or panics after `secs`).
pub fn wait_embedded(client: &mut Client, secs: u64) {
    let started = std::time::Instant::now();
    loop {
        let pending: i64 = client
            .query_one(
                "SELECT count(*) FROM conversation_embeddings WHERE status = 'pending'",
                &[],
            )
            .unwrap()
            .get(0);
        if pending == 0 {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(secs),
            "{pending} rows still pending"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Like `openai_db`, without the HNSW index: for scenarios about the sidecar and the queue,
/// where pgvector's index inserts (milliseconds per 1536-dimension vector on two cores) would
/// otherwise set the pace. BENCHMARKS.md measures the indexed case.
pub fn openai_db_unindexed() -> TestDb {
    let db = TestDb::new();
    db.connect()
        .batch_execute("UPDATE cxone_models SET model = 'text-embedding-3-small', dims = 1536")
        .unwrap();
    db
}

/// A test database whose active model is the OpenAI double's (rows are queued for the active
/// model, and the double answers as text-embedding-3-small).
pub fn openai_db() -> TestDb {
    let db = TestDb::new();
    db.connect()
        .batch_execute(
            "UPDATE cxone_models SET model = 'text-embedding-3-small', dims = 1536;
             SELECT cxone_create_index('text-embedding-3-small', 1536);",
        )
        .unwrap();
    db
}

/// A child process killed when the guard is dropped (a failing test leaves no sidecar behind).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// CXone Expert's webhook signature: `sha256=hex(HMAC(secret, timestamp + "." + body))`.
pub fn sign(secret: &str, ts: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Makes `cxone_embed` in `db` send `key`: writes it to a key file in the cluster's data
/// directory, readable only by the server's OS user, and points
/// `cxone.embeddings_api_key_file` at it (README "Security model"). Returns the file's path.
pub fn use_embeddings_key(db: &TestDb, key: &str) -> String {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut c = db.connect();
    let data: String = c
        .query_one("SHOW data_directory", &[])
        .expect("data_directory")
        .get(0);
    let owner = std::fs::metadata(&data).expect("data directory").uid();
    let path = format!("{data}/cxone-test-key-{}", db.name);
    std::fs::write(&path, format!("{key}\n")).expect("write the key file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&path, Some(owner), None).expect("chown the key file");
    c.batch_execute(&format!(
        "ALTER DATABASE {} SET cxone.embeddings_api_key_file = '{path}'",
        db.name
    ))
    .unwrap();
    path
}
