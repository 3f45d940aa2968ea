//! CXone credentials: a token manager for the real platform flow (OpenID discovery, then
//! `grant_type=password` with the access key, the client as HTTP Basic) or the original
//! client-credentials form. Tokens are cached and refreshed 60 s before they expire.
//! Credentials go only to https on the issuer's host (plain http only to a loopback host, for
//! tests): the discovered token endpoint is checked, and redirects elsewhere are not followed.

use crate::config::{CxoneAuth, CxoneConfig};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AuthError {
    #[error("CXone credentials are not configured: {0}")]
    NotConfigured(String),
    #[error("CXone refused the credentials ({status}): fix {which}")]
    Refused { status: u16, which: &'static str },
    #[error("CXone token request failed: {0}")]
    Failed(String),
    #[error("refusing to send CXone credentials: {0}")]
    Insecure(String),
}

#[derive(Deserialize)]
struct Discovery {
    token_endpoint: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

pub struct TokenManager {
    http: reqwest::Client,
    cfg: CxoneConfig,
    cached: Mutex<Option<(String, Instant)>>,
}

/// Refresh this long before the token expires.
const EARLY: Duration = Duration::from_secs(60);

impl TokenManager {
    pub fn new(cfg: &CxoneConfig) -> Self {
        TokenManager {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    let same_host = attempt
                        .previous()
                        .last()
                        .is_some_and(|p| p.host_str() == attempt.url().host_str());
                    if same_host && secure(attempt.url()) && attempt.previous().len() < 5 {
                        attempt.follow()
                    } else {
                        attempt.stop()
                    }
                }))
                .build()
                .unwrap_or_default(),
            cfg: cfg.clone(),
            cached: Mutex::new(None),
        }
    }

    /// A valid access token, from the cache or freshly requested.
    pub async fn token(&self) -> Result<String, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if Instant::now() + EARLY < *until {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch().await?;
        *cached = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    fn need(v: &Option<String>, name: &str) -> Result<String, AuthError> {
        v.clone()
            .ok_or_else(|| AuthError::NotConfigured(format!("set {name}")))
    }

    async fn fetch(&self) -> Result<(String, Duration), AuthError> {
        let c = &self.cfg;
        let client_id = Self::need(&c.cxone_client_id, "CXONE_CLIENT_ID")?;
        let client_secret = Self::need(&c.cxone_client_secret, "CXONE_CLIENT_SECRET")?;
        let (url, form, which): (String, Vec<(&str, String)>, &'static str) = match c.cxone_auth {
            CxoneAuth::Password => {
                let issuer = Self::need(&c.cxone_issuer, "CXONE_ISSUER")?;
                let url = format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                );
                check_issuer(&issuer)?;
                let d: Discovery = self.get_json(&url).await?;
                check_token_endpoint(&issuer, &d.token_endpoint)?;
                let form = vec![
                    ("grant_type", "password".to_string()),
                    (
                        "username",
                        Self::need(&c.cxone_access_key_id, "CXONE_ACCESS_KEY_ID")?,
                    ),
                    (
                        "password",
                        Self::need(&c.cxone_access_key_secret, "CXONE_ACCESS_KEY_SECRET")?,
                    ),
                ];
                (d.token_endpoint, form, "CXONE_ACCESS_KEY_ID/CXONE_ACCESS_KEY_SECRET (the access key) or CXONE_CLIENT_ID/CXONE_CLIENT_SECRET (the registered client)")
            }
            CxoneAuth::ClientCredentials => {
                let url = Self::need(&c.cxone_token_url, "CXONE_TOKEN_URL")?;
                (
                    url,
                    vec![("grant_type", "client_credentials".to_string())],
                    "CXONE_CLIENT_ID/CXONE_CLIENT_SECRET",
                )
            }
        };
        let resp = self
            .http
            .post(&url)
            .basic_auth(client_id, Some(client_secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| AuthError::Failed(e.to_string()))?;
        let status = resp.status().as_u16();
        if status == 400 || status == 401 || status == 403 {
            return Err(AuthError::Refused { status, which });
        }
        if !resp.status().is_success() {
            return Err(AuthError::Failed(format!(
                "token endpoint answered {status}"
            )));
        }
        let t: TokenResponse = resp
            .json()
            .await
            .map_err(|e| AuthError::Failed(format!("bad token response: {e}")))?;
        Ok((
            t.access_token,
            Duration::from_secs(t.expires_in.unwrap_or(3600)),
        ))
    }

    async fn get_json<T: for<'de> Deserialize<'de>>(&self, url: &str) -> Result<T, AuthError> {
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| AuthError::Failed(format!("{url}: {e}")))?;
        if !resp.status().is_success() {
            return Err(AuthError::Failed(format!(
                "{url} answered {}; check CXONE_ISSUER",
                resp.status()
            )));
        }
        resp.json()
            .await
            .map_err(|e| AuthError::Failed(format!("{url}: {e}")))
    }
}

/// https, or http to a loopback host (the tests' doubles).
fn secure(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    url.scheme() == "https" || (url.scheme() == "http" && loopback)
}

fn check_issuer(issuer: &str) -> Result<reqwest::Url, AuthError> {
    match reqwest::Url::parse(issuer) {
        Ok(u) if secure(&u) && u.host_str().is_some() => Ok(u),
        Ok(_) => Err(AuthError::Insecure(format!(
            "CXONE_ISSUER {issuer} is not https (plain http is accepted only for a loopback host)"
        ))),
        Err(e) => Err(AuthError::NotConfigured(format!(
            "CXONE_ISSUER {issuer} is not a URL ({e}); set it to e.g. https://cxone.niceincontact.com"
        ))),
    }
}

