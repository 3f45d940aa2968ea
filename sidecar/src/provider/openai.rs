//! Any OpenAI-compatible `/embeddings` endpoint, and Azure OpenAI's form of it. One pooled
//! HTTP client; vectors requested as base64 (a quarter of the bytes of JSON floats).

use super::api::{EmbedError, Provider};
use crate::batch::Limits;
use crate::config::ProviderConfig;
use base64::Engine;
use cxone_core::tokens::Tokenizer;
use serde::Deserialize;
use serde_json::json;

pub struct OpenAiProvider {
    client: reqwest::Client,
    url: String,
    key: Option<String>,
    azure: bool,
    model: String,
    dimensions: Option<usize>,
    limits: Limits,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    index: usize,
    embedding: EmbeddingField,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum EmbeddingField {
    Base64(String),
    Floats(Vec<f32>),
}

/// Known output sizes, so a wrong-dimension response is caught from the first call.
fn default_dimensions(model: &str) -> Option<usize> {
    match model {
        "text-embedding-3-small" | "text-embedding-ada-002" => Some(1536),
        "text-embedding-3-large" => Some(3072),
        _ => None,
    }
}

impl OpenAiProvider {
    pub fn new(cfg: &ProviderConfig) -> Result<Self, String> {
        // Loading cl100k takes about 60 ms: done meanwhile, not on the first batch's path.
        std::thread::spawn(|| Tokenizer::Cl100k.count(""));
        let client = reqwest::Client::builder()
            .timeout(cfg.request_timeout())
            .pool_max_idle_per_host(cfg.requests_in_flight())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let base = cfg.openai_base_url.trim_end_matches('/');
        let url = if cfg.openai_azure {
            format!("{base}/embeddings?api-version={}", cfg.openai_api_version)
        } else {
            format!("{base}/embeddings")
        };
        Ok(OpenAiProvider {
            client,
            url,
            key: cfg.openai_api_key.clone(),
            azure: cfg.openai_azure,
            model: cfg.openai_model.clone(),
            dimensions: cfg
                .openai_dimensions
                .or_else(|| default_dimensions(&cfg.openai_model)),
            limits: Limits {
                max_inputs: cfg.max_inputs_per_request.unwrap_or(2048),
                max_tokens_per_request: cfg.max_tokens_per_request,
                max_tokens_per_input: Some(cfg.max_tokens_per_input.unwrap_or(8192)),
            },
        })
    }

    fn decode(&self, body: &[u8], n: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        let retry = |message: String| EmbedError::Retryable {
            message,
            retry_after: None,
            rate_limited: false,
        };
        let parsed: Response = serde_json::from_slice(body)
            .map_err(|e| retry(format!("malformed response from the embeddings API: {e}")))?;
        if parsed.data.len() != n {
            return Err(retry(format!(
                "the embeddings API returned {} embeddings for {n} inputs",
                parsed.data.len()
            )));
        }
        // Placed by `index`, never by position: a reordered response is still assigned right.
        let mut out: Vec<Option<Vec<f32>>> = vec![None; n];
        for d in parsed.data {
            let v = match d.embedding {
                EmbeddingField::Floats(v) => v,
                EmbeddingField::Base64(s) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(s.as_bytes())
                        .map_err(|e| retry(format!("bad base64 embedding: {e}")))?;
                    if bytes.len() % 4 != 0 {
                        return Err(retry(
                            "base64 embedding is not a whole number of f32".into(),
                        ));
                    }
                    bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect()
                }
            };
            match out.get_mut(d.index) {
                Some(slot @ None) => *slot = Some(v),
                _ => {
                    return Err(retry(format!(
                        "the embeddings API returned index {} twice or out of range",
                        d.index
                    )))
                }
            }
        }
        let vectors: Vec<Vec<f32>> = out.into_iter().map(|v| v.unwrap_or_default()).collect();
        if let Some(want) = self.dimensions {
            if let Some(bad) = vectors.iter().find(|v| v.len() != want) {
                return Err(EmbedError::Permanent(format!(
                    "dimension mismatch: model {} returned {} dimensions, expected {want}",
                    self.model,
                    bad.len()
                )));
            }
        }
        Ok(vectors)
    }
}

