//! The command line: the subcommands, and the settings (config/) every one of them takes. A
//! `.env` file in the working directory is read first (real environment variables win).

use crate::config::Config;
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
                  (default) or an OpenAI-compatible API, and writes the vectors back.\n\n\
                  Every option can also be set by the environment variable shown, or in a .env \
                  file in the working directory."
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embedding worker and the HTTP server (webhooks, embeddings, health, metrics).
    Run,
    /// Check the database, the extension version, the provider and CXone credentials; exit
    /// non-zero with a message saying what to fix.
    Check,
    /// Embed everything pending now, showing progress, and exit when the queue is empty.
    Backfill {
        /// Set the model's HNSW index aside while loading and build it once at the end: several
        /// times faster for large loads (first fill, model change); searches still answer
        /// meanwhile, exactly but slowly. An interrupted run leaves the index set aside: run
        /// the backfill again, or SELECT cxone_index_restore('<model>').
        #[arg(long, env = "CXONE_BACKFILL_DEFER_INDEX")]
        defer_index: bool,
    },
}

/// The settings of `cxone-sidecar <args> run`, for tests.
#[cfg(test)]
pub fn config(args: &[&str]) -> Config {
    let mut all = vec!["cxone-sidecar"];
    all.extend_from_slice(args);
    all.push("run");
    Cli::parse_from(all).config
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderKind;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_parse_and_secrets_stay_out_of_debug() {
        let cli = Cli::parse_from([
            "cxone-sidecar",
            "--database-url",
            "postgres://u:hunter2@h/db",
            "--provider",
            "openai",
            "--openai-api-key",
            "sk-secret",
            "--webhook-secret",
            "wh-secret",
            "--cxone-client-secret",
            "cx-secret",
            "check",
        ]);
        assert_eq!(cli.config.provider.provider, ProviderKind::Openai);
        let debug = format!("{:?}", cli.config);
        for secret in ["hunter2", "sk-secret", "wh-secret", "cx-secret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn settings_are_grouped_under_headings_in_help() {
        let help = match Cli::try_parse_from(["cxone-sidecar", "run", "--help"]) {
            Err(e) => e.render().to_string(),
            Ok(_) => String::new(),
        };
        let groups = [
            ("Database:", "--database-url"),
            ("Embedding provider:", "--openai-api-key"),
            ("Queue:", "--claim-batch"),
            ("HTTP server:", "--http-max-connections"),
            (
                "Embeddings endpoint (POST /v1/embeddings):",
                "--embeddings-api-key",
            ),
            ("Webhooks (POST /v1/webhooks/cxone):", "--webhook-secret"),
            ("CXone credentials:", "--cxone-issuer"),
        ];
        let starts: Vec<usize> = groups
            .iter()
            .map(|(heading, _)| help.find(&format!("\n{heading}\n")).unwrap_or(usize::MAX))
            .collect();
        for (i, (heading, flag)) in groups.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(help.len());
            let section = help.get(starts[i]..end).unwrap_or("");
            assert!(
                section.contains(flag),
                "{flag} not under {heading}:\n{help}"
            );
        }
    }
}
