//! The extension's clocks that the sidecar drives, at most once per poll interval, busy or idle
//! (a long backfill must not hold them back): open conversations assembled after their quiet
//! time (`cxone_assemble_due`), and raw payloads deleted after the retention period
//! (`cxone_retention_due`). A failure is logged and tried again at the next tick; embedding
//! goes on.

use tokio_postgres::Client;

/// Runs each clock once.
pub async fn tick(db: &Client) {
    match db.query_one("SELECT cxone_assemble_due()", &[]).await {
        Ok(row) => {
            let n: i64 = row.get(0);
            if n > 0 {
                tracing::debug!(assembled = n, "quiet conversations assembled and queued");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cxone_assemble_due() failed; open conversations wait until it works")
        }
    }
    match db.query_one("SELECT cxone_retention_due()", &[]).await {
        Ok(row) => {
            let n: i64 = row.get(0);
            if n > 0 {
                tracing::info!(
                    deleted = n,
                    "raw payloads past cxone.payload_retention_days deleted"
                );
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cxone_retention_due() failed; old payloads stay until it works")
        }
    }
}