impl Provider for OpenAiProvider {
    fn model(&self) -> &str {
        &self.model
    }

    fn dimensions(&self) -> Option<usize> {
        self.dimensions
    }

    fn limits(&self) -> Limits {
        self.limits
    }

    fn count_tokens(&self, text: &str) -> usize {
        Tokenizer::Cl100k.count(text)
    }

    async fn embed(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let n = inputs.len();
        let mut body = json!({"model": self.model, "input": inputs, "encoding_format": "base64"});
        if let Some(d) = self
            .dimensions
            .filter(|_| self.model.starts_with("text-embedding-3"))
        {
            body["dimensions"] = d.into();
        }
        let mut req = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.key {
            req = if self.azure {
                req.header("api-key", key)
            } else {
                req.bearer_auth(key)
            };
        }
        let resp = req.send().await.map_err(|e| EmbedError::Retryable {
            // reqwest's message names the URL, never headers: no key in it.
            message: format!("embeddings request failed: {e}"),
            retry_after: None,
            rate_limited: false,
        })?;
        let status = resp.status();
        let retry_after = crate::retry::retry_after(resp.headers());
        let bytes = resp.bytes().await.map_err(|e| EmbedError::Retryable {
            message: format!("reading the embeddings response failed: {e}"),
            retry_after: None,
            rate_limited: false,
        })?;
        if status.is_success() {
            return self.decode(&bytes, n);
        }
        let detail: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
        // Providers echo the key they refused ("Incorrect API key provided: sk-proj-****abcd"):
        // the message goes to last_error, which readers see.
        let detail = scrub_key(&detail, self.key.as_deref());
        let message = format!("embeddings API answered {status}: {detail}");
        match status.as_u16() {
            429 => Err(EmbedError::Retryable {
                message,
                retry_after,
                rate_limited: true,
            }),
            408 | 409 | 500..=599 => Err(EmbedError::Retryable {
                message,
                retry_after,
                rate_limited: false,
            }),
            401 | 403 => Err(EmbedError::Permanent(format!(
                "{message} (check OPENAI_API_KEY)"
            ))),
            _ => Err(EmbedError::Permanent(message)),
        }
    }
}

/// `text` without the API key or any masked or partial form of a key: the key itself, and
/// key-like tokens (`sk-...`, runs of `*` with what surrounds them) become `[key redacted]`.
fn scrub_key(text: &str, key: Option<&str>) -> String {
    static KEY_LIKE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)\b(?:sk|rk|pk)-[A-Za-z0-9_*.\-]{3,}|[A-Za-z0-9_\-]*\*{3,}[A-Za-z0-9_\-]*",
        )
        .expect("a valid pattern")
    });
    let mut out = text.to_string();
    if let Some(k) = key.filter(|k| k.len() >= 8) {
        out = out.replace(k, "[key redacted]");
    }
    KEY_LIKE.replace_all(&out, "[key redacted]").into_owned()
}

#[cfg(test)]
mod scrub_tests {
    use super::scrub_key;

    #[test]
    fn refused_keys_are_not_echoed_into_last_error() {
        let key = "sk-proj-AbCdEfGh1234567890wxyz";
        for body in [
            "Incorrect API key provided: sk-proj-********************wxyz. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid key AbCd****wxyz",
            "key sk-proj-AbCdEfGh1234567890wxyz is revoked",
        ] {
            let s = scrub_key(body, Some(key));
            assert!(!s.contains("wxyz") && !s.contains("AbCd") && !s.contains("sk-proj"), "{s}");
            assert!(s.contains("[key redacted]"), "{s}");
        }
        let plain = "model not found: text-embedding-9";
        assert_eq!(scrub_key(plain, Some(key)), plain);
    }
}
