//! Who may send webhooks: a shared bearer secret and/or an HMAC-SHA256 signature over
//! `timestamp + "." + body` within a tolerance window, as CXone Expert signs (constant-time
//! comparisons; a signature is accepted once). Everything but the HMAC itself is checked before
//! the body is read.

use crate::bearer;
use crate::config::WebhookConfig;
use crate::http_error::HttpError;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub struct WebhookAuth {
    token: Option<String>,
    secret: Option<Vec<u8>>,
    tolerance: Duration,
    /// Signatures accepted within the tolerance window, to refuse replays.
    seen: Mutex<HashMap<String, u64>>,
}

impl WebhookAuth {
    pub fn new(cfg: &WebhookConfig) -> Self {
        WebhookAuth {
            token: cfg.webhook_token.clone().filter(|t| !t.is_empty()),
            secret: cfg
                .webhook_secret
                .clone()
                .filter(|s| !s.is_empty())
                .map(String::into_bytes),
            tolerance: Duration::from_secs(cfg.webhook_tolerance_secs),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The checks that need no body, made before it is read: webhooks are configured (else
    /// 503), the bearer token matches, the signature headers are present, well formed and
    /// within the tolerance window. A request refused here is answered without its body being
    /// read.
    pub fn precheck(&self, headers: &HeaderMap) -> Result<(), HttpError> {
        if self.token.is_none() && self.secret.is_none() {
            return Err(HttpError::unavailable(
                "webhooks are off: set CXONE_WEBHOOK_TOKEN and/or CXONE_WEBHOOK_SECRET",
            ));
        }
        if let Some(token) = &self.token {
            if !bearer::matches(headers, token) {
                return unauthorized("missing or wrong bearer token");
            }
        }
        if self.secret.is_some() {
            self.signature_headers(headers)?;
        }
        Ok(())
    }

    /// The check that needs the body, after `precheck`: the HMAC signature over
    /// `timestamp + "." + body`, accepted once.
    pub fn verify_body(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), HttpError> {
        let Some(secret) = &self.secret else {
            return Ok(());
        };
        let (given, ts, now) = self.signature_headers(headers)?;
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
            return unauthorized("bad webhook secret");
        };
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&given).is_err() {
            return unauthorized("signature does not match");
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let horizon = now.saturating_sub(self.tolerance.as_secs() * 2);
        seen.retain(|_, t| *t >= horizon);
        if seen.insert(hex::encode(&given), now).is_some() {
            return unauthorized("replayed signature");
        }
        Ok(())
    }

    /// (signature bytes, timestamp text, now in unix seconds) from the signature headers.
    fn signature_headers<'h>(
        &self,
        headers: &'h HeaderMap,
    ) -> Result<(Vec<u8>, &'h str, u64), HttpError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(sig), Some(ts)) = (header("x-nexus-signature-256"), header("x-nexus-timestamp"))
        else {
            return unauthorized("missing X-Nexus-Signature-256 or X-Nexus-Timestamp");
        };
        let ts = ts.trim();
        let Some(sent) = ts.parse::<u64>().ok() else {
            return unauthorized("X-Nexus-Timestamp is not unix seconds");
        };
        // Milliseconds are accepted too.
        let sent = if sent > 100_000_000_000 {
            sent / 1000
        } else {
            sent
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if now.abs_diff(sent) > self.tolerance.as_secs() {
            return unauthorized("timestamp outside the tolerance window");
        }
        let Some(given) = sig
            .trim()
            .strip_prefix("sha256=")
            .and_then(|h| hex::decode(h).ok())
            .filter(|g| g.len() == 32)
        else {
            return unauthorized("X-Nexus-Signature-256 must be sha256=<64 hex digits>");
        };
        Ok((given, ts, now))
    }

    /// Both checks, for a body already read.
    #[cfg(test)]
    pub fn verify(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), HttpError> {
        self.precheck(headers)?;
        self.verify_body(headers, body)
    }
}

fn unauthorized<T>(message: &str) -> Result<T, HttpError> {
    Err(HttpError::unauthorized(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    fn auth(args: &[&str]) -> WebhookAuth {
        WebhookAuth::new(&crate::cli::config(args).webhook)
    }

    fn signed(secret: &str, ts: &str, body: &[u8]) -> HeaderMap {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(ts.as_bytes());
        mac.update(b".");
        mac.update(body);
        let mut h = HeaderMap::new();
        h.insert(
            "x-nexus-signature-256",
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
                .parse()
                .unwrap(),
        );
        h.insert("x-nexus-timestamp", ts.parse().unwrap());
        h
    }

    #[test]
    fn signatures_are_checked_in_time_and_once() {
        let a = auth(&["--webhook-secret", "s3cret"]);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let body = br#"{"eventId": "e1"}"#;
        assert!(a.verify(&signed("s3cret", &now, body), body).is_ok());
        assert_eq!(
            a.verify(&signed("s3cret", &now, body), body)
                .unwrap_err()
                .message,
            "replayed signature"
        );
        assert_eq!(
            a.verify(&signed("wrong", &now, body), body)
                .unwrap_err()
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            a.verify(&signed("s3cret", &now, body), b"{}")
                .unwrap_err()
                .message,
            "signature does not match"
        );
        let old = (SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 3600)
            .to_string();
        assert!(a
            .verify(&signed("s3cret", &old, body), body)
            .unwrap_err()
            .message
            .contains("tolerance"));
    }

    #[test]
    fn bearer_token_and_off_by_default() {
        let a = auth(&["--webhook-token", "tok"]);
        let mut h = HeaderMap::new();
        assert_eq!(
            a.verify(&h, b"{}").unwrap_err().status,
            StatusCode::UNAUTHORIZED
        );
        h.insert("authorization", "Bearer tok".parse().unwrap());
        assert!(a.verify(&h, b"{}").is_ok());
        assert_eq!(
            auth(&[]).verify(&h, b"{}").unwrap_err().status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
