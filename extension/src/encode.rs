//! PostgreSQL's binary forms written directly from Rust values, so that ingest's
//! statement-level write does not pay for text parsing or per-element datums:
//! - [`jsonb`]: `jsonb` values (the rows' metadata), encoded on the ingest helper thread;
//! - [`pg_array`]: one-dimensional arrays of text, varlenas, int8 and int4.

pub mod jsonb;
pub mod pg_array;
