//! The mapping and intent rules in force, read with SPI and compiled once, then kept for as
//! long as they are unchanged.
//!
//! Compiling the rules (a RegexSet) and the mapping costs milliseconds: paid per statement, it
//! made a one-row webhook INSERT 25 times slower than a row of a bulk INSERT. So the compiled
//! configuration lives in the backend until something that went into it changes:
//! - an edit to `cxone_mappings` or `cxone_intent_rules` in this backend: their statement
//!   triggers bump a local generation, so even a later statement of the same query string sees
//!   the edit;
//! - an edit committed by any other backend: the same triggers queue a relcache invalidation
//!   of the table, which PostgreSQL delivers to every backend at commit, where the callback
//!   registered here bumps the generation (as PostgreSQL's own catalog caches work; a sinval
//!   queue overflow resets everything, which bumps it too);
//! - the settings it was built from (`cxone.mapping`, `cxone.redact`, the chunking settings):
//!   they are part of the key;
//! - the role it was loaded as: `cxone_tag` loads the rules as its caller, the ingest trigger
//!   as the extension's owner, and nothing one of them loaded is handed to the other.
//!
//! The queries name the extension's schema, found in the catalogs without SQL
//! ([`crate::trust::extension_schema`]), and use only `pg_catalog` types and operators, so the
//! caller's `search_path` takes no part in them.

use crate::error::sqlstate;
use crate::guc;
use crate::trust;
use cxone_core::ingest::IngestConfig;
use cxone_core::intent::{IntentRule, IntentRules};
use cxone_core::mapping::Mapping;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

/// What a cached configuration was built from.
#[derive(PartialEq)]
struct Key {
    generation: u64,
    /// The role the queries ran as.
    user: pg_sys::Oid,
    mapping: String,
    redact: bool,
    redact_types: cxone_core::redact::RedactTypes,
    limits: cxone_core::limits::Limits,
    chunking: cxone_core::chunk::ChunkConfig,
}

#[derive(Default)]
struct Loaded {
    key: Option<Key>,
    schema: Option<Rc<str>>,
    rules: Option<Rc<IntentRules>>,
    ingest: Option<Result<Arc<IngestConfig>, String>>,
}

thread_local! {
    static CACHE: RefCell<Loaded> = RefCell::new(Loaded::default());
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

fn bump() {
    GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
}

/// Relcache invalidation callback: any invalidation of a relation, or a full reset, may mean
/// the configuration tables changed. Comparing OIDs would need catalog access, which is not
/// allowed here; invalidations are rare next to INSERTs, so any of them simply reloads.
#[pg_guard]
unsafe extern "C-unwind" fn relcache_changed(_arg: pg_sys::Datum, _relid: pg_sys::Oid) {
    bump();
}

fn cache_key() -> Key {
    if !CALLBACK_REGISTERED.with(Cell::get) {
        // SAFETY: registering a callback with a static function; PostgreSQL keeps it for the
        // life of the backend (there is a fixed number of slots; we take one, once).
        unsafe {
            pg_sys::CacheRegisterRelcacheCallback(Some(relcache_changed), pg_sys::Datum::from(0))
        };
        CALLBACK_REGISTERED.with(|r| r.set(true));
    }
    Key {
        generation: GENERATION.with(Cell::get),
        // SAFETY: reads the current user id of the backend.
        user: unsafe { pg_sys::GetUserId() },
        mapping: guc::mapping_name(),
        redact: guc::redact(),
        redact_types: guc::redact_types(),
        limits: guc::limits(),
        chunking: guc::chunking(),
    }
}

/// Runs `f` on the cache after dropping anything loaded under a different key.
fn with_cache<R>(f: impl FnOnce(&mut Loaded) -> R) -> R {
    let key = cache_key();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.key.as_ref() != Some(&key) {
            *c = Loaded {
                key: Some(key),
                ..Loaded::default()
            };
        }
        f(&mut c)
    })
}

/// The extension's schema, quoted for use in SQL text. Not installed in this database (a
/// function of the library called from elsewhere) is an error.
pub fn schema() -> Rc<str> {
    if let Some(s) = with_cache(|c| c.schema.clone()) {
        return s;
    }
    let s: Rc<str> = trust::extension_schema()
        .and_then(trust::quoted_schema_name)
        .unwrap_or_else(|| {
            ereport!(
                ERROR,
                sqlstate::NO_SUCH_OBJECT,
                "extension cxone_vector is not installed in this database"
            );
        })
        .into();
    with_cache(|c| c.schema = Some(s.clone()));
    s
}

