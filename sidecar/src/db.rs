//! The database connection: connect (over TLS when DATABASE_URL asks), LISTEN on the trigger's
//! channel, and report when the connection is gone so the worker reconnects.

use crate::pg_tls;
use crate::retry;
use crate::state::State;
use futures_util::stream::StreamExt;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

/// The channel the ingest trigger NOTIFYs.
pub const CHANNEL: &str = cxone_core::NOTIFY_CHANNEL;

/// A live connection: the client, and a receiver that yields one message per NOTIFY and is
/// closed when the connection ends.
pub struct Db {
    pub client: Arc<Client>,
    pub notified: mpsc::UnboundedReceiver<()>,
}

/// Connects with the application name `cxone-sidecar`, over TLS when DATABASE_URL's sslmode
/// asks (pg_tls.rs), and LISTENs when `listen` is set.
pub async fn connect(url: &str, listen: bool) -> Result<Db, String> {
    let (url, tls) = pg_tls::split(url)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("DATABASE_URL is not a valid connection string: {e}"))?;
    config.application_name("cxone-sidecar");
    config.connect_timeout(std::time::Duration::from_secs(10));
    config.ssl_mode(tls.negotiation());
    let (client, rx) = match tls.connector()? {
        None => {
            let (client, connection) = config.connect(NoTls).await.map_err(refused)?;
            (client, forward_notifications(connection))
        }
        Some(connector) => {
            let (client, connection) = config.connect(connector).await.map_err(refused)?;
            (client, forward_notifications(connection))
        }
    };
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

/// The connection error, with what to check when TLS was the trouble.
fn refused(e: tokio_postgres::Error) -> String {
    // tokio-postgres's Display leaves out the cause (the server's message, OpenSSL's reason).
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.contains(&c_text) {
            text = format!("{text}: {c_text}");
        }
        cause = c.source();
    }
    let hint = if text.contains("server does not support TLS") {
        "; the server has ssl off: turn it on, or use sslmode=prefer or disable"
    } else if text.contains("TLS") {
        "; check sslrootcert (the CA that signed the server's certificate) and, for sslmode=verify-full, that the certificate names the host in DATABASE_URL"
    } else {
        ""
    };
    format!("cannot connect to the database: {text}{hint}")
}

/// Drives the connection in a task: one message on the receiver per NOTIFY; the receiver is
/// closed when the connection ends.
fn forward_notifications<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
) -> mpsc::UnboundedReceiver<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
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
    rx
}

/// Keeps `state.ingest` holding a live connection (no LISTEN) until `stop`: reconnects with backoff
/// when it drops. The webhook handler answers 503 while it is empty.
pub async fn keep_connected(
    url: String,
    state: Arc<State>,
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
                let wait = retry::delay(failures, Some(std::time::Duration::from_millis(200)));
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "webhook connection unavailable");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}
