//! The `cxone_vector` PostgreSQL extension: thin SQL shells over `cxone_core`.
//!
//! - [`functions`]: `cxone_map`, `cxone_tag`, `cxone_redact`, validation helpers;
//! - [`ingest`]: the ingest triggers, messages recorded and assembled into conversations, and
//!   the embedding queue's rows (its folder lists its files, which depend one way);
//! - [`config`]: the mapping and intent rules in force, loaded once per statement;
//! - [`embed`]: `cxone_embed`, the query embedding over HTTP;
//! - [`guc`]: every `cxone.*` setting;
//! - [`trust`]: who set a setting, and the extension's schema from the catalogs (what
//!   owner-rights code may rely on);
//! - [`error`]: ingest's error type, and the SQLSTATEs the extension raises;
//! - [`encode`]: `jsonb` and array values in PostgreSQL's binary form;
//! - [`threads`]: the rules for threads inside a backend.
//!
//! The tables, trigger and seeds are in `sql/*.sql` at the repository root; the embedding
//! queue's protocol (the functions any worker calls) is `sql/queue.sql`; what of a row is
//! embedded, `sql/boilerplate.sql`; keyword search and snippets, `sql/keyword.sql`; search in
//! its three modes, `sql/search.sql`.

use pgrx::prelude::*;

mod config;
mod embed;
mod encode;
mod error;
mod functions;
mod guc;
mod ingest;
mod threads;
mod trust;

::pgrx::pg_module_magic!(name, version);

/// Rust allocations of the extension (payload JSON trees, metadata maps, chunk texts) go to
/// mimalloc: a quarter of the ingest trigger's CPU was glibc malloc/free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pgrx::extension_sql_file!(
    "../../sql/schema.sql",
    name = "schema",
    requires = [
        functions::cxone_mapping_check,
        functions::cxone_intent_pattern_check,
        functions::_cxone_seed,
        functions::cxone_map,
        functions::cxone_tag,
        functions::cxone_redact,
        ingest::trigger::_cxone_ingest,
        ingest::flush::_cxone_ingest_flush,
        config::_cxone_config_changed,
        ingest::assemble::cxone_assemble_due,
    ]
);

pgrx::extension_sql_file!(
    "../../sql/boilerplate.sql",
    name = "boilerplate",
    requires = ["schema", functions::_cxone_boilerplate_min_conversations]
);

pgrx::extension_sql_file!(
    "../../sql/keyword.sql",
    name = "keyword",
    requires = ["boilerplate"]
);

pgrx::extension_sql_file!(
    "../../sql/search.sql",
    name = "search",
    requires = [
        "keyword",
        embed::_cxone_embed_array,
        functions::cxone_stored_id
    ]
);

pgrx::extension_sql_file!(
    "../../sql/queue.sql",
    name = "queue",
    requires = ["search", "boilerplate"]
);

pgrx::extension_sql_file!(
    "../../sql/retention.sql",
    name = "retention",
    requires = ["boilerplate", functions::_cxone_payload_retention_days]
);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::init();
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    // #[pg_schema] needs the module inline; the tests live in their own file.
    include!("tests.rs");
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
