//! The statements the ingest flush ([`crate::ingest::flush`]) runs, prepared once per backend
//! (and per extension schema), and the queue rows as the write's arguments: parallel arrays,
//! each built in one allocation ([`crate::encode::pg_array`]), with metadata as binary `jsonb`.
//!
//! (Multi-argument `unnest` and `extract` are only special unqualified; the functions run with
//! search_path pinned to pg_catalog, so they are pg_catalog's.)

use crate::config;
use crate::encode::pg_array;
use crate::ingest::helper::{Metadata, Prepared};
use cxone_core::outcome::RowStatus;
use cxone_core::NOTIFY_CHANNEL;
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiError};
use pgrx::PgOid;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static PLANS: RefCell<Option<Rc<Plans>>> = const { RefCell::new(None) };
    /// Other statements of the end-of-statement work, by name ([`prepared`]).
    static NAMED: RefCell<Vec<Named>> = const { RefCell::new(Vec::new()) };
}

struct Named {
    name: &'static str,
    schema: Rc<str>,
    user: pg_sys::Oid,
    statement: Rc<OwnedPreparedStatement>,
}

/// The argument type of the statements that take a `text[]`.
pub fn text_array() -> PgOid {
    PgOid::BuiltIn(pg_sys::BuiltinOid::TEXTARRAYOID)
}

/// A statement prepared once per backend, extension schema and role (as [`plans`]), by a
/// name and the SQL `sql` makes for the schema: the other ingest modules' statements
/// (`record.rs`, `assemble.rs`), without this module knowing them. Planning them on every
/// statement cost more than running them for a one-event INSERT.
pub fn prepared(
    name: &'static str,
    sql: impl FnOnce(&str) -> String,
    types: &[PgOid],
) -> Result<Rc<OwnedPreparedStatement>, SpiError> {
    let schema = config::schema();
    // SAFETY: reads the current user id of the backend.
    let user = unsafe { pg_sys::GetUserId() };
    let found = NAMED.with(|n| {
        n.borrow()
            .iter()
            .find(|x| x.name == name && x.schema == schema && x.user == user)
            .map(|x| x.statement.clone())
    });
    if let Some(st) = found {
        return Ok(st);
    }
    let text = sql(&schema);
    let st = Rc::new(Spi::connect_mut(|c| {
        c.prepare_mut(&*text, types).map(|p| p.keep())
    })?);
    NAMED.with(|n| {
        let mut n = n.borrow_mut();
        n.retain(|x| x.name != name);
        n.push(Named {
            name,
            schema,
            user,
            statement: st.clone(),
        });
    });
    Ok(st)
}

/// The queue rows of one write: one per chunk and model being searched or built, passed as
/// parallel arrays to one INSERT ... SELECT unnest(...), unnest(...), ... The arrays are built
/// straight from the payloads' results, without copying each value first.
#[derive(Default)]
pub struct QueueColumns {
    /// The models rows are queued for (each chunk once per model).
    models: Vec<String>,
    payloads: Vec<QueuedPayload>,
    rows: Vec<Row>,
}

struct QueuedPayload {
    payload_id: i64,
    prepared: Prepared,
    event_at: Option<String>,
    replaced: bool,
}

/// One queue row: chunk `chunk` of payload `payload`, for model `model` (indexes).
struct Row {
    payload: usize,
    chunk: usize,
    model: usize,
}

impl QueueColumns {
    pub fn for_models(models: Vec<String>) -> Self {
        QueueColumns {
            models,
            ..QueueColumns::default()
        }
    }

    pub fn push(&mut self, payload_id: i64, prepared: Prepared, replaced: bool) {
        let payload = self.payloads.len();
        for model in 0..self.models.len() {
            for chunk in 0..prepared.row.chunks.len() {
                self.rows.push(Row {
                    payload,
                    chunk,
                    model,
                });
            }
        }
        self.payloads.push(QueuedPayload {
            payload_id,
            event_at: prepared
                .row
                .event_time
                .and_then(cxone_core::timestamp::postgres_text),
            prepared,
            replaced,
        });
    }

