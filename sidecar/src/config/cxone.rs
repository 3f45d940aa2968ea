//! Settings of the CXone credentials that `check` tries (cxone_auth.rs).

use super::secret::shown;
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CxoneAuth {
    /// The real CXone flow: token endpoint from OpenID discovery, grant_type=password with the
    /// access key id and secret, the client id and secret as HTTP Basic.
    Password,
    /// client_credentials against --cxone-token-url (the original design's form).
    ClientCredentials,
}

#[derive(Clone, Args)]
#[command(next_help_heading = "CXone credentials")]
pub struct CxoneConfig {
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

/// The credentials stay out of logs and panics.
impl std::fmt::Debug for CxoneConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CxoneConfig")
            .field("cxone_issuer", &self.cxone_issuer)
            .field("cxone_auth", &self.cxone_auth)
            .field("cxone_token_url", &self.cxone_token_url)
            .field("cxone_client_id", &shown(&self.cxone_client_id))
            .field("cxone_client_secret", &shown(&self.cxone_client_secret))
            .field("cxone_access_key_id", &shown(&self.cxone_access_key_id))
            .field(
                "cxone_access_key_secret",
                &shown(&self.cxone_access_key_secret),
            )
            .finish()
    }
}
