//! The HTTP listeners, with the bounds a slow or abusive client cannot get around: at most
//! `max_connections` open at once (further clients wait in the kernel's backlog), request
//! headers within `header_timeout` (an idle keep-alive connection is closed after the same
//! time), a response that the client accepts no bytes of for `write_timeout` is cut off, and a
//! graceful drain on shutdown. Request bodies are bounded per route (body.rs). axum's own
//! `serve` sets no timer, so hyper's header timeout would never fire there.

use crate::config::Config;
use crate::http::Http;
use crate::provider::AnyProvider;
use crate::state::State;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use metrics_exporter_prometheus::PrometheusHandle;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Sleep;

/// Binds the HTTP listeners (the internal one, and the webhooks' own when CXONE_WEBHOOK_ADDR
/// differs from CXONE_HTTP_ADDR) and serves them until `stop`.
pub async fn serve_http(
    cfg: &Config,
    state: &Arc<State>,
    metrics: PrometheusHandle,
    provider: &Arc<AnyProvider>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, String> {
    let http = Http::new(cfg, state.clone(), Some(metrics), Some(provider.clone()))?;
    if !http.embeddings_enabled() {
        tracing::warn!("POST /v1/embeddings answers 503 (so cxone_search cannot embed queries) until CXONE_EMBEDDINGS_API_KEY or CXONE_EMBEDDINGS_API_KEY_FILE is set");
    }
    let limits = Limits {
        max_connections: cfg.http.http_max_connections,
        header_timeout: Duration::from_secs(cfg.http.http_header_timeout_secs.max(1)),
        write_timeout: Duration::from_secs(cfg.http.http_write_timeout_secs.max(1)),
    };
    let addr = cfg.http.http_addr;
    let routes = match cfg.http.webhook_addr.filter(|a| *a != addr) {
        None => vec![(addr, "CXONE_HTTP_ADDR", http.app())],
        Some(hooks) => vec![
            (addr, "CXONE_HTTP_ADDR", http.internal()),
            (hooks, "CXONE_WEBHOOK_ADDR", http.webhooks()),
        ],
    };
    let mut listeners = Vec::new();
    for (addr, setting, app) in routes {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr} ({setting}): {e}"))?;
        tracing::info!(%addr, setting, "HTTP server listening");
        listeners.push((listener, app));
    }
    Ok(listeners
        .into_iter()
        .map(|(listener, app)| tokio::spawn(serve(listener, app, limits, stop.clone())))
        .collect())
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub write_timeout: Duration,
}

/// Serves `app` until `stop` turns true, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = stopped(&mut stop) => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut stop = stop.clone();
        connections.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let io = TokioIo::new(WriteTimeout::new(stream, limits.write_timeout));
            let conn = builder.serve_connection(io, service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopped(&mut stop) => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

/// Resolves once shutdown starts (without holding the watch's lock across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await.map(|_| ());
}

/// A connection whose writes fail once the peer has accepted no bytes for `limit` (hyper has a
/// timer for reading headers, none for writing). The clock runs from the first write that
/// cannot proceed and stops at any progress, so a slow but reading client is served to the
/// end while one that stops reading is cut off.
pub struct WriteTimeout<IO> {
    io: IO,
    limit: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> WriteTimeout<IO> {
    pub fn new(io: IO, limit: Duration) -> Self {
        WriteTimeout {
            io,
            limit,
            stalled: None,
        }
    }

    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "the client accepted no bytes of the response for {} s (CXONE_HTTP_WRITE_TIMEOUT_SECS)",
                    limit.as_secs()
                ),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for WriteTimeout<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write(cx, buf);
        self.watch(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_flush(cx);
        self.watch(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.io).poll_shutdown(cx);
        self.watch(cx, poll)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_peer_that_stops_reading_is_cut_off_and_a_slow_one_is_not() {
        let limit = Duration::from_millis(300);
        // Nobody reads: the write fails after the limit.
        let (near, _far) = tokio::io::duplex(64);
        let mut w = WriteTimeout::new(near, limit);
        let started = std::time::Instant::now();
        let err = w.write_all(&[7u8; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("CXONE_HTTP_WRITE_TIMEOUT_SECS"));
        assert!(started.elapsed() >= limit && started.elapsed() < limit * 5);
        // A reader taking 64 bytes every 100 ms: slower than the whole write could take at
        // once, but never silent for the limit, so everything arrives.
        let (near, mut far) = tokio::io::duplex(64);
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                match far.read(&mut buf).await.unwrap() {
                    0 => return got,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
        });
        let mut w = WriteTimeout::new(near, limit);
        w.write_all(&[7u8; 640]).await.unwrap();
        w.shutdown().await.unwrap();
        drop(w);
        assert_eq!(reader.await.unwrap().len(), 640);
    }
}
