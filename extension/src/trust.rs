//! Who set a setting, and the extension's schema found without running SQL: the two facts
//! owner-rights code needs and must not take from the caller's environment.
//!
//! Settings. A client can hand PostgreSQL a value for a `cxone.*` setting before the library
//! is loaded in its session (`PGOPTIONS='-c ...'`, `SET`, `set_config`, a function's `SET`
//! clause): it is kept as a placeholder and, on PostgreSQL 15, may survive the library's
//! definition of the setting with only a warning. So the value alone is not evidence. Every
//! value carries the role that set it (`srole`; the bootstrap superuser for the server's
//! configuration and for `ALTER DATABASE` / `ALTER ROLE ... SET`, which PostgreSQL checked
//! when they were stored): an owner-only setting counts only when that role is a superuser.
//! The value alone is not even evidence when PostgreSQL refuses the client's placeholder: the
//! refused value takes the database's value with it and leaves the built-in default, recorded
//! as the server's own. So `_PG_init` notes which owner-only settings a client handed the
//! session before the library loaded ([`note_client_placeholders`]); for the rest of the
//! session those count as set by the client, whatever they now hold.
//!
//! Schema. The extension's schema is read from `pg_extension` through its name index, as
//! PostgreSQL's own `get_extension_oid` does: no SQL text, so no operator, function or table
//! of the caller's `search_path` takes part.

use pgrx::pg_sys;
use std::cell::RefCell;
use std::ffi::CStr;

