//! Settings of the embedding provider: which model, where it is, and the limits and timeouts of
//! the requests it is sent.

use super::secret::shown;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderKind {
    /// all-MiniLM-L6-v2 on the CPU with candle (384 dimensions), offline.
    Local,
    /// Any OpenAI-compatible /embeddings endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, ...).
    Openai,
}

#[derive(Clone, Args)]
#[command(next_help_heading = "Embedding provider")]
pub struct ProviderConfig {
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
}

impl ProviderConfig {
    /// CXONE_REQUESTS_IN_FLIGHT, or the provider's default; at least 1.
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
}

/// The API key stays out of logs and panics.
impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field("model_dir", &self.model_dir)
            .field("openai_base_url", &self.openai_base_url)
            .field("openai_api_key", &shown(&self.openai_api_key))
            .field("openai_model", &self.openai_model)
            .field("openai_dimensions", &self.openai_dimensions)
            .field("openai_azure", &self.openai_azure)
            .field("requests_in_flight", &self.requests_in_flight)
            .finish_non_exhaustive()
    }
}
