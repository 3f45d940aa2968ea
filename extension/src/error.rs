//! The extension's errors and the SQLSTATEs they carry. An `Err` returned from a trigger or an
//! SQL function is raised by pgrx as an ERROR with SQLSTATE XX000 (internal error) and this
//! text; errors a user can act on are raised where they are found, with one of the SQLSTATEs
//! of [`sqlstate`], named by what it tells the caller:
//! - 22023 invalid_parameter_value: a bad argument or setting (a mapping or intent pattern that
//!   does not compile, `cxone.embeddings_url` that is not a URL);
//! - 22000 data_exception: a provider's answer without an embedding;
//! - 42501 insufficient_privilege: the API key asked to travel over plain http, an owner-only
//!   setting supplied by a client;
//! - 42704 undefined_object: a model the embeddings endpoint does not serve, the extension not
//!   installed in this database;
//! - 54000 program_limit_exceeded: over a `cxone.*` cap (text or payload bytes);
//! - 08006 connection_failure: the embeddings endpoint cannot be reached or refused the call;
//! - F0000 config_file_error: a CA or API key file the server cannot read;
//! - XX000 internal_error: what is no caller's doing (a commit with payloads still unwritten,
//!   a thread that cannot start), and every [`IngestError`].

use pgrx::spi::SpiError;

/// The SQLSTATEs the extension raises, named by what they tell the caller (listed above).
pub mod sqlstate {
    use pgrx::PgSqlErrorCode::{self, *};
    pub const BAD_ARGUMENT: PgSqlErrorCode = ERRCODE_INVALID_PARAMETER_VALUE;
    pub const BAD_PROVIDER_ANSWER: PgSqlErrorCode = ERRCODE_DATA_EXCEPTION;
    pub const NOT_ALLOWED: PgSqlErrorCode = ERRCODE_INSUFFICIENT_PRIVILEGE;
    pub const NO_SUCH_OBJECT: PgSqlErrorCode = ERRCODE_UNDEFINED_OBJECT;
    pub const OVER_A_CAP: PgSqlErrorCode = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
    pub const PROVIDER_UNREACHABLE: PgSqlErrorCode = ERRCODE_CONNECTION_FAILURE;
    pub const SERVER_FILE: PgSqlErrorCode = ERRCODE_CONFIG_FILE_ERROR;
    pub const INTERNAL: PgSqlErrorCode = ERRCODE_INTERNAL_ERROR;
}

/// What stops ingest (the triggers, recording, assembly). Content never does: a payload's
/// problems are recorded on its row; these are the database's and the setup's.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("cxone_vector ingest: {0}")]
    Spi(#[from] SpiError),
    #[error("cxone_vector ingest: tagging a payload failed on the ingest helper thread (the server log has the panic); the statement is rolled back and nothing was written. Retry with SET cxone.ingest_helper_thread = off to see the error in the session, and report it")]
    Helper,
    #[error("cxone_vector: {0}")]
    Config(String),
    #[error("cxone_vector ingest: attach _cxone_ingest() as a BEFORE INSERT FOR EACH ROW trigger on a table with the columns of cxone_payloads")]
    Misuse,
}
