//! Shared-secret bearer credentials (`Authorization: Bearer <secret>`), as the embeddings
//! endpoint and webhooks check them.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The token of an `Authorization: Bearer <token>` header (scheme in any case, RFC 7235).
pub fn token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Whether the request carries `expected` as its bearer token. The SHA-256 digests are
/// compared in constant time, so the timing shows neither how much of the token matched nor
/// how long the secret is.
pub fn matches(headers: &HeaderMap, expected: &str) -> bool {
    let given = token(headers).unwrap_or("");
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    bool::from(a.as_slice().ct_eq(b.as_slice())) && !expected.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, auth.parse().unwrap());
        h
    }

    #[test]
    fn only_the_exact_token_in_bearer_form_matches() {
        let cases = [
            ("Bearer k3y", true),
            ("bearer k3y", true),
            ("BEARER   k3y ", true),
            ("Bearer k3y2", false),
            ("Bearer k3", false),
            ("Bearer ", false),
            ("Basic k3y", false),
            ("k3y", false),
        ];
        for (auth, want) in cases {
            assert_eq!(matches(&with(auth), "k3y"), want, "{auth}");
        }
        assert!(!matches(&HeaderMap::new(), "k3y"));
        // An empty secret never matches, not even an empty token.
        assert!(!matches(&with("Bearer "), ""));
    }
}
