//! The mapping and intent rules in force, read with SPI at most once per statement.
//!
//! A bulk `INSERT ... SELECT` of 10,000 payloads must not re-read and re-compile the mapping
//! and rules per row, yet an edit to `cxone_mappings` or `cxone_intent_rules` must take effect
//! at once. So the cache is keyed by (transaction, statement start, local edit generation): a
//! new statement reloads, and the tables' statement triggers bump the generation so that an
//! edit earlier in the same statement string is seen too.

use crate::guc;
use cxone_core::ingest::IngestConfig;
use cxone_core::intent::{IntentRule, IntentRules};
use cxone_core::mapping::Mapping;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

type Key = (u32, i64, u64);

#[derive(Default)]
struct Loaded {
    key: Option<Key>,
    schema: Option<Rc<str>>,
    rules: Option<Rc<IntentRules>>,
    ingest: Option<Rc<Result<IngestConfig, String>>>,
}

thread_local! {
    static CACHE: RefCell<Loaded> = RefCell::new(Loaded::default());
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

/// The current top-level statement: (local transaction id, statement start time).
pub fn current_statement() -> (u32, i64) {
    // SAFETY: MyProc is set for every backend and worker before any SQL function can run.
    unsafe {
        (
            (*pg_sys::MyProc).lxid,
            pg_sys::GetCurrentStatementStartTimestamp(),
        )
    }
}

fn statement_key() -> Key {
    let (lxid, started) = current_statement();
    (lxid, started, GENERATION.with(Cell::get))
}

/// Runs `f` on the cache after dropping anything loaded for an earlier statement.
fn with_cache<R>(f: impl FnOnce(&mut Loaded) -> R) -> R {
    let key = statement_key();
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.key != Some(key) {
            *c = Loaded {
                key: Some(key),
                ..Loaded::default()
            };
        }
        f(&mut c)
    })
}

/// The extension's schema, quoted for use in SQL text.
pub fn schema() -> Rc<str> {
    if let Some(s) = with_cache(|c| c.schema.clone()) {
        return s;
    }
    let s: Rc<str> = Spi::get_one::<String>(
        "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e \
         JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'cxone_vector'",
    )
    .ok()
    .flatten()
    .unwrap_or_else(|| "public".into())
    .into();
    with_cache(|c| c.schema = Some(s.clone()));
    s
}

fn load_rules() -> Result<IntentRules, String> {
    let query = format!(
        "SELECT id::int8 AS id, category, pattern, priority FROM {}.cxone_intent_rules WHERE enabled",
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
        ereport!(ERROR, PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, e);
    }));
    with_cache(|c| c.rules = Some(rules.clone()));
    rules
}

/// What the ingest trigger applies; Err holds the reason every payload is recorded invalid
/// with (e.g. the configured mapping does not exist), so that nothing is lost.
pub fn ingest_config() -> Rc<Result<IngestConfig, String>> {
    if let Some(cfg) = with_cache(|c| c.ingest.clone()) {
        return cfg;
    }
    let cfg = Rc::new(load_ingest_config());
    with_cache(|c| c.ingest = Some(cfg.clone()));
    cfg
}

fn load_ingest_config() -> Result<IngestConfig, String> {
    let name = guc::mapping_name();
    let query = format!(
        "SELECT mapping FROM {}.cxone_mappings WHERE name = $1",
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
        chunking: guc::chunking()?,
        redact: guc::redact(),
    })
}

/// Statement trigger on cxone_mappings and cxone_intent_rules: later statements in this
/// backend, even within the same statement string, reload them.
#[pg_trigger]
fn _cxone_config_changed<'a>(
    _trigger: &'a PgTrigger<'a>,
) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::heap_tuple::PgHeapTupleError> {
    GENERATION.with(|g| g.set(g.get() + 1));
    Ok(None)
}
