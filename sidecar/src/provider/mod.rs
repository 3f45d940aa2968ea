//! Embedding providers: the local model (default) and OpenAI-compatible APIs.

pub mod local;
pub mod openai;

use crate::batch::Limits;
use crate::cli::{Config, ProviderKind};
use std::time::Duration;

/// How a request failed, and so what to do with its rows.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbedError {
    /// 429, 5xx, timeouts, connection errors, malformed or incomplete responses: try again,
    /// not before `retry_after` when the server said so.
    #[error("{message}")]
    Retryable {
        message: String,
        retry_after: Option<Duration>,
        rate_limited: bool,
    },
    /// 400/401/403/404/422, wrong dimensions: the rows fail with this reason.
    #[error("{0}")]
    Permanent(String),
}

/// An embedding model behind some interface.
pub trait Provider: Send + Sync {
    /// The name recorded in `conversation_embeddings.model`.
    fn model(&self) -> &str;
    /// Dimensions of the vectors, when known before the first call.
    fn dimensions(&self) -> Option<usize>;
    fn limits(&self) -> Limits;
    /// Tokens of one input, counted with the model's tokenizer.
    fn count_tokens(&self, text: &str) -> usize;
    /// One vector per input, in input order.
    fn embed(
        &self,
        inputs: Vec<String>,
    ) -> impl std::future::Future<Output = Result<Vec<Vec<f32>>, EmbedError>> + Send;
}

/// The configured provider.
pub enum AnyProvider {
    Local(local::LocalProvider),
    OpenAi(openai::OpenAiProvider),
}

impl AnyProvider {
    pub fn from_config(cfg: &Config) -> Result<Self, String> {
        Ok(match cfg.provider {
            ProviderKind::Local => AnyProvider::Local(local::LocalProvider::load(cfg)?),
            ProviderKind::Openai => AnyProvider::OpenAi(openai::OpenAiProvider::new(cfg)?),
        })
    }
}

impl Provider for AnyProvider {
    fn model(&self) -> &str {
        match self {
            AnyProvider::Local(p) => p.model(),
            AnyProvider::OpenAi(p) => p.model(),
        }
    }
    fn dimensions(&self) -> Option<usize> {
        match self {
            AnyProvider::Local(p) => p.dimensions(),
            AnyProvider::OpenAi(p) => p.dimensions(),
        }
    }
    fn limits(&self) -> Limits {
        match self {
            AnyProvider::Local(p) => p.limits(),
            AnyProvider::OpenAi(p) => p.limits(),
        }
    }
    fn count_tokens(&self, text: &str) -> usize {
        match self {
            AnyProvider::Local(p) => p.count_tokens(text),
            AnyProvider::OpenAi(p) => p.count_tokens(text),
        }
    }
    async fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        match self {
            AnyProvider::Local(p) => p.embed(inputs).await,
            AnyProvider::OpenAi(p) => p.embed(inputs).await,
        }
    }
}
