//! Where webhook payloads are stored: one INSERT into `cxone_payloads` for all the events of a
//! request, and the outcome the ingest trigger gave each one.

use serde::Serialize;
use tokio_postgres::Client;

/// One stored payload, as the webhook's reply lists it.
#[derive(Debug, Serialize)]
pub struct Stored {
    pub id: i64,
    /// None while the payload waits for the end of its statement (the trigger then decides).
    pub outcome: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug)]
pub enum StoreError {
    /// PostgreSQL refused an event as json (SQLSTATE class 22, data exception), with its
    /// message: the sender must fix the event; sending it again will not help.
    InvalidJson(String),
    /// Anything else (connection lost, statement failed): nothing was stored; try again later.
    Database(tokio_postgres::Error),
}

/// Stores `events` (each the exact text of one JSON value) in order, in one autocommitted
/// statement, and returns their ids and outcomes in the same order. Replays and payloads
/// superseded on arrival get their outcome when the statement ends (after RETURNING is
/// computed), so the outcomes are read back once it has committed.
pub async fn store(db: &Client, events: &[String]) -> Result<Vec<Stored>, StoreError> {
    let inserted = db
        .query(
            "INSERT INTO cxone_payloads (source, payload)
             SELECT 'webhook', p::json FROM unnest($1::text[]) WITH ORDINALITY AS t(p, n) ORDER BY n
             RETURNING id",
            &[&events],
        )
        .await
        .map_err(refused)?;
    let ids = inserted
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<i64>, _>>()
        .map_err(StoreError::Database)?;
    let rows = db
        .query(
            "SELECT p.id, p.outcome, p.reason FROM unnest($1::int8[]) WITH ORDINALITY AS t(id, n)
               JOIN cxone_payloads p ON p.id = t.id ORDER BY t.n",
            &[&ids],
        )
        .await
        .map_err(StoreError::Database)?;
    rows.iter()
        .map(|r| {
            Ok(Stored {
                id: r.try_get(0)?,
                outcome: r.try_get(1)?,
                reason: r.try_get(2)?,
            })
        })
        .collect::<Result<_, _>>()
        .map_err(StoreError::Database)
}

fn refused(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(d) if d.code().code().starts_with("22") => {
            StoreError::InvalidJson(d.message().to_string())
        }
        _ => StoreError::Database(e),
    }
}