fn load_rules() -> Result<IntentRules, String> {
    let query = format!(
        "SELECT id::pg_catalog.int8 AS id, category, pattern, priority FROM {}.cxone_intent_rules WHERE enabled",
        schema()
    );
    let rules = Spi::connect(|client| {
        let mut rules = Vec::new();
        for row in client.select(&query, None, &[])? {
            rules.push(IntentRule {
                id: row.get_by_name::<i64, _>("id")?.unwrap_or_default(),
                category: row
                    .get_by_name::<String, _>("category")?
                    .unwrap_or_default(),
                pattern: row.get_by_name::<String, _>("pattern")?.unwrap_or_default(),
                priority: row.get_by_name::<i32, _>("priority")?.unwrap_or_default(),
            });
        }
        Ok::<_, pgrx::spi::SpiError>(rules)
    })
    .map_err(|e| format!("cannot read cxone_intent_rules: {e}"))?;
    IntentRules::compile(rules).map_err(|e| format!("{e}; fix it in cxone_intent_rules"))
}

/// The enabled intent rules, compiled. A broken rule set is an error for `cxone_tag`.
pub fn intent_rules() -> Rc<IntentRules> {
    if let Some(r) = with_cache(|c| c.rules.clone()) {
        return r;
    }
    let rules = Rc::new(load_rules().unwrap_or_else(|e| {
        ereport!(ERROR, sqlstate::BAD_ARGUMENT, e);
    }));
    with_cache(|c| c.rules = Some(rules.clone()));
    rules
}

/// What the ingest trigger applies; Err holds the reason every payload is recorded invalid
/// with (e.g. the configured mapping does not exist), so that nothing is lost. Shared (`Arc`)
/// with the ingest helper thread.
pub fn ingest_config() -> Result<Arc<IngestConfig>, String> {
    if let Some(cfg) = with_cache(|c| c.ingest.clone()) {
        return cfg;
    }
    let cfg = load_ingest_config().map(Arc::new);
    with_cache(|c| c.ingest = Some(cfg.clone()));
    cfg
}

/// As [`ingest_config`] with the mapping `name` instead of the session's (a conversation is
/// assembled with the mapping its messages were recorded under). Not cached: the session's
/// own mapping, the usual case, comes from [`ingest_config`].
pub fn ingest_config_named(name: &str) -> Result<Arc<IngestConfig>, String> {
    let session = ingest_config();
    match &session {
        Ok(cfg) if cfg.mapping_name == name => session,
        _ => load_named(name.to_string()).map(Arc::new),
    }
}

fn load_ingest_config() -> Result<IngestConfig, String> {
    load_named(guc::mapping_name())
}

fn load_named(name: String) -> Result<IngestConfig, String> {
    let query = format!(
        "SELECT mapping FROM {}.cxone_mappings WHERE name OPERATOR(pg_catalog.=) $1",
        schema()
    );
    let spec = Spi::connect(|c| {
        let rows = c.select(&query, Some(1), &[name.clone().into()])?;
        if rows.is_empty() {
            return Ok(None);
        }
        rows.first().get_one::<JsonB>()
    })
    .map_err(|e: pgrx::spi::SpiError| format!("cannot read cxone_mappings: {e}"))?
    .ok_or_else(|| {
            format!("mapping '{name}' (setting cxone.mapping) does not exist in cxone_mappings; insert it or reset the setting, then reprocess")
        })?;
    let mapping = Mapping::parse(&spec.0).map_err(|e| format!("mapping '{name}': {e}"))?;
    let rules = load_rules()?;
    Ok(IngestConfig {
        mapping_name: name,
        mapping,
        rules,
        chunking: guc::chunking(),
        limits: guc::limits(),
        redact: guc::redact(),
        redact_types: guc::redact_types(),
    })
}

/// Statement trigger on cxone_mappings and cxone_intent_rules: later statements in this
/// backend, even within the same statement string, reload them; and once the edit commits,
/// every other backend does too (a relcache invalidation of the table).
#[pg_trigger]
fn _cxone_config_changed<'a>(
    trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::heap_tuple::PgHeapTupleError> {
    bump();
    if let Ok(rel) = trigger.relation() {
        // SAFETY: the trigger's relation is open and locked for the statement.
        unsafe { pg_sys::CacheInvalidateRelcacheByRelid(rel.oid()) };
    }
    Ok(None)
}
