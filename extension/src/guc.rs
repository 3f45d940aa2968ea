//! Every `cxone.*` setting, in one place.
//!
//! Owner-only settings (`GucContext::Suset`) count only when a superuser set them
//! ([`crate::trust::set_by_superuser`]), whatever door the value came through: when one cannot
//! be trusted, redaction is on, size caps keep their defaults, and the embeddings endpoint and
//! key file are refused with an error. Secrets are never settings: settings are readable in
//! `pg_db_role_setting` by every role, and as placeholders before the library loads. The key
//! that `cxone_embed` sends lives in a file only the server's OS user can read.

use crate::trust::{client_supplied, note_client_placeholders, set_by_superuser};
use cxone_core::chunk::ChunkConfig;
use cxone_core::tokens::Tokenizer;
use pgrx::{pg_sys, GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};
use std::ffi::{CStr, CString};

/// Name of the row in `cxone_mappings` that the ingest trigger uses.
pub static MAPPING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"default"));
/// Store and queue only redacted text. Superuser-only, so a session cannot turn it off.
pub static REDACT: GucSetting<bool> = GucSetting::<bool>::new(false);
pub static CHUNK_TOKENS: GucSetting<i32> = GucSetting::<i32>::new(256);
pub static CHUNK_OVERLAP_TURNS: GucSetting<i32> = GucSetting::<i32>::new(0);
pub static CHUNK_TOKENIZER: GucSetting<ChunkTokenizer> =
    GucSetting::<ChunkTokenizer>::new(ChunkTokenizer::Minilm);

/// `cxone.chunk_tokenizer`: PostgreSQL refuses any other value at `SET`, listing these. The
/// hidden names are the ones `cxone_core::tokens::Tokenizer::parse` also accepts.
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChunkTokenizer {
    #[name = c"minilm"]
    Minilm,
    #[name = c"cl100k"]
    Cl100k,
    #[name = c"all-MiniLM-L6-v2"]
    #[hidden = true]
    AllMiniLmL6V2,
    #[name = c"wordpiece"]
    #[hidden = true]
    Wordpiece,
    #[name = c"cl100k_base"]
    #[hidden = true]
    Cl100kBase,
}

impl ChunkTokenizer {
    fn tokenizer(self) -> Tokenizer {
        match self {
            ChunkTokenizer::Minilm | ChunkTokenizer::AllMiniLmL6V2 | ChunkTokenizer::Wordpiece => {
                Tokenizer::MiniLm
            }
            ChunkTokenizer::Cl100k | ChunkTokenizer::Cl100kBase => Tokenizer::Cl100k,
        }
    }
}

/// Tag, redact and chunk a statement's payloads on a helper thread of the backend.
pub static INGEST_HELPER_THREAD: GucSetting<bool> = GucSetting::<bool>::new(true);

pub static EMBEDDINGS_URL: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"http://127.0.0.1:8088/v1/embeddings"));
pub static EMBEDDINGS_API_KEY_FILE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"cxone_vector.key"));
pub static EMBEDDINGS_CA_FILE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(None);
pub static EMBED_TIMEOUT_MS: GucSetting<i32> = GucSetting::<i32>::new(10_000);
/// The longest query-embedding wait a role that is not a superuser gets, whatever it sets.
pub const EMBED_TIMEOUT_USER_MAX_MS: i32 = 30_000;

pub const MAX_PAYLOAD_BYTES_DEFAULT: i32 = 8 << 20;
pub static MAX_PAYLOAD_BYTES: GucSetting<i32> = GucSetting::<i32>::new(MAX_PAYLOAD_BYTES_DEFAULT);
pub const MAX_TEXT_BYTES_DEFAULT: i32 = 4 << 20;
pub static MAX_TEXT_BYTES: GucSetting<i32> = GucSetting::<i32>::new(MAX_TEXT_BYTES_DEFAULT);
/// Which PII types redaction replaces: `all` or a list of `pii_types` names.
pub static REDACT_TYPES: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"all"));
/// Redact agents' own names in their greetings too (off: they are kept).
pub static REDACT_AGENT_NAMES: GucSetting<bool> = GucSetting::<bool>::new(false);
/// PCI mode: card data masked inside raw payloads before they are stored.
pub static PCI_MASK_PAYLOADS: GucSetting<bool> = GucSetting::<bool>::new(false);
/// Lines seen in at least this many conversations are left out of the embedded text; 0: none.
pub const BOILERPLATE_MIN_CONVERSATIONS_DEFAULT: i32 = 5;
pub static BOILERPLATE_MIN_CONVERSATIONS: GucSetting<i32> =
    GucSetting::<i32>::new(BOILERPLATE_MIN_CONVERSATIONS_DEFAULT);
