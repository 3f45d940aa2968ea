//! Where rows are claimed and written back. Every statement is one short transaction; none stays
//! open during a provider call. A claim leases rows to this connection (its backend pid) for a
//! while; a lease that expired, or whose connection is gone (the sidecar was killed), is taken
//! over at once. Writes only touch rows still leased to this connection, so two sidecars never
//! both write a row.

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
RETURNING e.id, e.text_content,
       -- A vector `$3` already made for this text: one probe of the reuse index per row. (As
       -- a join, the planner costed md5() as cheap and hashed every embedded row's text
       -- instead: a scan that grew with the table, 38 ms per claim at 20,000 rows.)
       (SELECT r.embedding FROM conversation_embeddings r
         WHERE r.model = $3 AND r.status = 'embedded'
           AND md5(r.text_content) = md5(e.text_content) AND r.text_content = e.text_content
         LIMIT 1)";

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
            "SELECT t.t, r.embedding FROM unnest($2::text[]) AS t(t)
               JOIN LATERAL (SELECT r.embedding FROM conversation_embeddings r
                              WHERE r.model = $1 AND r.status = 'embedded'
                                AND md5(r.text_content) = md5(t.t) AND r.text_content = t.t
                              LIMIT 1) r ON true",
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
            // Plans here are made on statistics that never see leased rows (ANALYZE runs between
            // batches, when the leases are gone), so every estimate says "one row". Two shapes
            // that such plans made quadratic are avoided:
            // - no join between the rows and the batch: a nested loop rescanned the unnested
            //   batch once per row (4 million comparisons per 2,000 rows, 560 ms). Each row
            //   finds its vector's place through a jsonb object from id to place, whose keys
            //   are found by binary search (`array_position` compared each row's id with half
            //   the batch on average: 30 of 115 ms per 2,000 rows);
            // - `status || ''` instead of `status`: a condition no partial index can prove, so
            //   the scan cannot be the pending index (every pending row, per batch) or, for the
            //   superseded step, the reuse index (every embedded row, per batch); rows are
            //   found by primary key and by conversation.
            "WITH done AS (
                UPDATE conversation_embeddings e
                   SET embedding = ($2::vector[])[(($4::text::jsonb) ->> e.id::text)::int],
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
            &[&ids, &vectors, &model, &places(ids)],
        )
        .await?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// `{"<id>": place, ...}`: each id's 1-based place in the batch, as JSON text.
fn places(ids: &[Uuid]) -> String {
    let pairs: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| format!("\"{id}\":{}", i + 1))
        .collect();
    format!("{{{}}}", pairs.join(","))
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

/// Assembles the conversations whose messages have been quiet long enough (the mapping's
/// `quiet_seconds`): the extension's clock for open cases, driven by this poll. Returns how
/// many were assembled. An extension older than 0.3.0 has no such function: nothing to do.
pub async fn assemble_due(db: &Client) -> Result<i64, tokio_postgres::Error> {
    match db.query_one("SELECT cxone_assemble_due()", &[]).await {
        Ok(row) => Ok(row.get(0)),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_FUNCTION) => Ok(0),
        Err(e) => Err(e),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_map_each_id_to_its_one_based_place() {
        let ids = [Uuid::from_u128(7), Uuid::from_u128(u128::MAX)];
        let v: serde_json::Value = serde_json::from_str(&places(&ids)).unwrap();
        assert_eq!(v[ids[0].to_string()], 1);
        assert_eq!(v[ids[1].to_string()], 2);
        assert_eq!(places(&[]), "{}");
    }
}
