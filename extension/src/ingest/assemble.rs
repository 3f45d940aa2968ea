//! Where messages become conversations in the database: the recorded messages of due
//! conversations are read in order, assembled by `cxone_core::conversation`, tagged, redacted
//! and chunked like any payload (`cxone_core::ingest::finish`), and queued, superseding the
//! conversation's earlier text once the new one is embedded. A conversation that lost a message
//! to erasure has every earlier row deleted at once (text, chunks and vectors).
//!
//! Two clocks make a conversation due: its case reaching a closing status (or an erasure), in
//! the statement that records it ([`crate::ingest::record`]); and quiet time, for which
//! `cxone_assemble_due()` is called, by the sidecar on every poll (or by pg_cron, or by hand).

use crate::error::IngestError;
use crate::ingest::helper::encoded;
use crate::ingest::statements::{plans, prepared, text_array, Plans, QueueColumns};
use cxone_core::conversation::{assemble as assemble_messages, MessageRules, Recorded};
use cxone_core::ingest::{finish, IngestConfig, Mapped};
use cxone_core::messages::Speaker;
use cxone_core::timestamp::parse_timestamp;
use pgrx::prelude::*;
use pgrx::spi::SpiError;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A `jsonb` object column as a map (facts are always objects; anything else is none).
fn object(v: Option<pgrx::JsonB>) -> Map<String, Value> {
    match v {
        Some(pgrx::JsonB(Value::Object(m))) => m,
        _ => Map::new(),
    }
}

/// What assembly reads of a conversation's row.
struct Head {
    conversation: String,
    facts: Map<String, Value>,
    last_payload: i64,
    erased: bool,
    mapping: String,
}

/// Assembles and queues `conversations` (locked by the caller, sorted); returns whether any
/// row was queued. A conversation with no recorded message (case events only) is left as it
/// is; one whose messages hold no text any more (all erased) loses its rows.
pub fn assemble(plans: &Plans, conversations: Vec<String>) -> Result<bool, SpiError> {
    let heads_st = prepared("assemble_heads", heads_sql, &[text_array()])?;
    let messages_st = prepared("assemble_messages", messages_sql, &[text_array()])?;
    let delete_st = prepared("assemble_delete", delete_sql, &[text_array()])?;
    let done_st = prepared("assemble_done", done_sql, &[text_array()])?;
    // Fresh snapshots (update, not select): a session that waited for this conversation's row
    // must see the messages the other session committed meanwhile.
    let mut heads: Vec<Head> = Vec::new();
    Spi::connect_mut(|c| {
        for row in c.update(&*heads_st, None, &[conversations.clone().into()])? {
            let facts = object(row.get::<pgrx::JsonB>(2)?);
            heads.push(Head {
                conversation: row.get::<String>(1)?.unwrap_or_default(),
                facts,
                last_payload: row.get::<i64>(3)?.unwrap_or_default(),
                erased: row.get::<bool>(4)?.unwrap_or(false),
                mapping: row.get::<String>(5)?.unwrap_or_default(),
            });
        }
        Ok::<_, SpiError>(())
    })?;
    // Each conversation with the mapping its messages were recorded under; one whose mapping
    // is gone with the session's, so it is still queued; with neither, it stays pending.
    let mut configs: HashMap<String, (Arc<IngestConfig>, MessageRules)> = HashMap::new();
    for Head { mapping: name, .. } in &heads {
        if configs.contains_key(name) {
            continue;
        }
        let cfg = crate::config::ingest_config_named(name)
            .or_else(|_| crate::config::ingest_config())
            .ok();
        if let Some(cfg) = cfg {
            let rules = cfg.mapping.messages.clone().unwrap_or_default();
            configs.insert(name.clone(), (cfg, rules));
        }
    }
    Spi::connect_mut(|c| {
        let mut messages: HashMap<String, Vec<Recorded>> = HashMap::new();
        for row in c.update(&*messages_st, None, &[conversations.clone().into()])? {
            let facts = object(row.get::<pgrx::JsonB>(6)?);
            let speaker = row
                .get::<String>(2)?
                .and_then(|s| Speaker::parse(&s))
                .unwrap_or(Speaker::Customer);
            messages
                .entry(row.get::<String>(1)?.unwrap_or_default())
                .or_default()
                .push(Recorded {
                    speaker,
                    text: row.get::<String>(3)?.unwrap_or_default(),
                    created_at: row.get::<String>(4)?,
                    removed: row.get::<bool>(5)?.unwrap_or(false),
                    facts,
                });
        }
        let mut models = Vec::new();
        for row in c.select(&plans.models, None, &[])? {
            models.extend(row.get::<String>(1)?);
        }
        let mut cols = QueueColumns::for_models(models);
        // Conversations whose earlier rows go at once (erasure; or no text left), and those
        // whose new text is queued (their earlier pending rows are superseded by it).
        let mut delete = Vec::new();
        let mut queued = Vec::new();
        let mut processed = Vec::new();
        for Head {
            conversation: conv,
            facts,
            last_payload,
            erased: was_erased,
            mapping,
        } in heads
        {
            let Some((cfg, rules)) = configs.get(&mapping) else {
                continue;
            };
            processed.push(conv.clone());
            // Case events alone (no message recorded yet) leave whatever the conversation has.
            let Some(msgs) = messages.remove(&conv) else {
                continue;
            };
            let rendered = assemble_messages(&msgs, &facts, rules, &cfg.limits);
            if was_erased || rendered.text.is_empty() {
                delete.push(conv.clone());
            }
            if rendered.text.is_empty() {
                continue;
            }
            queued.push(conv.clone());
            let event_time = msgs
                .iter()
                .rev()
                .find_map(|m| m.created_at.as_deref().and_then(parse_timestamp));
            let mapped = Mapped {
                conversation_id: conv,
                rendered,
                event_time,
            };
            cols.push(last_payload, encoded(finish(mapped, cfg)), false);
        }
        if !delete.is_empty() {
            c.update(&*delete_st, None, &[delete.into()])?;
        }
        let any = !queued.is_empty();
        if any {
            let args = cols.into_args(queued);
            c.update(&plans.write, None, &args)?;
        }
        c.update(&*done_st, None, &[processed.into()])?;
        Ok(any)
    })
}