    pub fn into_args(self, supersede: Vec<String>) -> Vec<DatumWithOid<'static>> {
        use pgrx::pg_sys::{INT4ARRAYOID, INT8ARRAYOID, JSONBARRAYOID, TEXTARRAYOID};
        let of = |r: &Row| &self.payloads[r.payload];
        let rows = &self.rows;
        let payload_ids: Vec<i64> = rows.iter().map(|r| of(r).payload_id).collect();
        let chunks: Vec<i32> = rows.iter().map(|r| r.chunk as i32).collect();
        let text = |d| unsafe { DatumWithOid::new(d, TEXTARRAYOID) };
        // SAFETY: called inside the SPI connection, whose memory context holds the arrays
        // until the statement has run.
        unsafe {
            vec![
                text(pg_array::text(&supersede, |s| Some(s.as_str()))),
                text(pg_array::text(rows, |r| {
                    Some(of(r).prepared.row.source_system.as_str())
                })),
                text(pg_array::text(rows, |r| {
                    Some(of(r).prepared.row.conversation_id.as_str())
                })),
                text(pg_array::text(rows, |r| {
                    Some(of(r).prepared.row.chunks[r.chunk].as_str())
                })),
                text(pg_array::text(rows, |r| match &of(r).prepared.metadata {
                    Metadata::Text(t) => Some(t.as_str()),
                    Metadata::Jsonb(_) => None,
                })),
                DatumWithOid::new(pg_array::int8(&payload_ids), INT8ARRAYOID),
                DatumWithOid::new(pg_array::int4(&chunks), INT4ARRAYOID),
                text(pg_array::text(rows, |r| of(r).event_at.as_deref())),
                text(pg_array::text(rows, |r| {
                    Some(self.models[r.model].as_str())
                })),
                text(pg_array::text(rows, |r| {
                    Some(if of(r).replaced {
                        RowStatus::Superseded.as_str()
                    } else {
                        RowStatus::Pending.as_str()
                    })
                })),
                DatumWithOid::new(
                    pg_array::varlenas(pg_sys::JSONBOID, rows, |r| {
                        match &of(r).prepared.metadata {
                            Metadata::Jsonb(b) => Some(pg_array::Element::Varlena(b)),
                            Metadata::Text(_) => None,
                        }
                    }),
                    JSONBARRAYOID,
                ),
            ]
        }
    }
}

/// The statements a flush runs, prepared once per backend (and per extension schema and role:
/// the flush runs as the extension's owner, and nothing prepared for another role is used).
pub struct Plans {
    schema: Rc<str>,
    user: pg_sys::Oid,
    pub claim_keys: OwnedPreparedStatement,
    pub originals: OwnedPreparedStatement,
    pub known: OwnedPreparedStatement,
    pub models: OwnedPreparedStatement,
    pub write: OwnedPreparedStatement,
    pub notify: OwnedPreparedStatement,
}

