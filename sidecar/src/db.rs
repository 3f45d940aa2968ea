//! The database connection: connect, LISTEN on the trigger's channel, and report when the
//! connection is gone so the worker reconnects.

use futures_util::stream::StreamExt;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

/// The channel the ingest trigger NOTIFYs.
pub const CHANNEL: &str = "cxone_vector_pending";

/// A live connection: the client, and a receiver that yields one message per NOTIFY and is
/// closed when the connection ends.
pub struct Db {
    pub client: Arc<Client>,
    pub notified: mpsc::UnboundedReceiver<()>,
}

/// Connects with the application name `cxone-sidecar` and LISTENs when `listen` is set.
pub async fn connect(url: &str, listen: bool) -> Result<Db, String> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATABASE_URL is not a valid connection string: {e}"))?;
    config.application_name("cxone-sidecar");
    config.connect_timeout(std::time::Duration::from_secs(10));
    let (client, mut connection) = config
        .connect(NoTls)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    let _ = tx.send(());
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "database connection lost");
                    break;
                }
            }
        }
        // Dropping tx closes the receiver: the worker sees the connection is gone.
    });
    if listen {
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| format!("LISTEN {CHANNEL} failed: {e}"))?;
    }
    Ok(Db {
        client: Arc::new(client),
        notified: rx,
    })
}

/// Keeps `state.ingest` holding a live connection (no LISTEN) until `stop`: reconnects with backoff
/// when it drops. The webhook handler answers 503 while it is empty.
pub async fn keep_connected(
    url: String,
    state: Arc<crate::worker::State>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    while !*stop.borrow() {
        match connect(&url, false).await {
            Ok(mut db) => {
                failures = 0;
                *state.ingest.write().await = Some(db.client.clone());
                // The receiver closes when the connection ends.
                let closed = async { while db.notified.recv().await.is_some() {} };
                tokio::select! {
                    _ = closed => tracing::warn!("webhook connection lost; reconnecting"),
                    _ = stop.changed() => {}
                }
                *state.ingest.write().await = None;
            }
            Err(e) => {
                failures += 1;
                let wait =
                    crate::retry::delay(failures, Some(std::time::Duration::from_millis(200)));
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "webhook connection unavailable");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}
