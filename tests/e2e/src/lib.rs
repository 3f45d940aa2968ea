//! Helpers for the end-to-end tests: each test gets its own database with the extension
//! installed, on the cluster that `scripts/test.sh` starts (CXONE_TEST_DATABASE_URL).

use postgres::{Client, NoTls};
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
