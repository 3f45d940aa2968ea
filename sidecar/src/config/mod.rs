//! The sidecar's settings, grouped by what they configure; each group is a heading of
//! `cxone-sidecar run --help`. Every setting is a flag and an environment variable (main.rs
//! reads a `.env` file first); secrets are never printed: `--help` hides their values and
//! `Debug` shows only whether they are set.

mod cxone;
mod embeddings;
mod http;
mod provider;
mod secret;
mod webhook;

pub use cxone::{CxoneAuth, CxoneConfig};
pub use embeddings::EmbeddingsConfig;
pub use http::HttpConfig;
pub use provider::{ProviderConfig, ProviderKind};
pub use webhook::WebhookConfig;

use clap::Args;
use secret::shown;

#[derive(Debug, Clone, Args)]
pub struct Config {
    #[command(flatten)]
    pub database: DatabaseConfig,
    #[command(flatten)]
    pub provider: ProviderConfig,
    #[command(flatten)]
    pub queue: QueueConfig,
    #[command(flatten)]
    pub http: HttpConfig,
    #[command(flatten)]
    pub embeddings: EmbeddingsConfig,
    #[command(flatten)]
    pub webhook: WebhookConfig,
    #[command(flatten)]
    pub cxone: CxoneConfig,
}

impl Config {
    /// The database URL, or an error that says how to give it.
    pub fn database_url(&self) -> Result<&str, String> {
        self.database.database_url.as_deref().ok_or_else(|| {
            "no database: set DATABASE_URL (or --database-url), e.g. postgres://postgres@127.0.0.1:5499/cxone".into()
        })
    }
}

#[derive(Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseConfig {
    /// PostgreSQL connection string of the database where cxone_vector is installed.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
}

/// The URL can hold a password: it stays out of logs and panics.
impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("database_url", &shown(&self.database_url))
            .finish()
    }
}

/// How the worker takes rows from the queue.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Queue")]
pub struct QueueConfig {
    /// Attempts per row (claims) before it is marked failed.
    #[arg(long, env = "CXONE_MAX_ATTEMPTS", default_value_t = 5, global = true)]
    pub max_attempts: i32,

    /// Rows claimed per transaction.
    #[arg(long, env = "CXONE_CLAIM_BATCH", default_value_t = 2048, global = true)]
    pub claim_batch: i64,

    /// Seconds a claim holds its rows; a lease of a sidecar that is gone is reclaimed at once.
    #[arg(long, env = "CXONE_LEASE_SECS", default_value_t = 300, global = true)]
    pub lease_secs: i64,

    /// Seconds between polls when no NOTIFY arrives. Each idle poll also assembles the
    /// conversations whose messages have been quiet for the mapping's quiet_seconds
    /// (SELECT cxone_assemble_due()), so an open case becomes searchable without a new event.
    #[arg(long, env = "CXONE_POLL_SECS", default_value_t = 5, global = true)]
    pub poll_secs: u64,
}
