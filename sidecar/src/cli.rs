//! Command line and configuration: every setting is a flag and an environment variable (a
//! `.env` file in the working directory is read too, once the worker lands).

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "cxone-sidecar",
    version,
    about = "Embeds conversations queued by the cxone_vector PostgreSQL extension",
    long_about = "Embeds conversations queued by the cxone_vector PostgreSQL extension.\n\n\
                  The extension's trigger turns raw CXone payloads into pending rows of \
                  conversation_embeddings and NOTIFYs the channel cxone_vector_pending; the \
                  sidecar claims those rows, embeds them with the local all-MiniLM-L6-v2 model \
                  (default) or an OpenAI-compatible API, and writes the vectors back."
)]
pub struct Cli {
    /// PostgreSQL connection string of the database where cxone_vector is installed.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedding worker and the HTTP server (webhooks, embeddings, health, metrics).
    Run,
    /// Check the database, the extension version, the provider and CXone credentials.
    Check,
    /// Embed (or re-embed with another model) everything pending, with a progress bar.
    Backfill,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Run => "run",
            Command::Check => "check",
            Command::Backfill => "backfill",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn database_url_comes_from_flag() {
        let cli = Cli::parse_from(["cxone-sidecar", "--database-url", "postgres://x", "check"]);
        assert_eq!(cli.database_url.as_deref(), Some("postgres://x"));
        assert_eq!(cli.command.name(), "check");
    }
}
