//! Helpers for the end-to-end tests: each test gets its own database with the extension
//! installed, on the cluster that `scripts/test.sh` starts (CXONE_TEST_DATABASE_URL), and runs
//! the real sidecar binary against it, with HTTP doubles of the services we do not run.

pub mod attack;
pub mod cluster;
pub mod cxone_double;
pub mod db;
pub mod net;
pub mod openai_double;
pub mod payloads;
pub mod records;
pub mod sidecar_process;

pub use cluster::PrivateCluster;
pub use db::{
    admin_url, embed_queries_with, openai_db, openai_db_unindexed, scalar, status_counts,
    use_embeddings_key, wait_embedded, TestDb,
};
pub use net::{free_port, http, sign};
pub use payloads::{
    closed_case, fixture, identifier_conversations, identifier_queries, ingest_banking77, insert,
    outcome,
};
pub use records::{lost_and_duplicated, peak_rss_mib, record, Record};
pub use sidecar_process::{
    backfill, run_to_end, run_to_success, sidecar, sidecar_with_double, spawn, start_local,
    wait_ready, with_double, Running,
};

pub use postgres;
