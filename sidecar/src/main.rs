//! `cxone-sidecar`: the thin process beside PostgreSQL that does what a database backend should
//! not: long HTTP calls to an embedding model, and receiving CXone webhooks.
//!
//! This is the command-line skeleton; the worker, the HTTP server and the providers land with
//! the sidecar issue. Every subcommand that is not built yet says so and exits with status 2.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    eprintln!(
        "cxone-sidecar {}: '{}' is not implemented yet in this version; the extension's ingest \
         trigger queues rows in conversation_embeddings meanwhile (status 'pending').",
        env!("CARGO_PKG_VERSION"),
        cli.command.name()
    );
    ExitCode::from(2)
}
