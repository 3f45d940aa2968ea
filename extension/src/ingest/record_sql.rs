//! The SQL of recording ([`crate::ingest::record`]): the statements that write a statement's
//! message versions and conversations as parallel arrays, each in key order (the lock order),
//! and their arguments.

use cxone_core::messages::Message;
use cxone_core::timestamp::postgres_text as pg_time;
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::PgOid;

/// One message version to write, with the payload that brought it.
pub struct Write<'a> {
    pub payload: i64,
    pub message: &'a Message,
    pub edited: bool,
}

/// The message rows of `cxone_messages` from parallel arrays, in key order (the lock order);
/// the caller adds ON CONFLICT.
pub fn insert_sql(s: &str) -> String {
    format!(
        "INSERT INTO {s}.cxone_messages AS t
                (conversation_id, message_id, payload_id, speaker, body, created_at, removed, version_at, facts, edited)
         SELECT u.conv, u.id, u.pid, u.speaker, u.body, u.created::pg_catalog.timestamptz, u.removed,
                u.version::pg_catalog.timestamptz, u.facts::pg_catalog.jsonb, u.edited
           FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[], $3::pg_catalog.int8[], $4::pg_catalog.text[],
                       $5::pg_catalog.text[], $6::pg_catalog.text[], $7::pg_catalog.text[], $8::pg_catalog.text[],
                       $9::pg_catalog.text[], $10::pg_catalog.bool[])
                AS u(conv, id, pid, speaker, body, created, removed, version, facts, edited)
          ORDER BY u.conv, u.id"
    )
}

pub fn message_args(list: &[&Write<'_>]) -> Vec<DatumWithOid<'static>> {
    let text = |f: &dyn Fn(&Message) -> Option<String>| -> Vec<Option<String>> {
        list.iter().map(|w| f(w.message)).collect()
    };
    vec![
        text(&|m| Some(m.conversation_id.clone())).into(),
        text(&|m| Some(m.id.clone())).into(),
        list.iter().map(|w| w.payload).collect::<Vec<i64>>().into(),
        text(&|m| Some(m.speaker.as_str().to_string())).into(),
        text(&|m| Some(m.text.replace('\0', ""))).into(),
        text(&|m| m.created_at.and_then(pg_time)).into(),
        text(&|m| m.removed.clone()).into(),
        text(&|m| m.version_at.and_then(pg_time)).into(),
        text(&|m| serde_json::to_string(&m.facts).ok()).into(),
        list.iter().map(|w| w.edited).collect::<Vec<bool>>().into(),
    ]
}

pub fn originals_sql(s: &str) -> String {
    format!(
        "SELECT m.conversation_id, m.message_id, m.payload_id FROM {s}.cxone_messages m
           JOIN unnest($1::pg_catalog.text[], $2::pg_catalog.text[]) AS u(conv, id)
             ON m.conversation_id OPERATOR(pg_catalog.=) u.conv AND m.message_id OPERATOR(pg_catalog.=) u.id"
    )
}

pub fn message_types() -> [PgOid; 10] {
    use pg_sys::BuiltinOid::{BOOLARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
    let t = PgOid::BuiltIn;
    [
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(INT8ARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(BOOLARRAYOID),
    ]
}

/// The statement's message versions, written in key order: a first sight inserts, an edit
/// (update or erasure) replaces an older version; returns the rows it wrote.
pub fn messages_sql(s: &str) -> String {
    format!(
        "{} ON CONFLICT (conversation_id, message_id) DO UPDATE
                SET payload_id = EXCLUDED.payload_id, body = EXCLUDED.body,
                    -- an erased message keeps who wrote it
                    speaker = CASE WHEN EXCLUDED.removed IS NULL THEN EXCLUDED.speaker ELSE t.speaker END,
                    facts = CASE WHEN EXCLUDED.removed IS NULL THEN EXCLUDED.facts ELSE t.facts END,
                    created_at = COALESCE(EXCLUDED.created_at, t.created_at), removed = EXCLUDED.removed,
                    version_at = EXCLUDED.version_at, edited = true, recorded_at = pg_catalog.now()
              WHERE EXCLUDED.edited
                AND (EXCLUDED.removed IS NOT NULL
                     OR (t.removed IS NULL AND (t.version_at IS NULL OR EXCLUDED.version_at IS NULL
                                                OR EXCLUDED.version_at >= t.version_at)))
            RETURNING conversation_id, message_id, removed IS NOT NULL",
        insert_sql(s)
    )
}

/// The statement's conversations, upserted in conversation order.
pub fn conversations_sql(s: &str) -> String {
    // last_payload_id is this statement's: each assembly's rows carry their own payload id, so
    // the sidecar's write-back supersedes every earlier one (statements may commit out of id
    // order, and GREATEST would let two assemblies share an id). `newer`: the statement's case
    // facts are at least as new as the stored ones. `moved`: a message changed
    // (messages_payload_id is set only then), or the case's status did.
    let newer =
        "(c.status_at IS NULL OR EXCLUDED.status_at IS NULL OR EXCLUDED.status_at >= c.status_at)";
    let moved = format!(
        "(EXCLUDED.messages_payload_id IS NOT NULL
          OR ({newer} AND EXCLUDED.status IS NOT NULL AND EXCLUDED.status IS DISTINCT FROM c.status))"
    );
    format!(
        "INSERT INTO {s}.cxone_conversations AS c
                (conversation_id, source_system, mapping, status, status_at, facts, last_payload_id,
                 messages_payload_id, erased, changed_at, pending_since)
         SELECT u.conv, $8, $9, u.status, u.status_at::pg_catalog.timestamptz, COALESCE(u.facts::pg_catalog.jsonb, '{{}}'),
                u.pid, CASE WHEN u.content THEN u.pid END, u.erased, pg_catalog.now(),
                CASE WHEN u.content OR u.status IS NOT NULL THEN pg_catalog.now() END
           FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[], $3::pg_catalog.text[], $4::pg_catalog.text[],
                       $5::pg_catalog.int8[], $6::pg_catalog.bool[], $7::pg_catalog.bool[])
                AS u(conv, status, status_at, facts, pid, content, erased)
          ORDER BY u.conv
         ON CONFLICT (conversation_id) DO UPDATE SET
                status = CASE WHEN {newer} THEN COALESCE(EXCLUDED.status, c.status) ELSE c.status END,
                facts = CASE WHEN {newer} THEN c.facts OPERATOR(pg_catalog.||) EXCLUDED.facts
                             ELSE EXCLUDED.facts OPERATOR(pg_catalog.||) c.facts END,
                status_at = GREATEST(c.status_at, EXCLUDED.status_at),
                last_payload_id = CASE WHEN {moved} THEN EXCLUDED.last_payload_id ELSE c.last_payload_id END,
                messages_payload_id = COALESCE(EXCLUDED.messages_payload_id, c.messages_payload_id),
                mapping = CASE WHEN {moved} THEN EXCLUDED.mapping ELSE c.mapping END,
                erased = c.erased OR EXCLUDED.erased,
                changed_at = CASE WHEN {moved} THEN pg_catalog.now() ELSE c.changed_at END,
                pending_since = CASE WHEN {moved} THEN COALESCE(c.pending_since, pg_catalog.now()) ELSE c.pending_since END
         RETURNING conversation_id, status, erased, pending_since IS NOT NULL"
    )
}
