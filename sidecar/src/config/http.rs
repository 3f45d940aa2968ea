//! Settings of the HTTP server: where it listens, and the bounds a slow or abusive client meets.

use clap::Args;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "HTTP server")]
pub struct HttpConfig {
    /// Address of the HTTP server: /v1/embeddings, /healthz, /readyz, /metrics, and also
    /// /v1/webhooks/cxone unless --webhook-addr is set.
    #[arg(
        long,
        env = "CXONE_HTTP_ADDR",
        default_value = "127.0.0.1:8088",
        global = true
    )]
    pub http_addr: SocketAddr,

    /// A separate address for POST /v1/webhooks/cxone alone (e.g. the one a reverse proxy
    /// exposes to CXone); /v1/embeddings, /healthz, /readyz and /metrics then stay on
    /// --http-addr only. Unset (or equal to --http-addr): one listener serves everything.
    #[arg(long, env = "CXONE_WEBHOOK_ADDR", global = true)]
    pub webhook_addr: Option<SocketAddr>,

    /// Most HTTP connections served at once; further clients wait in the listen backlog.
    #[arg(
        long,
        env = "CXONE_HTTP_MAX_CONNECTIONS",
        default_value_t = 512,
        global = true
    )]
    pub http_max_connections: usize,

    /// Seconds a client has to send its request headers; idle keep-alive connections are closed
    /// after the same time.
    #[arg(
        long,
        env = "CXONE_HTTP_HEADER_TIMEOUT_SECS",
        default_value_t = 10,
        global = true
    )]
    pub http_header_timeout_secs: u64,

    /// Seconds a client has to send the whole request body (else 408).
    #[arg(
        long,
        env = "CXONE_HTTP_BODY_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub http_body_timeout_secs: u64,

    /// Seconds a response may wait for the client to accept any of its bytes; a client that
    /// reads nothing for this long is disconnected.
    #[arg(
        long,
        env = "CXONE_HTTP_WRITE_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub http_write_timeout_secs: u64,
}

impl HttpConfig {
    /// The time a client has to send a whole request body; at least a second.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.http_body_timeout_secs.max(1))
    }
}