pub fn plans() -> Result<Rc<Plans>, SpiError> {
    let schema = config::schema();
    // SAFETY: reads the current user id of the backend.
    let user = unsafe { pg_sys::GetUserId() };
    if let Some(p) = PLANS
        .with(|p| p.borrow().clone())
        .filter(|p| p.schema == schema && p.user == user)
    {
        return Ok(p);
    }
    use pgrx::pg_sys::BuiltinOid::*;
    let t = |o| PgOid::BuiltIn(o);
    let s = &*schema;
    let p = Spi::connect(|c: &SpiClient<'_>| {
        Ok::<_, SpiError>(Plans {
            schema: schema.clone(),
            user,
            claim_keys: c
                .prepare_mut(
                    &*format!(
                        "INSERT INTO {s}._cxone_event_keys (event_key, payload_id)
                         SELECT k, p FROM unnest($1::pg_catalog.text[], $2::pg_catalog.int8[]) WITH ORDINALITY AS t(k, p, n) ORDER BY n
                         ON CONFLICT (event_key) DO NOTHING RETURNING event_key"
                    ),
                    &[t(TEXTARRAYOID), t(INT8ARRAYOID)],
                )?
                .keep(),
            originals: c
                .prepare(
                    &*format!("SELECT event_key, payload_id FROM {s}._cxone_event_keys WHERE event_key = ANY ($1::pg_catalog.text[])"),
                    &[t(TEXTARRAYOID)],
                )?
                .keep(),
            known: c.prepare(&*known_sql(s), &[t(TEXTARRAYOID)])?.keep(),
            models: c
                .prepare(
                    &*format!("SELECT model FROM {s}.cxone_models WHERE state IN ('active', 'building') ORDER BY model"),
                    &[],
                )?
                .keep(),
            write: c
                .prepare_mut(
                    &*write_sql(s),
                    &[
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(INT8ARRAYOID),
                        t(INT4ARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(TEXTARRAYOID),
                        t(JSONBARRAYOID),
                    ],
                )?
                .keep(),
            notify: c
                .prepare_mut(&*format!("SELECT pg_catalog.pg_notify('{NOTIFY_CHANNEL}', '')"), &[])?
                .keep(),
        })
    })?;
    let p = Rc::new(p);
    PLANS.with(|slot| *slot.borrow_mut() = Some(p.clone()));
    Ok(p)
}

/// Per conversation, the newest row (event time in microseconds, payload) among embedded rows
/// and among pending or failed ones; superseded rows do not count.
fn known_sql(s: &str) -> String {
    format!(
        "SELECT DISTINCT ON (conversation_id, open) conversation_id, open, t, payload_id
           FROM (SELECT conversation_id, status IN ('pending', 'failed') AS open, payload_id,
                        (extract(epoch FROM event_at) * 1000000)::pg_catalog.int8 AS t
                   FROM {s}.conversation_embeddings
                  WHERE conversation_id = ANY ($1::pg_catalog.text[]) AND status <> 'superseded') AS x
          ORDER BY conversation_id, open, t DESC NULLS LAST"
    )
}

/// Supersedes the listed conversations' rows that were never embedded, and queues the new
/// text once per model being searched or built (the rows come as parallel arrays, one element
/// per chunk and model; set-returning functions in the select list stream them, where
/// `FROM unnest(...)` would first copy them all into a tuplestore). Metadata comes as `jsonb`
/// (`$11`) or, where the encoder left it to `jsonb_in`, as text (`$5`).
fn write_sql(s: &str) -> String {
    format!(
        "WITH old AS (
            UPDATE {s}.conversation_embeddings SET status = 'superseded', lease_until = NULL, leased_by = NULL
             WHERE conversation_id = ANY ($1::pg_catalog.text[]) AND status IN ('pending', 'failed')
            RETURNING 1)
         INSERT INTO {s}.conversation_embeddings
                (source_system, conversation_id, text_content, semantic_metadata, payload_id, chunk_index, event_at, target_model, status)
         SELECT q.src, q.conv, q.chunk, COALESCE(q.metab, q.meta::jsonb), q.pid, q.idx, q.at::timestamptz, q.model, q.status
           FROM (SELECT unnest($2::pg_catalog.text[]) AS src, unnest($3::pg_catalog.text[]) AS conv,
                        unnest($4::pg_catalog.text[]) AS chunk, unnest($5::pg_catalog.text[]) AS meta,
                        unnest($6::pg_catalog.int8[]) AS pid, unnest($7::pg_catalog.int4[]) AS idx,
                        unnest($8::pg_catalog.text[]) AS at, unnest($9::pg_catalog.text[]) AS model,
                        unnest($10::pg_catalog.text[]) AS status, unnest($11::pg_catalog.jsonb[]) AS metab) AS q"
    )
}