/// Hybrid search's reciprocal rank fusion: the constant and the weight of each ranking.
pub static RRF_K: GucSetting<i32> = GucSetting::<i32>::new(60);
pub static HYBRID_SEMANTIC_WEIGHT: GucSetting<f64> = GucSetting::<f64>::new(1.0);
pub static HYBRID_KEYWORD_WEIGHT: GucSetting<f64> = GucSetting::<f64>::new(1.0);
/// Raw payloads older than this many days are deleted by `cxone_retention_due()`; 0 keeps them.
pub static PAYLOAD_RETENTION_DAYS: GucSetting<i32> = GucSetting::<i32>::new(0);

/// The settings only a superuser may set (`GucContext::Suset`).
const OWNER_ONLY: [&CStr; 11] = [
    c"cxone.embeddings_url",
    c"cxone.embeddings_api_key_file",
    c"cxone.embeddings_ca_file",
    c"cxone.redact",
    c"cxone.max_payload_bytes",
    c"cxone.max_text_bytes",
    c"cxone.payload_retention_days",
    c"cxone.redact_types",
    c"cxone.redact_agent_names",
    c"cxone.pci_mask_payloads",
    c"cxone.boilerplate_min_conversations",
];

pub fn init() {
    // Before the definitions replace them: which owner-only settings the client supplied.
    note_client_placeholders(&OWNER_ONLY);
    GucRegistry::define_string_guc(
        c"cxone.embeddings_url",
        c"OpenAI-compatible /embeddings URL that cxone_embed and cxone_search call for query embeddings.",
        c"The default reaches a sidecar started with its default settings on this machine.",
        &EMBEDDINGS_URL,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"cxone.embeddings_api_key_file",
        c"File holding the bearer key that cxone_embed sends to cxone.embeddings_url.",
        c"A path on the database server, relative to its data directory unless absolute, readable only by the server's OS user (mode 0600). Read at each request; a missing file means no key is sent. The key itself is never a setting: settings are readable by every role.",
        &EMBEDDINGS_API_KEY_FILE,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"cxone.embeddings_ca_file",
        c"PEM file of certificate authorities trusted for an https cxone.embeddings_url, besides the system's.",
        c"For a private CA; empty: the system's roots only.",
        &EMBEDDINGS_CA_FILE,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.embed_timeout_ms",
        c"Timeout of one query-embedding request, in milliseconds.",
        c"Query cancel and statement_timeout also end the wait. Roles that are not superusers get at most 30000.",
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
    GucRegistry::define_string_guc(
        c"cxone.redact_types",
        c"PII types that redaction replaces: 'all' (the default) or a comma-separated list of pii_types names.",
        c"Only a superuser can narrow it; a value a client set, or one that names no type, means all.",
        &REDACT_TYPES,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"cxone.redact_agent_names",
        c"Also redact agents' own names in their greetings (off: kept, so a conversation still says who helped).",
        c"Customers' names are redacted either way. Only a superuser can change it.",
        &REDACT_AGENT_NAMES,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"cxone.pci_mask_payloads",
        c"PCI mode: mask card data (number, security code, expiry, PIN, bank account, routing and sort codes, IBAN) inside each raw payload's string values before it is stored.",
        c"The one exception to cxone_payloads keeping payloads as sent: structure, keys and identifier values are kept. Only a superuser can change it; a value a client supplied means on.",
        &PCI_MASK_PAYLOADS,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.boilerplate_min_conversations",
        c"Lines seen in at least this many conversations (greetings, IVR prompts, macros) are left out of the text that is embedded; 0 keeps every line.",
        c"The stored text stays complete for reading and keyword search. Only a superuser can change it.",
        &BOILERPLATE_MIN_CONVERSATIONS,
        0,
        1_000_000,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.rrf_k",
        c"Hybrid search: the constant c of reciprocal rank fusion, score = w / (c + rank) per ranking.",
        c"Larger values flatten the difference between the first ranks.",
        &RRF_K,
        1,
        10_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"cxone.hybrid_semantic_weight",
        c"Hybrid search: the weight of the semantic ranking in reciprocal rank fusion.",
        c"",
        &HYBRID_SEMANTIC_WEIGHT,
        0.0,
        100.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_float_guc(
        c"cxone.hybrid_keyword_weight",
        c"Hybrid search: the weight of the keyword ranking in reciprocal rank fusion.",
        c"",
        &HYBRID_KEYWORD_WEIGHT,
        0.0,
        100.0,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.payload_retention_days",
        c"Days a raw payload is kept in cxone_payloads; older ones are deleted by cxone_retention_due(). 0 keeps them.",
        c"What was derived from a payload (messages, conversations, queue rows and vectors) stays. The sidecar runs the clock; only a superuser can change it, e.g. ALTER DATABASE ... SET cxone.payload_retention_days = 30.",
        &PAYLOAD_RETENTION_DAYS,
        0,
        36_500,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.max_payload_bytes",
        c"Largest payload the ingest trigger maps, in bytes; larger ones are stored and recorded invalid.",
        c"Bounds the work one INSERT can make a backend do. Only a superuser can change it.",
        &MAX_PAYLOAD_BYTES,
        1024,
        1 << 30,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"cxone.max_text_bytes",
        c"Largest mapped conversation text, in bytes; a payload whose text is larger is recorded invalid.",
        c"Bounds tagging, redaction and chunking per payload. Only a superuser can change it.",
        &MAX_TEXT_BYTES,
        1024,
        1 << 30,
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
    GucRegistry::define_enum_guc(
        c"cxone.chunk_tokenizer",
        c"Tokenizer that measures chunks: 'minilm' (the local model) or 'cl100k' (OpenAI).",
        c"Use the tokenizer of the model that will embed the rows.",
        &CHUNK_TOKENIZER,
        GucContext::Userset,
        GucFlags::default(),
    );
    // Any other cxone.* name is refused from now on (and placeholders for one are removed), so
    // no value can hide under a name the extension does not read, e.g. the retired
    // cxone.embeddings_api_key.
    // SAFETY: called once from _PG_init with a static, NUL-terminated prefix.
    unsafe { pg_sys::MarkGUCPrefixReserved(c"cxone".as_ptr()) };
    for name in client_supplied() {
        let effect = match name.to_bytes() {
            b"cxone.redact" => "redaction is on",
            b"cxone.pci_mask_payloads" => "card data in payloads is masked",
            b"cxone.max_payload_bytes" | b"cxone.max_text_bytes" => "the cap is its default",
            b"cxone.payload_retention_days" => "no payload is deleted by retention",
            b"cxone.boilerplate_min_conversations" => "boilerplate is left out as by default",
            b"cxone.redact_types" | b"cxone.redact_agent_names" => "redaction replaces every type",
            _ => "cxone_embed and cxone_search refuse to run",
        };
        pgrx::warning!(
            "{} was supplied by this connection before cxone_vector loaded, so for the rest of the session {effect}; reconnect without it (PGOPTIONS, SET, set_config, a function's SET clause), or ask a superuser to set it",
            name.to_string_lossy()
        );
    }
}

/// The value of an owner-only setting if a superuser set it, else `untrusted`.
fn owner_only<T>(name: &'static CStr, value: T, untrusted: T) -> T {
    if set_by_superuser(name) {
        value
    } else {
        untrusted
    }
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

/// Redaction is on unless a superuser turned it off (or left the default, off, untouched):
/// an `off` that a client supplied does not count.
pub fn redact() -> bool {
    REDACT.get() || !set_by_superuser(c"cxone.redact")
}

/// The boilerplate threshold; the default when a non-superuser set it.
pub fn boilerplate_min_conversations() -> i32 {
    owner_only(
        c"cxone.boilerplate_min_conversations",
        BOILERPLATE_MIN_CONVERSATIONS.get(),
        BOILERPLATE_MIN_CONVERSATIONS_DEFAULT,
    )
}

/// PCI mode is on unless a superuser left it off: a value a client supplied means on.
pub fn pci_mask_payloads() -> bool {
    PCI_MASK_PAYLOADS.get() || !set_by_superuser(c"cxone.pci_mask_payloads")
}

/// The PII types redaction replaces: every one (agents' names included) when a client set either
/// setting or the list names something that is not a type, so a client can only widen it.
pub fn redact_types() -> cxone_core::redact::RedactTypes {
    use cxone_core::redact::RedactTypes;
    if !set_by_superuser(c"cxone.redact_types") || !set_by_superuser(c"cxone.redact_agent_names") {
        return RedactTypes::ALL;
    }
    let Ok(types) = RedactTypes::parse(&string(&REDACT_TYPES, "all")) else {
        return RedactTypes::ALL;
    };
    if REDACT_AGENT_NAMES.get() {
        types
    } else {
        types.without(cxone_core::pii::PiiKind::AgentName)
    }
}

/// Days raw payloads are kept (0: for ever); 0 when a non-superuser set it, so a client can
/// neither shorten nor lengthen what the owner chose.
pub fn payload_retention_days() -> i32 {
    owner_only(
        c"cxone.payload_retention_days",
        PAYLOAD_RETENTION_DAYS.get(),
        0,
    )
}

/// (largest payload, largest mapped text) in bytes; the defaults when a non-superuser set them.
pub fn limits_settings() -> (i32, i32) {
    (
        owner_only(
            c"cxone.max_payload_bytes",
            MAX_PAYLOAD_BYTES.get(),
            MAX_PAYLOAD_BYTES_DEFAULT.min(MAX_PAYLOAD_BYTES.get()),
        ),
        owner_only(
            c"cxone.max_text_bytes",
            MAX_TEXT_BYTES.get(),
            MAX_TEXT_BYTES_DEFAULT.min(MAX_TEXT_BYTES.get()),
        ),
    )
}

/// The size caps in force, for the ingest configuration.
pub fn limits() -> cxone_core::limits::Limits {
    let (payload, text) = limits_settings();
    cxone_core::limits::Limits {
        max_payload_bytes: usize::try_from(payload).unwrap_or(usize::MAX),
        max_text_bytes: usize::try_from(text).unwrap_or(usize::MAX),
        ..cxone_core::limits::Limits::default()
    }
}

/// The chunking settings in force (PostgreSQL has checked their bounds and names at `SET`).
pub fn chunking() -> ChunkConfig {
    ChunkConfig {
        tokenizer: CHUNK_TOKENIZER.get().tokenizer(),
        max_tokens: usize::try_from(CHUNK_TOKENS.get()).unwrap_or(256),
        overlap_units: usize::try_from(CHUNK_OVERLAP_TURNS.get()).unwrap_or(0),
    }
}

/// An owner-only setting that a client supplied: refused, with what to do.
fn refused(name: &str) -> String {
    format!("{name} was set by a role that is not a superuser, so it is not used; reconnect without setting it (PGOPTIONS, SET, ALTER ROLE), or ask a superuser to set it")
}

/// The embeddings endpoint; Err when its value cannot be trusted.
pub fn embeddings_url() -> Result<String, String> {
    owner_only(
        c"cxone.embeddings_url",
        Ok(string(
            &EMBEDDINGS_URL,
            "http://127.0.0.1:8088/v1/embeddings",
        )),
        Err(refused("cxone.embeddings_url")),
    )
}

/// The key file's path (empty: none); Err when its value cannot be trusted.
pub fn embeddings_api_key_file() -> Result<String, String> {
    owner_only(
        c"cxone.embeddings_api_key_file",
        Ok(string(&EMBEDDINGS_API_KEY_FILE, "")),
        Err(refused("cxone.embeddings_api_key_file")),
    )
}

/// The extra CA file's path (empty: none); Err when its value cannot be trusted.
pub fn embeddings_ca_file() -> Result<String, String> {
    owner_only(
        c"cxone.embeddings_ca_file",
        Ok(string(&EMBEDDINGS_CA_FILE, "")),
        Err(refused("cxone.embeddings_ca_file")),
    )
}

/// The query-embedding timeout; at most [`EMBED_TIMEOUT_USER_MAX_MS`] unless a superuser set it.
pub fn embed_timeout_ms() -> u64 {
    let v = EMBED_TIMEOUT_MS.get();
    let v = owner_only(
        c"cxone.embed_timeout_ms",
        v,
        v.min(EMBED_TIMEOUT_USER_MAX_MS),
    );
    u64::try_from(v).unwrap_or(10_000)
}