/// The token endpoint that OpenID discovery named must be https on the issuer's own host: a
/// tampered or wrong discovery document cannot send the access key anywhere else.
fn check_token_endpoint(issuer: &str, endpoint: &str) -> Result<(), AuthError> {
    let issuer_url = check_issuer(issuer)?;
    let refuse = |why: &str| {
        Err(AuthError::Insecure(format!(
            "the token endpoint {endpoint} from {issuer}/.well-known/openid-configuration {why}; check CXONE_ISSUER"
        )))
    };
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return refuse("is not a URL");
    };
    if !secure(&url) {
        return refuse("is not https");
    }
    if url.host_str() != issuer_url.host_str() {
        return refuse(&format!(
            "is not on the issuer's host {}",
            issuer_url.host_str().unwrap_or("")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::{Json, Router};
    use clap::Parser;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// A token endpoint that counts requests and grants tokens of the given lifetime.
    async fn token_server(lifetime: u64) -> (String, Arc<AtomicU32>) {
        let count = Arc::new(AtomicU32::new(0));
        let c = count.clone();
        let app = Router::new().route(
            "/token",
            post(move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move { Json(serde_json::json!({"access_token": format!("t{n}"), "expires_in": lifetime})) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/token"), count)
    }

    fn manager(url: &str) -> TokenManager {
        let cli = crate::cli::Cli::parse_from([
            "cxone-sidecar",
            "--cxone-auth",
            "client-credentials",
            "--cxone-token-url",
            url,
            "--cxone-client-id",
            "id",
            "--cxone-client-secret",
            "secret",
            "check",
        ]);
        TokenManager::new(&cli.config.cxone)
    }

    #[tokio::test]
    async fn tokens_are_cached_and_refreshed_a_minute_early() {
        let (url, count) = token_server(3600).await;
        let m = manager(&url);
        assert_eq!(m.token().await.unwrap(), "t0");
        assert_eq!(m.token().await.unwrap(), "t0");
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // A token with less than a minute left is refreshed before use.
        let (url, count) = token_server(45).await;
        let m = manager(&url);
        m.token().await.unwrap();
        m.token().await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn missing_settings_name_the_variable() {
        let cli = crate::cli::Cli::parse_from([
            "cxone-sidecar",
            "--cxone-auth",
            "client-credentials",
            "check",
        ]);
        let err = TokenManager::new(&cli.config.cxone)
            .token()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("CXONE_CLIENT_ID"), "{err}");
    }

    #[test]
    fn the_token_endpoint_must_be_https_on_the_issuers_host() {
        let ok = [
            (
                "https://cxone.niceincontact.com",
                "https://cxone.niceincontact.com/auth/token",
            ),
            (
                "https://cxone.niceincontact.com/",
                "https://CXONE.niceincontact.com:443/auth/token",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/auth/token"),
            ("http://localhost:8080", "http://localhost:9090/auth/token"),
        ];
        for (issuer, endpoint) in ok {
            assert_eq!(
                check_token_endpoint(issuer, endpoint),
                Ok(()),
                "{issuer} {endpoint}"
            );
        }
        let refused = [
            (
                "https://cxone.niceincontact.com",
                "http://cxone.niceincontact.com/auth/token",
                "not https",
            ),
            (
                "https://cxone.niceincontact.com",
                "https://evil.example/auth/token",
                "issuer's host",
            ),
            (
                "https://cxone.niceincontact.com",
                "https://cxone.niceincontact.com.evil.example/t",
                "issuer's host",
            ),
            (
                "https://cxone.niceincontact.com",
                "/auth/token",
                "not a URL",
            ),
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.2:8080/auth/token",
                "issuer's host",
            ),
            (
                "http://cxone.example",
                "http://cxone.example/auth/token",
                "CXONE_ISSUER",
            ),
        ];
        for (issuer, endpoint, why) in refused {
            let e = check_token_endpoint(issuer, endpoint).unwrap_err();
            assert!(matches!(e, AuthError::Insecure(_)), "{e}");
            assert!(e.to_string().contains(why), "{e}");
        }
    }

    #[tokio::test]
    async fn discovery_naming_another_host_gets_no_credentials() {
        let (token_url, count) = token_server(3600).await;
        // An issuer on 127.0.0.1 whose discovery names a token endpoint on localhost: another
        // host, although the same machine.
        let endpoint = token_url.replacen("127.0.0.1", "localhost", 1);
        let app = Router::new().route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || {
                let endpoint = endpoint.clone();
                async move { Json(serde_json::json!({"token_endpoint": endpoint})) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let cli = crate::cli::Cli::parse_from([
            "cxone-sidecar",
            "--cxone-issuer",
            &issuer,
            "--cxone-client-id",
            "id",
            "--cxone-client-secret",
            "secret",
            "--cxone-access-key-id",
            "ak",
            "--cxone-access-key-secret",
            "aks",
            "check",
        ]);
        let err = TokenManager::new(&cli.config.cxone)
            .token()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("issuer's host"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_redirect_to_another_host_is_not_followed() {
        let (token_url, count) = token_server(3600).await;
        // 307 keeps the method and the form (the secrets) on the way: to localhost, another host.
        let elsewhere = token_url.replacen("127.0.0.1", "localhost", 1);
        let app = Router::new().route(
            "/token",
            post(move || {
                let to = elsewhere.clone();
                async move {
                    (
                        axum::http::StatusCode::TEMPORARY_REDIRECT,
                        [(axum::http::header::LOCATION, to)],
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let err = manager(&url).token().await.unwrap_err();
        assert!(err.to_string().contains("307"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }
}