/// The conversations' facts and provenance.
fn heads_sql(s: &str) -> String {
    format!(
            "SELECT conversation_id, facts, last_payload_id, erased, mapping FROM {s}.cxone_conversations
              WHERE conversation_id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]) ORDER BY conversation_id"
        )
}

/// Their messages, in conversation order (`createdAtWithMilliseconds`, else `createdAt`, then id).
fn messages_sql(s: &str) -> String {
    format!(
            "SELECT conversation_id, speaker, body,
                    pg_catalog.to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    removed IS NOT NULL, facts
               FROM {s}.cxone_messages
              WHERE conversation_id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])
              ORDER BY conversation_id, created_at, message_id"
        )
}

/// Every earlier row of conversations that lost text to erasure (or have none left).
fn delete_sql(s: &str) -> String {
    format!(
                "DELETE FROM {s}.conversation_embeddings WHERE conversation_id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])"
            )
}

/// Assembled: nothing pending any more.
fn done_sql(s: &str) -> String {
    format!(
            "UPDATE {s}.cxone_conversations SET pending_since = NULL, erased = false, assembled_at = pg_catalog.now()
              WHERE conversation_id OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])"
        )
}

/// Assembles the conversations that are due and not being assembled elsewhere: those quiet for
/// their mapping's `quiet_seconds` (and any closing or erased one left pending), oldest change
/// first, at most `max_conversations`. Returns how many were assembled. The sidecar calls it on
/// every poll; pg_cron or a person can too.
#[pg_extern(volatile, parallel_unsafe)]
fn cxone_assemble_due(max_conversations: default!(i32, 1000)) -> Result<i64, IngestError> {
    // Each conversation's quiet time and closing statuses are its own mapping's; these are for
    // a conversation whose mapping is gone.
    let rules = crate::config::ingest_config()
        .ok()
        .and_then(|cfg| cfg.mapping.messages.clone())
        .unwrap_or_default();
    let s = crate::config::schema();
    let sql = format!(
        "SELECT c.conversation_id FROM {s}.cxone_conversations c
           LEFT JOIN {s}.cxone_mappings m ON m.name OPERATOR(pg_catalog.=) c.mapping
          WHERE c.pending_since IS NOT NULL
            AND (c.erased
                 OR c.changed_at <= pg_catalog.now() - pg_catalog.make_interval(secs => COALESCE(
                        (m.mapping OPERATOR(pg_catalog.#>>) '{{messages,quiet_seconds}}')::pg_catalog.float8, $1))
                 OR pg_catalog.lower(c.status) IN (
                        SELECT pg_catalog.lower(x) FROM pg_catalog.jsonb_array_elements_text(COALESCE(
                            m.mapping OPERATOR(pg_catalog.#>) '{{messages,closing_statuses}}', $2::pg_catalog.jsonb)) AS x))
          ORDER BY c.changed_at LIMIT $3
            FOR UPDATE OF c SKIP LOCKED"
    );
    let due: Vec<String> = Spi::connect_mut(|c| {
        let closing =
            serde_json::to_string(&rules.closing_statuses).unwrap_or_else(|_| "[]".into());
        let args = [
            f64::from(rules.quiet_seconds).into(),
            closing.into(),
            i64::from(max_conversations.max(0)).into(),
        ];
        let mut out = Vec::new();
        for row in c.update(&sql, None, &args)? {
            out.extend(row.get::<String>(1)?);
        }
        Ok::<_, SpiError>(out)
    })?;
    if due.is_empty() {
        return Ok(0);
    }
    let n = due.len() as i64;
    let mut due = due;
    due.sort_unstable();
    let plans = plans()?;
    if assemble(&plans, due)? {
        Spi::connect_mut(|c| c.update(&plans.notify, None, &[]).map(|_| ()))?;
    }
    Ok(n)
}
