//! Every frozen older release in sql/releases updates to the current version and ends with the
//! same catalog as a fresh install (see sql/upgrades/README.md).

use cxone_e2e::postgres::Client;
use cxone_e2e::TestDb;

const CURRENT: &str = env!("CARGO_PKG_VERSION");

/// Tables, columns and their storage, functions (arguments, security, settings), privileges
/// (tables, columns, functions), triggers and indexes of the extension.
fn catalog(c: &mut Client) -> Vec<String> {
    let rows = c
        .query(
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
               FROM information_schema.columns WHERE table_schema = 'public'
             UNION ALL
             SELECT 'storage ' || a.attrelid::regclass || '.' || a.attname || ' ' || a.attstorage::text
               FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
              WHERE r.relnamespace = 'public'::regnamespace AND r.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
             UNION ALL
             SELECT 'function ' || p.oid::regprocedure::text || ' ' || p.provolatile::text || p.proisstrict::text
                    || ' definer ' || p.prosecdef::text || ' ' || coalesce(array_to_string(p.proconfig, ','), '')
               FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cxone_vector'
             UNION ALL
             SELECT 'acl ' || c.oid::regclass || ' ' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(c.relacl) x), '')
               FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v')
             UNION ALL
             SELECT 'column acl ' || a.attrelid::regclass || '.' || a.attname || ' ' || (SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x)
               FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid
              WHERE r.relnamespace = 'public'::regnamespace AND a.attacl IS NOT NULL
             UNION ALL
             SELECT 'function acl ' || p.oid::regprocedure::text || ' ' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(p.proacl) x), '')
               FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
               JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'cxone_vector'
             UNION ALL
             SELECT 'trigger ' || tgrelid::regclass || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
             UNION ALL
             SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
             UNION ALL
             SELECT 'constraint ' || conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
              WHERE connamespace = 'public'::regnamespace
             ORDER BY 1",
            &[],
        )
        .expect("catalog query");
    rows.iter().map(|r| r.get(0)).collect()
}

fn frozen_releases() -> Vec<String> {
    let dir = format!("{}/../../sql/releases", env!("CARGO_MANIFEST_DIR"));
    let mut versions: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| {
            n.strip_prefix("cxone_vector--")?
                .strip_suffix(".sql")
                .map(String::from)
        })
        .collect();
    versions.sort();
    versions
}

#[test]
fn the_current_version_is_frozen_or_newer_than_every_release() {
    let releases = frozen_releases();
    assert!(!releases.is_empty(), "sql/releases holds no frozen release");
    for v in &releases {
        assert!(
            v.as_str() <= CURRENT,
            "frozen release {v} is newer than the crate version {CURRENT}"
        );
    }
}

#[test]
fn older_releases_update_to_the_current_schema() {
    let fresh = TestDb::new();
    let want = catalog(&mut fresh.connect());
    for old in frozen_releases().into_iter().filter(|v| v != CURRENT) {
        let db = TestDb::new();
        let mut c = db.connect();
        c.batch_execute(&format!(
            "DROP EXTENSION cxone_vector; CREATE EXTENSION cxone_vector VERSION '{old}'; ALTER EXTENSION cxone_vector UPDATE"
        ))
        .unwrap_or_else(|e| panic!("update from {old}: {e} {:?}", e.as_db_error()));
        assert_eq!(
            catalog(&mut c),
            want,
            "schema after updating from {old} differs from a fresh install"
        );
    }
}
