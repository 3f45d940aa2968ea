//! Ingest: what becomes of a payload inserted into `cxone_payloads`. Each file depends only on
//! the ones listed after it:
//! - [`trigger`]: the row trigger `_cxone_ingest` (BEFORE INSERT FOR EACH ROW): reads the row,
//!   writes its outcome, leaves the rest for the end of the statement;
//! - [`decide`]: what one payload is: invalid, a replay candidate, text to queue, a message or
//!   case event to record;
//! - [`flush`]: the statement trigger `_cxone_ingest_flush`: event keys, supersession, queue
//!   rows and outcome corrections for the whole statement;
//! - [`buffer`]: what the row trigger leaves for the flush, true to the transaction;
//! - [`record`]: message and case events into `cxone_messages` and `cxone_conversations`;
//!   [`record_sql`]: its statements;
//! - [`assemble`]: conversations assembled from their messages and queued
//!   (`cxone_assemble_due`);
//! - [`statements`]: the prepared statements, and the queue rows as argument columns;
//! - [`helper`]: the helper thread that maps, tags, redacts and chunks while the backend
//!   inserts;
//! - [`outcome`]: a payload's outcome as decided at the end of the statement.

pub mod assemble;
pub mod buffer;
pub mod decide;
pub mod flush;
pub mod helper;
pub mod outcome;
pub mod record;
pub mod record_sql;
pub mod statements;
pub mod trigger;
