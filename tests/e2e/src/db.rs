//! The database side of a test: a database of its own with the extension installed, on the
//! cluster that `scripts/test.sh` starts (CXONE_TEST_DATABASE_URL), and what tests read from it.

use crate::openai_double::OpenAiDouble;
use postgres::types::{FromSqlOwned, ToSql};
use postgres::{Client, GenericClient, NoTls};
use std::sync::atomic::{AtomicU32, Ordering};

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

    /// `ALTER DATABASE .. SET setting = 'value'`: the sessions opened from now on see it.
    pub fn set(&self, setting: &str, value: &str) {
        let sql = format!("ALTER DATABASE {} SET {setting} = '{value}'", self.name);
        self.connect()
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
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

/// The first column of the one row `sql` returns.
pub fn scalar<T: FromSqlOwned>(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> T {
    client
        .query_one(sql, params)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get(0)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
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

/// Waits until no row is pending (or panics after `secs`).
pub fn wait_embedded(client: &mut Client, secs: u64) {
    let started = std::time::Instant::now();
    loop {
        let pending: i64 = scalar(
            client,
            "SELECT count(*) FROM conversation_embeddings WHERE status = 'pending'",
            &[],
        );
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

/// Makes `cxone_embed` in `db` send `key`: writes it to a key file in the cluster's data
/// directory, readable only by the server's OS user, and points
/// `cxone.embeddings_api_key_file` at it (README "Security model"). Returns the file's path.
pub fn use_embeddings_key(db: &TestDb, key: &str) -> String {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut c = db.connect();
    let data: String = scalar(&mut c, "SHOW data_directory", &[]);
    let owner = std::fs::metadata(&data).expect("data directory").uid();
    let path = format!("{data}/cxone-test-key-{}", db.name);
    std::fs::write(&path, format!("{key}\n")).expect("write the key file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&path, Some(owner), None).expect("chown the key file");
    db.set("cxone.embeddings_api_key_file", &path);
    path
}

/// Points `cxone_embed` (the query embeddings of search) in `db` at the OpenAI double, with
/// the double's key in a key file ([`use_embeddings_key`]); returns the key file's path.
pub fn embed_queries_with(db: &TestDb, double: &OpenAiDouble) -> String {
    db.set("cxone.embeddings_url", &double.embeddings_url());
    use_embeddings_key(db, &double.key)
}
