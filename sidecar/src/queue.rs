//! Where rows are claimed and written back. Every statement is one short transaction; none stays
//! open during a provider call. A claim leases rows to this connection (its backend pid) for a
//! while; a lease that expired, or whose connection is gone (the sidecar was killed), is taken
//! over at once. Writes only touch rows still leased to this connection, so two sidecars never
//! both write a row.

use pgvector::Vector;
use tokio_postgres::Client;
use uuid::Uuid;

/// A claimed row.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    pub text: String,
}

const CLAIM: &str = "
WITH c AS (
    SELECT e.id FROM conversation_embeddings e
     WHERE e.status = 'pending' AND e.target_model = $3 AND e.next_attempt_at <= now()
       AND (e.lease_until IS NULL OR e.lease_until < now()
            OR NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.pid = e.leased_by))
     ORDER BY e.next_attempt_at
     LIMIT $1
       FOR UPDATE SKIP LOCKED)
UPDATE conversation_embeddings e
   SET lease_until = now() + pg_catalog.make_interval(secs => $2), leased_by = pg_catalog.pg_backend_pid(),
       attempts = e.attempts + 1
  FROM c WHERE e.id = c.id
RETURNING e.id, e.text_content";

/// Claims up to `limit` pending rows meant for `model`.
pub async fn claim(
    db: &Client,
    limit: i64,
    lease_secs: i64,
    model: &str,
) -> Result<Vec<Claimed>, tokio_postgres::Error> {
    let rows = db
        .query(CLAIM, &[&limit, &(lease_secs as f64), &model])
        .await?;
    Ok(rows
        .iter()
        .map(|r| Claimed {
            id: r.get(0),
            text: r.get(1),
        })
        .collect())
}

/// Vectors already made by `model` for any of these texts (identical text is embedded once).
pub async fn reusable(
    db: &Client,
    model: &str,
    texts: &[String],
) -> Result<Vec<(String, Vector)>, tokio_postgres::Error> {
    let rows = db
        .query(
            // A join, not `text_content = ANY ($2)`: that filter compares each candidate row
            // with every claimed text (2,048 x rows), which made a 10,000-row backfill 8x
            // slower than a 2,000-row one.
            "SELECT DISTINCT ON (md5(e.text_content)) e.text_content, e.embedding
               FROM (SELECT DISTINCT t FROM unnest($2::text[]) AS t) AS q(t)
               JOIN conversation_embeddings e
                 ON e.model = $1 AND e.status = 'embedded'
                AND md5(e.text_content) = md5(q.t) AND e.text_content = q.t",
            &[&model, &texts],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
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
            // Plans here are made on statistics that never see leased rows (ANALYZE runs between
            // batches, when the leases are gone), so every estimate says "one row". Two shapes
            // that such plans made quadratic are avoided:
            // - no join between the rows and the batch: a nested loop rescanned the unnested
            //   batch once per row (4 million comparisons per 2,000 rows, 560 ms). Each row
            //   finds its vector by its place in the id array instead (linear in the batch);
            // - `status || ''` instead of `status`: a condition no partial index can prove, so
            //   the scan cannot be the pending index (every pending row, per batch) or, for the
            //   superseded step, the reuse index (every embedded row, per batch); rows are
            //   found by primary key and by conversation.
            "WITH done AS (
                UPDATE conversation_embeddings e
                   SET embedding = ($2::vector[])[pg_catalog.array_position($1::uuid[], e.id)],
                       status = 'embedded', model = $3, embedded_at = now(),
                       lease_until = NULL, leased_by = NULL, last_error = NULL
                 WHERE e.id = ANY ($1::uuid[])
                   AND (e.status || '') = 'pending' AND e.leased_by = pg_catalog.pg_backend_pid()
                RETURNING e.conversation_id, e.payload_id),
             old AS (
                UPDATE conversation_embeddings o SET status = 'superseded'
                 WHERE o.conversation_id = ANY (ARRAY(SELECT conversation_id FROM done))
                   AND (o.conversation_id, o.payload_id) NOT IN (SELECT conversation_id, payload_id FROM done)
                   AND (o.status || '') = 'embedded' AND o.target_model = $3
                RETURNING 1)
             SELECT (SELECT count(*) FROM done), (SELECT count(*) FROM old)",
            &[&ids, &vectors, &model],
        )
        .await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// Gives rows back after a failed request: failed for good when `permanent` or out of
/// attempts, otherwise pending again after `delay_secs`. Returns how many are now failed.
pub async fn fail(
    db: &Client,
    ids: &[Uuid],
    error: &str,
    permanent: bool,
    max_attempts: i32,
    delay_secs: f64,
) -> Result<u64, tokio_postgres::Error> {
    let rows = db
        .query(
            "UPDATE conversation_embeddings
            SET status = CASE WHEN $3 OR attempts >= $4 THEN 'failed' ELSE 'pending' END,
                last_error = CASE WHEN $3 OR attempts < $4 THEN $2
                                  ELSE 'gave up after ' || attempts || ' attempts: ' || $2 END,
                next_attempt_at = now() + pg_catalog.make_interval(secs => $5),
                lease_until = NULL, leased_by = NULL
          WHERE id = ANY ($1) AND status = 'pending' AND leased_by = pg_catalog.pg_backend_pid()
      RETURNING status = 'failed'",
            &[&ids, &error, &permanent, &max_attempts, &delay_secs],
        )
        .await?;
    Ok(rows.iter().filter(|r| r.get::<_, bool>(0)).count() as u64)
}

/// Releases rows untouched (shutdown): the attempt is not counted.
pub async fn release(db: &Client, ids: &[Uuid]) -> Result<u64, tokio_postgres::Error> {
    db.execute(
        "UPDATE conversation_embeddings SET lease_until = NULL, leased_by = NULL, attempts = greatest(attempts - 1, 0)
          WHERE id = ANY ($1) AND status = 'pending' AND leased_by = pg_catalog.pg_backend_pid()",
        &[&ids],
    )
    .await
}

/// Rows pending for `model`.
pub async fn pending_count(db: &Client, model: &str) -> Result<i64, tokio_postgres::Error> {
    Ok(db
        .query_one(
            "SELECT count(*) FROM conversation_embeddings WHERE status = 'pending' AND target_model = $1",
            &[&model],
        )
        .await?
        .get(0))
}

/// When `model` is being built (cxone_reembed) and nothing is left pending for it, makes it the
/// active model. Returns true when the switch happened now.
pub async fn finish_building(db: &Client, model: &str) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_one("SELECT _cxone_finish_building($1)", &[&model])
        .await?
        .get(0))
}