thread_local! {
    /// Settings already looked up: PostgreSQL keeps a custom setting's record at one address
    /// for the life of the backend once the library has defined it.
    static RECORDS: RefCell<Vec<(&'static CStr, *mut pg_sys::config_generic)>> =
        const { RefCell::new(Vec::new()) };
    /// Owner-only settings that a client handed this session before the library was loaded.
    static CLIENT_SUPPLIED: RefCell<Vec<&'static CStr>> = const { RefCell::new(Vec::new()) };
}

/// The record PostgreSQL holds for `name` now (a placeholder before the library defines it).
fn lookup(name: &CStr) -> Option<*mut pg_sys::config_generic> {
    // SAFETY: PostgreSQL's table of settings, read on the backend's own thread; each entry is
    // a valid record with a NUL-terminated name.
    unsafe {
        let vars = pg_sys::get_guc_variables();
        let n = usize::try_from(pg_sys::GetNumConfigOptions()).unwrap_or(0);
        (0..n)
            .map(|i| *vars.add(i))
            .find(|g| !g.is_null() && CStr::from_ptr((**g).name) == name)
    }
}

/// A value's origin that only a superuser (or PostgreSQL's own checks when the value was
/// stored) could have produced.
fn trusted_origin(source: pg_sys::GucSource::Type, srole: pg_sys::Oid) -> bool {
    // SAFETY: superuser_arg reads the role's catalog row through the syscache.
    source == pg_sys::GucSource::PGC_S_DEFAULT
        || (source != pg_sys::GucSource::PGC_S_CLIENT && unsafe { pg_sys::superuser_arg(srole) })
}

/// Called by `_PG_init` before the settings are defined: notes each of `names` that a client
/// supplied as a placeholder (PGOPTIONS, `SET`, `set_config`, a function's `SET` clause), in
/// its current, reset or stacked value. Nothing is noted in the postmaster
/// (`shared_preload_libraries`: no client yet) or for a superuser's session.
pub fn note_client_placeholders(names: &[&'static CStr]) {
    // SAFETY: plain reads of backend globals; superuser_arg is a syscache lookup, valid once
    // the session's role is known (a library is loaded in a backend only after that).
    let superuser_session =
        unsafe { !pg_sys::IsUnderPostmaster || pg_sys::superuser_arg(pg_sys::GetSessionUserId()) };
    if superuser_session {
        return;
    }
    for &name in names {
        let Some(g) = lookup(name) else { continue };
        // SAFETY: a placeholder record from PostgreSQL's table, with its stack of saved values
        // (a NULL-terminated list), read before the library replaces it.
        let supplied = unsafe {
            let g = &*g;
            let mut untrusted = !trusted_origin(g.source, g.srole)
                || !trusted_origin(g.reset_source, g.reset_srole);
            let mut entry = g.stack;
            while !entry.is_null() && !untrusted {
                untrusted = !trusted_origin((*entry).source, (*entry).srole);
                entry = (*entry).prev;
            }
            untrusted
        };
        if supplied {
            CLIENT_SUPPLIED.with(|c| c.borrow_mut().push(name));
        }
    }
}

/// The owner-only settings this session's client supplied before the library loaded.
pub fn client_supplied() -> Vec<&'static CStr> {
    CLIENT_SUPPLIED.with(|c| c.borrow().clone())
}

fn record(name: &'static CStr) -> Option<*mut pg_sys::config_generic> {
    if let Some(r) = RECORDS.with(|r| r.borrow().iter().find(|(n, _)| *n == name).map(|e| e.1)) {
        return Some(r);
    }
    let found = lookup(name)?;
    RECORDS.with(|r| r.borrow_mut().push((name, found)));
    Some(found)
}

/// True when the current value of `name` was set by a superuser, by the server's
/// configuration, or through `ALTER DATABASE` / `ALTER ROLE ... SET` (checked when stored).
/// False when a non-superuser set it, whatever door it came through, when a client supplied it
/// before the library loaded ([`note_client_placeholders`]), and when it cannot be told.
pub fn set_by_superuser(name: &'static CStr) -> bool {
    if CLIENT_SUPPLIED.with(|c| c.borrow().contains(&name)) {
        return false;
    }
    match record(name) {
        // SAFETY: a record from the table above; superuser_arg reads the role's catalog row
        // (a syscache lookup, cached for the last role asked).
        // A value from the client's connection options (PGOPTIONS) counts only for a superuser
        // session: PostgreSQL 15 can record it with a superuser's srole when the library
        // defines the setting after the connection started (found by tests/e2e/tests/attacks.rs).
        Some(g) => unsafe {
            pg_sys::superuser_arg((*g).srole)
                && ((*g).source != pg_sys::GucSource::PGC_S_CLIENT
                    || pg_sys::superuser_arg(pg_sys::GetSessionUserId()))
        },
        None => false,
    }
}

/// The extension's schema (its OID), from the `pg_extension` catalog by index: `None` when the
/// extension is not installed in this database.
pub fn extension_schema() -> Option<pg_sys::Oid> {
    // SAFETY: a catalog scan inside a transaction, as get_extension_oid does in PostgreSQL:
    // the relation is opened and closed here with AccessShareLock, the scan key compares the
    // name column with a NUL-terminated string (nameeq stops at the NUL), and the tuple is
    // read before the scan ends.
    unsafe {
        let rel = pg_sys::table_open(
            pg_sys::ExtensionRelationId,
            pg_sys::AccessShareLock as pg_sys::LOCKMODE,
        );
        let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
        pg_sys::ScanKeyInit(
            &mut key,
            pg_sys::Anum_pg_extension_extname as pg_sys::AttrNumber,
            pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
            pg_sys::Oid::from(pg_sys::F_NAMEEQ),
            pg_sys::Datum::from(c"cxone_vector".as_ptr()),
        );
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::Oid::from(pg_sys::ExtensionNameIndexId),
            true,
            std::ptr::null_mut(),
            1,
            &mut key,
        );
        let tuple = pg_sys::systable_getnext(scan);
        let schema = (!tuple.is_null()).then(|| {
            let row = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_extension>(tuple);
            (*row).extnamespace
        });
        pg_sys::systable_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        schema
    }
}

/// A schema's name, quoted for SQL text.
pub fn quoted_schema_name(schema: pg_sys::Oid) -> Option<String> {
    // SAFETY: syscache lookup by OID; quote_identifier returns its argument or a palloc'd copy.
    unsafe {
        let name = pg_sys::get_namespace_name(schema);
        if name.is_null() {
            return None;
        }
        Some(
            CStr::from_ptr(pg_sys::quote_identifier(name))
                .to_string_lossy()
                .into_owned(),
        )
    }
}
