//! The embedding queue as this sidecar speaks it: the extension's queue protocol (the
//! `cxone_queue_*` functions of `sql/queue.sql`), and nothing else. Every call is one short
//! statement; none stays open during a provider call. A claim leases rows to this connection
//! (its backend pid); writes, failures and releases touch only rows still leased to it.

use pgvector::Vector;
use std::collections::HashMap;
use tokio_postgres::Client;
use uuid::Uuid;

/// A claimed row, with the vector its model already made for the same text, if any
/// (identical text is embedded once).
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub text: String,
    pub reuse: Option<Vector>,
}

/// Claims up to `limit` pending rows meant for `model`.
pub async fn claim(
    db: &Client,
    limit: i32,
    lease_secs: i64,
    model: &str,
) -> Result<Vec<Claimed>, tokio_postgres::Error> {
    let rows = db
        .query(
            "SELECT id, text_content, reuse FROM cxone_queue_claim($3, $1, $2)",
            &[&limit, &(lease_secs as f64), &model],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Claimed {
            id: r.get(0),
            text: r.get(1),
            reuse: r.get(2),
        })
        .collect())
}

/// Claimed rows with one text, and the vector the model already made for it, if any.
pub struct Group {
    pub text: String,
    pub ids: Vec<Uuid>,
    pub reuse: Option<Vector>,
}

/// Fills in the vector `model` has already made for any group's text that has none (the
/// claim's own probe, again: for texts whose first rows were written after this claim ran).
pub async fn find_reusable(
    db: &Client,
    groups: &mut [Group],
    model: &str,
) -> Result<(), tokio_postgres::Error> {
    let texts: Vec<&str> = groups
        .iter()
        .filter(|g| g.reuse.is_none())
        .map(|g| g.text.as_str())
        .collect();
    if texts.is_empty() {
        return Ok(());
    }
    let rows = db
        .query(
            "SELECT text_content, embedding FROM cxone_queue_reusable($1, $2)",
            &[&model, &texts],
        )
        .await?;
    let found: HashMap<String, Vector> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for g in groups.iter_mut().filter(|g| g.reuse.is_none()) {
        g.reuse = found.get(&g.text).cloned();
    }
    Ok(())
}

/// Groups claimed rows by text, in claim order: identical texts are embedded once.
pub fn group_by_text(claimed: Vec<Claimed>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for c in claimed {
        match index.get(&c.text) {
            Some(&i) => groups[i].ids.push(c.id),
            None => {
                index.insert(c.text.clone(), groups.len());
                groups.push(Group {
                    text: c.text,
                    ids: vec![c.id],
                    reuse: c.reuse,
                });
            }
        }
    }
    groups
}

/// Writes vectors back in one round trip; older embedded rows of the same conversations (from
/// earlier payloads) become superseded now that the newer text is searchable. Returns the rows
/// written (rows no longer leased to us are left alone).
pub async fn write_back(
    db: &Client,
    ids: &[Uuid],
    vectors: Vec<Vector>,
    model: &str,
) -> Result<u64, tokio_postgres::Error> {
    let row = db
        .query_one(
            "SELECT cxone_queue_write($3, $1, $2)",
            &[&ids, &vectors, &model],
        )
        .await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Why a request's rows are given back, and what becomes of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Failed for good now (the text is too long, the provider refused it).
    Permanent(String),
    /// Pending again after `after` seconds, unless a row has had its `max_attempts`.
    Retry { reason: String, after: f64 },
}

/// Gives rows back after a failed request. Returns how many are now failed.
pub async fn fail(
    db: &Client,
    ids: &[Uuid],
    failure: &Failure,
    max_attempts: i32,
) -> Result<u64, tokio_postgres::Error> {
    let (error, permanent, after) = match failure {
        Failure::Permanent(why) => (why.as_str(), true, 0.0),
        Failure::Retry { reason, after } => (reason.as_str(), false, *after),
    };
    let row = db
        .query_one(
            "SELECT cxone_queue_fail($1, $2, $3, $4, $5)",
            &[&ids, &error, &permanent, &max_attempts, &after],
        )
        .await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Releases rows untouched (shutdown): the attempt is not counted.
pub async fn release(db: &Client, ids: &[Uuid]) -> Result<u64, tokio_postgres::Error> {
    let row = db
        .query_one("SELECT cxone_queue_release($1)", &[&ids])
        .await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// The version of the queue protocol this sidecar speaks (`cxone_queue_protocol()`).
pub const PROTOCOL: i32 = 1;

/// Whether the extension speaks this sidecar's protocol: `Ok(Err(what to upgrade))` when it
/// does not; `Err` when the database could not be asked.
pub async fn check_protocol(db: &Client) -> Result<Result<(), String>, tokio_postgres::Error> {
    let spoken = match db.query_one("SELECT cxone_queue_protocol()", &[]).await {
        Ok(row) => row.get::<_, i32>(0),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_FUNCTION) => {
            return Ok(Err(match extension_version(db).await? {
                None => "the extension cxone_vector is not installed in this database: run CREATE EXTENSION cxone_vector CASCADE".to_string(),
                Some(v) => format!("extension cxone_vector {v} predates the queue protocol this sidecar speaks (version {PROTOCOL}, from cxone_vector 0.3.0): run ALTER EXTENSION cxone_vector UPDATE"),
            }));
        }
        Err(e) => return Err(e),
    };
    if spoken == PROTOCOL {
        return Ok(Ok(()));
    }
    let version = extension_version(db).await?.unwrap_or_default();
    let upgrade = if spoken < PROTOCOL {
        "run ALTER EXTENSION cxone_vector UPDATE"
    } else {
        "use a cxone-sidecar release that speaks it"
    };
    Ok(Err(format!("extension cxone_vector {version} speaks queue protocol {spoken}, this sidecar speaks {PROTOCOL}: {upgrade}")))
}

/// The installed extension's version, if it is installed.
pub async fn extension_version(db: &Client) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(db
        .query_opt(
            "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'cxone_vector'",
            &[],
        )
        .await?
        .map(|r| r.get(0)))
}

/// Rows pending for `model`.
pub async fn pending_count(db: &Client, model: &str) -> Result<i64, tokio_postgres::Error> {
    Ok(db
        .query_one("SELECT cxone_queue_depth($1)", &[&model])
        .await?
        .get(0))
}

/// When `model` is being built (cxone_reembed) and nothing is left pending for it, makes it the
/// active model. Returns true when the switch happened now.
pub async fn finish_building(db: &Client, model: &str) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_one("SELECT cxone_queue_finish($1)", &[&model])
        .await?
        .get(0))
}
