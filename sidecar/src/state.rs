//! What the worker, the webhook connection and the HTTP routes share: readiness, the database
//! connections, and the counts the backfill's progress shows.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use tokio::sync::RwLock;
use tokio_postgres::Client;

#[derive(Default)]
pub struct State {
    /// The worker holds a live connection.
    pub ready: AtomicBool,
    /// The worker's connection, which `/readyz` asks.
    pub client: RwLock<Option<Arc<Client>>>,
    /// A second connection for webhook INSERTs, so that receiving never queues behind the
    /// worker's claims and write-backs (see db::keep_connected).
    pub ingest: RwLock<Option<Arc<Client>>>,
    /// Rows written back with a vector.
    pub embedded: AtomicU64,
    /// Rows marked failed for good.
    pub failed: AtomicU64,
}
