//! Command line and configuration. Every setting is a flag and an environment variable; a `.env`
//! file in the working directory is read first (real environment variables win). Secrets are
//! never printed: `--help` hides their values and `Debug` redacts them.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    /// all-MiniLM-L6-v2 on the CPU with candle (384 dimensions), offline.
    Local,
    /// Any OpenAI-compatible /embeddings endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, ...).
    Openai,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CxoneAuth {
    /// The real CXone flow: token endpoint from OpenID discovery, grant_type=password with the
    /// access key id and secret, the client id and secret as HTTP Basic.
    Password,
    /// client_credentials against --cxone-token-url (the original design's form).
    ClientCredentials,
}

#[derive(Clone, Args)]
pub struct Config {
    /// PostgreSQL connection string of the database where cxone_vector is installed.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Embedding provider.
    #[arg(
        long,
        env = "CXONE_PROVIDER",
        value_enum,
        default_value = "local",
        global = true
    )]
    pub provider: ProviderKind,

    /// Directory with config.json, tokenizer.json and model.safetensors of all-MiniLM-L6-v2
    /// (scripts/setup.sh puts them here).
    #[arg(
        long,
        env = "CXONE_MODEL_DIR",
        default_value = "models/all-MiniLM-L6-v2",
        global = true
    )]
    pub model_dir: PathBuf,

    /// Base URL of the OpenAI-compatible API (for Azure: the deployment URL,
    /// https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT).
    #[arg(
        long,
        env = "OPENAI_BASE_URL",
        default_value = "https://api.openai.com/v1",
        global = true
    )]
    pub openai_base_url: String,

    /// API key (sent as Bearer, or as the api-key header with --openai-azure).
    #[arg(long, env = "OPENAI_API_KEY", hide_env_values = true, global = true)]
    pub openai_api_key: Option<String>,

    /// Embedding model name sent to the API and recorded with every vector.
    #[arg(
        long,
        env = "OPENAI_MODEL",
        default_value = "text-embedding-3-small",
        global = true
    )]
    pub openai_model: String,

    /// Requested dimensions (text-embedding-3-* can shorten vectors); the response must match.
    #[arg(long, env = "OPENAI_DIMENSIONS", global = true)]
    pub openai_dimensions: Option<usize>,

    /// Use Azure OpenAI's form: the api-key header and an api-version query parameter.
    #[arg(long, env = "OPENAI_AZURE", global = true)]
    pub openai_azure: bool,

    /// Azure OpenAI api-version.
    #[arg(
        long,
        env = "OPENAI_API_VERSION",
        default_value = "2024-10-21",
        global = true
    )]
    pub openai_api_version: String,

    /// Inputs per request (OpenAI allows 2048; the local model works in batches of 32).
    #[arg(long, env = "CXONE_MAX_INPUTS_PER_REQUEST", global = true)]
    pub max_inputs_per_request: Option<usize>,

    /// Tokens per request, summed over its inputs (OpenAI: 300000).
    #[arg(
        long,
        env = "CXONE_MAX_TOKENS_PER_REQUEST",
        default_value_t = 300_000,
        global = true
    )]
    pub max_tokens_per_request: usize,

    /// Tokens per input (OpenAI: 8192; the local model truncates at 256 as sentence-transformers does).
    #[arg(long, env = "CXONE_MAX_TOKENS_PER_INPUT", global = true)]
    pub max_tokens_per_input: Option<usize>,

    /// Provider requests in flight at once (default: 4 for openai; 1 for local, whose batches
    /// already use every core and whose memory grows with each batch in flight).
    #[arg(long, env = "CXONE_REQUESTS_IN_FLIGHT", global = true)]
    pub requests_in_flight: Option<usize>,

    /// Timeout of one provider request, in seconds.
    #[arg(
        long,
        env = "CXONE_REQUEST_TIMEOUT_SECS",
        default_value_t = 60,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// Tries of one request on 429, 5xx, timeouts and connection errors before its rows go
    /// back to the queue for a later attempt.
    #[arg(
        long,
        env = "CXONE_REQUEST_RETRIES",
        default_value_t = 6,
        global = true
    )]
    pub request_retries: u32,

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

    /// Key that POST /v1/embeddings requires as `Authorization: Bearer <key>` (cxone_embed
    /// sends the same key). Without a key, here or in --embeddings-api-key-file, the endpoint
    /// answers 503. Prefer the environment or the file: a flag shows in `ps`.
    #[arg(
        long,
        env = "CXONE_EMBEDDINGS_API_KEY",
        hide_env_values = true,
        global = true
    )]
    pub embeddings_api_key: Option<String>,

    /// File holding the key for POST /v1/embeddings (surrounding whitespace is ignored), read at
    /// start; instead of --embeddings-api-key, not with it.
    #[arg(long, env = "CXONE_EMBEDDINGS_API_KEY_FILE", global = true)]
    pub embeddings_api_key_file: Option<PathBuf>,

    /// Most inputs in one POST /v1/embeddings request (more: 400).
    #[arg(
        long,
        env = "CXONE_EMBEDDINGS_MAX_INPUTS",
        default_value_t = 2048,
        global = true
    )]
    pub embeddings_max_inputs: usize,

    /// Largest POST /v1/embeddings request body, in bytes (larger: 413).
    #[arg(long, env = "CXONE_EMBEDDINGS_MAX_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub embeddings_max_bytes: usize,

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

    /// Shared secret for POST /v1/webhooks/cxone, sent as `Authorization: Bearer <secret>`.
    #[arg(
        long,
        env = "CXONE_WEBHOOK_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub webhook_token: Option<String>,

    /// HMAC-SHA256 secret for webhook signatures: `X-Nexus-Signature-256: sha256=hex(HMAC(secret,
    /// timestamp + "." + body))` with `X-Nexus-Timestamp` (unix seconds), as CXone Expert signs.
    #[arg(
        long,
        env = "CXONE_WEBHOOK_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub webhook_secret: Option<String>,

    /// Seconds a signed webhook's timestamp may differ from now; a signature is accepted once.
    #[arg(
        long,
        env = "CXONE_WEBHOOK_TOLERANCE_SECS",
        default_value_t = 300,
        global = true
    )]
    pub webhook_tolerance_secs: u64,

    /// Largest webhook body accepted, in bytes (larger gets 413).
    #[arg(long, env = "CXONE_WEBHOOK_MAX_BYTES", default_value_t = 16 * 1024 * 1024, global = true)]
    pub webhook_max_bytes: usize,

    /// CXone OpenID issuer, e.g. https://cxone.niceincontact.com (enables the credential check).
    #[arg(long, env = "CXONE_ISSUER", global = true)]
    pub cxone_issuer: Option<String>,

    /// CXone authentication flow.
    #[arg(
        long,
        env = "CXONE_AUTH",
        value_enum,
        default_value = "password",
        global = true
    )]
    pub cxone_auth: CxoneAuth,

    /// Token URL for --cxone-auth client-credentials.
    #[arg(long, env = "CXONE_TOKEN_URL", global = true)]
    pub cxone_token_url: Option<String>,

    /// Registered client id (HTTP Basic user).
    #[arg(long, env = "CXONE_CLIENT_ID", hide_env_values = true, global = true)]
    pub cxone_client_id: Option<String>,

    /// Registered client secret (HTTP Basic password).
    #[arg(
        long,
        env = "CXONE_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub cxone_client_secret: Option<String>,

    /// Access key id (the password grant's username).
    #[arg(
        long,
        env = "CXONE_ACCESS_KEY_ID",
        hide_env_values = true,
        global = true
    )]
    pub cxone_access_key_id: Option<String>,

    /// Access key secret (the password grant's password).
    #[arg(
        long,
        env = "CXONE_ACCESS_KEY_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub cxone_access_key_secret: Option<String>,
}

