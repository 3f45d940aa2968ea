//! Settings of `POST /v1/webhooks/cxone`: its credentials and how large a body it takes.

use super::secret::shown;
use clap::Args;

#[derive(Clone, Args)]
#[command(next_help_heading = "Webhooks (POST /v1/webhooks/cxone)")]
pub struct WebhookConfig {
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
}

/// The secrets stay out of logs and panics.
impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("webhook_token", &shown(&self.webhook_token))
            .field("webhook_secret", &shown(&self.webhook_secret))
            .field("webhook_tolerance_secs", &self.webhook_tolerance_secs)
            .field("webhook_max_bytes", &self.webhook_max_bytes)
            .finish()
    }
}
