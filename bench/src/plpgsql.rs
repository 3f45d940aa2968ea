//! The PL/pgSQL baseline trigger (bench/plpgsql_trigger.sql).
pub const SQL: &str = include_str!("../plpgsql_trigger.sql");
