//! What every embedding provider offers (the `Provider` trait), and how one of its requests
//! fails.

use crate::batch::Limits;
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