impl Config {
    pub fn requests_in_flight(&self) -> usize {
        let default = match self.provider {
            ProviderKind::Local => 1,
            ProviderKind::Openai => 4,
        };
        self.requests_in_flight.unwrap_or(default).max(1)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// The key POST /v1/embeddings requires, from --embeddings-api-key or the file named by
    /// --embeddings-api-key-file; None: the endpoint is off. Errors name the setting and the
    /// file, never the key.
    pub fn embeddings_api_key(&self) -> Result<Option<String>, String> {
        let direct = self
            .embeddings_api_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        let key = match (direct, &self.embeddings_api_key_file) {
            (Some(_), Some(_)) => {
                return Err(
                    "set CXONE_EMBEDDINGS_API_KEY or CXONE_EMBEDDINGS_API_KEY_FILE, not both"
                        .into(),
                )
            }
            (Some(k), None) => k.to_string(),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!(
                        "cannot read the embeddings API key file {} (CXONE_EMBEDDINGS_API_KEY_FILE): {e}",
                        path.display()
                    )
                })?;
                let key = text.trim();
                if key.is_empty() {
                    return Err(format!(
                        "the embeddings API key file {} (CXONE_EMBEDDINGS_API_KEY_FILE) is empty",
                        path.display()
                    ));
                }
                key.to_string()
            }
            (None, None) => return Ok(None),
        };
        // What a client can send in an Authorization header: visible ASCII, no spaces.
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("the embeddings API key (CXONE_EMBEDDINGS_API_KEY or its file) must be printable ASCII without spaces, as it is sent in an Authorization header".into());
        }
        Ok(Some(key))
    }

    /// The database URL, or an error that says how to give it.
    pub fn database_url(&self) -> Result<&str, String> {
        self.database_url
            .as_deref()
            .ok_or_else(|| "no database: set DATABASE_URL (or --database-url), e.g. postgres://postgres@127.0.0.1:5499/cxone".into())
    }
}

