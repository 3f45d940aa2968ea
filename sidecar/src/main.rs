//! `cxone-sidecar`: the thin process beside PostgreSQL that does what a database backend should
//! not: long HTTP calls to an embedding model, and receiving CXone webhooks. This file only
//! starts it: logging, the command line, the runtime, then the command.
//!
//! Commands: `run` (the worker and the HTTP servers), `backfill` (the worker until the queue is
//! empty, with progress and `--defer-index`), `check`; `startup` (what both long-running
//! commands start with), `logging` (CXONE_LOG).
//! Settings: `cli` (subcommands), `config/` (the settings, by concern).
//! Embedding: `worker` (claim → embed → write back), `queue` (the extension's queue protocol,
//! sql/queue.sql), `request` (one provider request with its retries), `clocks` (the
//! extension's clocks: quiet conversations, payload retention), `batch` (batch sizing),
//! `retry` (backoff), `provider/` (local model, OpenAI-compatible), `state`
//! (what the worker, the webhooks and the routes share), `progress` (the backfill's bar).
//! Database: `db` and `pg_tls` (the connection, TLS as DATABASE_URL asks).
//! HTTP: `serve` (listeners and their bounds), `http` (the routes put together), `embeddings`
//! (`POST /v1/embeddings`), `webhook` (`POST /v1/webhooks/cxone`), `webhook_auth` (its
//! credentials), `payloads` (where webhook payloads are stored), `bearer` (bearer keys), `body`
//! (request body limits), `http_error` (the one error reply); `cxone_auth` (CXone tokens).

/// mimalloc: candle's per-batch tensors of varying shapes fragmented glibc's heap (peak RSS
/// grew with the number of batches served), and it is faster for the many small allocations of
/// JSON decoding.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod backfill;
mod batch;
mod bearer;
mod body;
mod check;
mod cli;
mod clocks;
mod config;
mod cxone_auth;
mod db;
mod embeddings;
mod http;
mod http_error;
mod logging;
mod payloads;
mod pg_tls;
mod progress;
mod provider;
mod queue;
mod request;
mod retry;
#[cfg(test)]
mod route_test;
mod run;
mod serve;
mod startup;
mod state;
mod webhook;
mod webhook_auth;
mod worker;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    // .env first; variables already in the environment win.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cxone-sidecar: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Check => check::run(&cli.config).await,
            Command::Run => run::run(cli.config).await,
            Command::Backfill { defer_index } => backfill::run(cli.config, defer_index).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cxone-sidecar: {e}");
            ExitCode::FAILURE
        }
    }
}
