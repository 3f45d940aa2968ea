//! Every `cxone.*` setting, in one place.

use cxone_core::chunk::ChunkConfig;
use cxone_core::tokens::Tokenizer;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// Name of the row in `cxone_mappings` that the ingest trigger uses.
pub static MAPPING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"default"));
/// Store and queue only redacted text. Superuser-only, so a session cannot turn it off.
pub static REDACT: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static CHUNK_TOKENS: GucSetting<i32> = GucSetting::<i32>::new(256);
pub static CHUNK_OVERLAP_TURNS: GucSetting<i32> = GucSetting::<i32>::new(0);
pub static CHUNK_TOKENIZER: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"minilm"));

/// Tag, redact and chunk a statement's payloads on a helper thread of the backend.
pub static INGEST_HELPER_THREAD: GucSetting<bool> = GucSetting::<bool>::new(true);

pub static EMBEDDINGS_URL: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"http://127.0.0.1:8088/v1/embeddings"));
pub static EMBEDDINGS_API_KEY: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(None);
pub static EMBED_TIMEOUT_MS: GucSetting<i32> = GucSetting::<i32>::new(10_000);

pub fn init() {
    GucRegistry::define_string_guc(
        c"cxone.embeddings_url",
        c"OpenAI-compatible /embeddings URL that cxone_embed and cxone_search call for query embeddings.",
        c"The default reaches a sidecar started with its default settings on this machine.",
        &EMBEDDINGS_URL,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"cxone.embeddings_api_key",
        c"Bearer key for cxone.embeddings_url, if it needs one.",
        c"Superuser-only: it can neither be read nor set by other roles.",
        &EMBEDDINGS_API_KEY,
        GucContext::Suset,
        GucFlags::SUPERUSER_ONLY | GucFlags::NO_SHOW_ALL,
    );
    GucRegistry::define_int_guc(
        c"cxone.embed_timeout_ms",
        c"Timeout of one query-embedding request, in milliseconds.",
        c"A backend cannot be cancelled while it waits, so keep it short.",
        &EMBED_TIMEOUT_MS,
        100,
        600_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"cxone.mapping",
        c"Name of the cxone_mappings row that the ingest trigger applies.",
        c"Set per database or role to ingest different payload shapes. A name that does not exist makes every new payload 'invalid' with a reason; nothing is lost.",
        &MAPPING,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"cxone.redact",
        c"Store and queue only redacted conversation text (PII replaced by [EMAIL], [PHONE], ...).",
        c"cxone_payloads keeps the original payload; conversation_embeddings and everything sent to an embedding provider get redacted text. Only a superuser can change it, e.g. ALTER DATABASE ... SET cxone.redact = on.",
        &REDACT,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"cxone.ingest_helper_thread",
        c"Tag, redact and chunk ingested payloads on a helper thread of the backend.",
        c"The backend maps each payload and inserts the rows while one helper thread of the same backend tags (PII, intent), redacts and chunks them, so a multi-row INSERT or COPY uses up to two cores; the results are identical either way. Off: all of it on the backend's own thread (one core per session, e.g. when many sessions ingest at once).",
        &INGEST_HELPER_THREAD,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.chunk_tokens",
        c"Token budget of one queued chunk, the model's special tokens included.",
        c"256 fits all-MiniLM-L6-v2; 8192 fits OpenAI embedding models (with cxone.chunk_tokenizer = 'cl100k'). Longer conversations are split at turn boundaries into several rows.",
        &CHUNK_TOKENS,
        32,
        1_000_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.chunk_overlap_turns",
        c"Turns of the previous chunk repeated at the start of the next one.",
        c"Gives each chunk some context; 0 (the default) repeats nothing.",
        &CHUNK_OVERLAP_TURNS,
        0,
        100,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"cxone.chunk_tokenizer",
        c"Tokenizer that measures chunks: 'minilm' (the local model) or 'cl100k' (OpenAI).",
        c"Use the tokenizer of the model that will embed the rows.",
        &CHUNK_TOKENIZER,
        GucContext::Userset,
        GucFlags::default(),
    );
}

fn string(setting: &GucSetting<Option<CString>>, default: &str) -> String {
    setting
        .get()
        .and_then(|s| s.into_string().ok())
        .unwrap_or_else(|| default.into())
}

/// The configured mapping name.
pub fn mapping_name() -> String {
    string(&MAPPING, "default")
}

pub fn ingest_helper_thread() -> bool {
    INGEST_HELPER_THREAD.get()
}

pub fn redact() -> bool {
    REDACT.get()
}

/// The raw chunking settings (tokens, overlap turns, tokenizer name), for cache keys.
pub fn chunking_settings() -> (i32, i32, String) {
    (
        CHUNK_TOKENS.get(),
        CHUNK_OVERLAP_TURNS.get(),
        string(&CHUNK_TOKENIZER, "minilm"),
    )
}

/// The chunking settings; Err names the bad setting.
pub fn chunking() -> Result<ChunkConfig, String> {
    let name = string(&CHUNK_TOKENIZER, "minilm");
    let tokenizer = Tokenizer::parse(&name).ok_or_else(|| {
        format!("cxone.chunk_tokenizer = '{name}' is not one of 'minilm', 'cl100k'; fix the setting, then reprocess")
    })?;
    Ok(ChunkConfig {
        tokenizer,
        // Bounds are enforced by PostgreSQL when the settings are set.
        max_tokens: usize::try_from(CHUNK_TOKENS.get()).unwrap_or(256),
        overlap_units: usize::try_from(CHUNK_OVERLAP_TURNS.get()).unwrap_or(0),
    })
}

pub fn embeddings_url() -> String {
    string(&EMBEDDINGS_URL, "http://127.0.0.1:8088/v1/embeddings")
}

pub fn embeddings_api_key() -> Option<String> {
    EMBEDDINGS_API_KEY
        .get()
        .and_then(|s| s.into_string().ok())
        .filter(|s| !s.is_empty())
}

pub fn embed_timeout_ms() -> u64 {
    u64::try_from(EMBED_TIMEOUT_MS.get()).unwrap_or(10_000)
}