/// Secrets stay out of logs and panics: Debug shows only whether they are set.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Config")
            .field("database_url", &set(&self.database_url))
            .field("provider", &self.provider)
            .field("model_dir", &self.model_dir)
            .field("openai_base_url", &self.openai_base_url)
            .field("openai_api_key", &set(&self.openai_api_key))
            .field("openai_model", &self.openai_model)
            .field("openai_dimensions", &self.openai_dimensions)
            .field("cxone_client_secret", &set(&self.cxone_client_secret))
            .field("webhook_token", &set(&self.webhook_token))
            .field("webhook_secret", &set(&self.webhook_secret))
            .field("embeddings_api_key", &set(&self.embeddings_api_key))
            .field("embeddings_api_key_file", &self.embeddings_api_key_file)
            .field(
                "cxone_access_key_secret",
                &set(&self.cxone_access_key_secret),
            )
            .finish_non_exhaustive()
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
    fn flags_parse_and_secrets_stay_out_of_debug() {
        let cli = Cli::parse_from([
            "cxone-sidecar",
            "--database-url",
            "postgres://u:hunter2@h/db",
            "--provider",
            "openai",
            "--openai-api-key",
            "sk-secret",
            "check",
        ]);
        assert_eq!(cli.config.provider, ProviderKind::Openai);
        let debug = format!("{:?}", cli.config);
        assert!(
            !debug.contains("hunter2") && !debug.contains("sk-secret"),
            "{debug}"
        );
    }

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["cxone-sidecar"];
        all.extend_from_slice(args);
        all.push("run");
        Cli::parse_from(all).config
    }

    #[test]
    fn the_embeddings_key_comes_from_the_flag_or_its_file_and_errors_never_show_it() {
        let dir = std::env::temp_dir().join(format!("cxone-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p.to_string_lossy().into_owned()
        };
        let good = file("good", "  file-k3y\n");
        let empty = file("empty", " \n");
        let spaced = file("spaced", "two words\n");
        let missing = dir.join("missing").to_string_lossy().into_owned();
        let key = |args: &[&str]| config(args).embeddings_api_key();
        assert_eq!(key(&[]), Ok(None));
        assert_eq!(key(&["--embeddings-api-key", " "]), Ok(None));
        assert_eq!(
            key(&["--embeddings-api-key", "flag-k3y"]),
            Ok(Some("flag-k3y".into()))
        );
        assert_eq!(
            key(&["--embeddings-api-key-file", &good]),
            Ok(Some("file-k3y".into()))
        );
        let refusals = [
            (
                key(&[
                    "--embeddings-api-key",
                    "flag-k3y",
                    "--embeddings-api-key-file",
                    &good,
                ]),
                "not both",
            ),
            (key(&["--embeddings-api-key-file", &empty]), "is empty"),
            (key(&["--embeddings-api-key-file", &missing]), "cannot read"),
            (
                key(&["--embeddings-api-key-file", &spaced]),
                "printable ASCII",
            ),
        ];
        for (got, want) in refusals {
            let e = got.unwrap_err();
            assert!(
                e.contains(want) && e.contains("CXONE_EMBEDDINGS_API_KEY"),
                "{e}"
            );
            assert!(!e.contains("k3y") && !e.contains("two words"), "{e}");
        }
        let debug = format!("{:?}", config(&["--embeddings-api-key", "flag-k3y"]));
        assert!(!debug.contains("flag-k3y"), "{debug}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
