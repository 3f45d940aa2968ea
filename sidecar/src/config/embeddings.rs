//! Settings of `POST /v1/embeddings`: the key it requires (given directly or in a file) and how
//! large a request it takes.

use super::secret::shown;
use clap::Args;
use std::path::PathBuf;

#[derive(Clone, Args)]
#[command(next_help_heading = "Embeddings endpoint (POST /v1/embeddings)")]
pub struct EmbeddingsConfig {
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
}

impl EmbeddingsConfig {
    /// The key POST /v1/embeddings requires, from --embeddings-api-key or the file named by
    /// --embeddings-api-key-file; None: the endpoint is off. Errors name the setting and the
    /// file, never the key.
    pub fn api_key(&self) -> Result<Option<String>, String> {
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
}

/// The key stays out of logs and panics.
impl std::fmt::Debug for EmbeddingsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingsConfig")
            .field("embeddings_api_key", &shown(&self.embeddings_api_key))
            .field("embeddings_api_key_file", &self.embeddings_api_key_file)
            .field("embeddings_max_inputs", &self.embeddings_max_inputs)
            .field("embeddings_max_bytes", &self.embeddings_max_bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Only this group's flags, as the sidecar's command line parses them.
    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        config: EmbeddingsConfig,
    }

    fn key(args: &[&str]) -> Result<Option<String>, String> {
        let mut all = vec!["cxone-sidecar"];
        all.extend_from_slice(args);
        Flags::parse_from(all).config.api_key()
    }

    #[test]
    fn the_key_comes_from_the_flag_or_its_file_and_errors_never_show_it() {
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
        let flags = Flags::parse_from(["cxone-sidecar", "--embeddings-api-key", "flag-k3y"]);
        let debug = format!("{:?}", flags.config);
        assert!(!debug.contains("flag-k3y"), "{debug}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
