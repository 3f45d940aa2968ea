//! Where messages are recorded: at the end of a statement, the message and case events the row
//! trigger read ([`crate::ingest_trigger`]) go into `cxone_messages` (each message once by its
//! id; an update replaces the text, an erasure removes it for good) and `cxone_conversations`
//! (the case's status and facts, and that it changed). Conversations whose case is closing, or
//! that lost a message to erasure, are assembled at once ([`crate::assemble`]); the others when
//! they have been quiet long enough (`cxone_assemble_due`).
//!
//! Row locks are taken in conversation order, so two statements with the same conversations
//! wait for each other instead of deadlocking; the conversation row is written after the
//! messages and before assembly reads them, so of two sessions adding messages to one
//! conversation at once, the second to commit assembles both.

use crate::ingest_flush::Outcome;
use crate::ingest_statements::Plans;
use crate::ingest_trigger::IngestError;
use cxone_core::messages::{Event, Message};
use pgrx::prelude::*;
use pgrx::spi::SpiError;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One conversation's changes in this statement.
#[derive(Default)]
struct Changed {
    status: Option<(String, Option<i64>)>,
    status_at: Option<String>,
    facts: Map<String, Value>,
    facts_at: Option<i64>,
    last_payload: i64,
    erased: bool,
}

/// Records the statement's events; returns whether anything was queued (to notify).
pub fn record(
    plans: &Plans,
    events: Vec<(i64, Event)>,
    outcomes: &mut Vec<Outcome>,
) -> Result<bool, IngestError> {
    let cfg = crate::config::ingest_config().map_err(IngestError::Config)?;
    let rules = cfg.mapping.messages.clone().unwrap_or_default();
    let s = crate::config::schema();
    // Adds in arrival order, the first of each message kept; updates folded to the newest.
    let mut adds: Vec<(i64, &Message)> = Vec::new();
    let mut first_add: HashMap<(&str, &str), i64> = HashMap::new();
    let mut updates: BTreeMap<(&str, &str), (i64, &Message)> = BTreeMap::new();
    let mut changed: BTreeMap<String, Changed> = BTreeMap::new();
    // Per payload: (its messages, how many are repeats of messages recorded before).
    let mut repeats: HashMap<i64, (usize, Vec<String>)> = HashMap::new();
    for (pid, ev) in &events {
        if let Some(c) = &ev.case {
            let ch = changed.entry(c.conversation_id.clone()).or_default();
            fold_case(ch, c, *pid);
        }
        for m in &ev.messages {
            let key = (m.conversation_id.as_str(), m.id.as_str());
            if m.update || m.removed.is_some() {
                let newer = updates.get(&key).is_none_or(|(_, old)| supersedes(m, old));
                if newer {
                    updates.insert(key, (*pid, m));
                }
            } else if let Some(original) = first_add.get(&key) {
                let r = repeats.entry(*pid).or_default();
                r.1.push(format!(
                    "message {} of conversation {} is already recorded (payload {original})",
                    m.id, m.conversation_id
                ));
            } else {
                first_add.insert(key, *pid);
                adds.push((*pid, m));
            }
            repeats.entry(*pid).or_default().0 += 1;
        }
    }
    let mut touched: Vec<(String, i64, bool)> = Vec::new();
    Spi::connect_mut(|c| {
        if !adds.is_empty() {
            adds.sort_by(|a, b| {
                (&a.1.conversation_id, &a.1.id).cmp(&(&b.1.conversation_id, &b.1.id))
            });
            let sql = format!("{} ON CONFLICT (conversation_id, message_id) DO NOTHING RETURNING conversation_id, message_id", insert_sql(&s));
            let mut new: HashSet<(String, String)> = HashSet::new();
            for row in c.update(&sql, None, &message_args(&adds))? {
                new.insert((
                    row.get::<String>(1)?.unwrap_or_default(),
                    row.get::<String>(2)?.unwrap_or_default(),
                ));
            }
            let old: Vec<&(i64, &Message)> = adds
                .iter()
                .filter(|(_, m)| !new.contains(&(m.conversation_id.clone(), m.id.clone())))
                .collect();
            let originals = originals(c, &s, &old)?;
            for (pid, m) in &adds {
                let key = (m.conversation_id.clone(), m.id.clone());
                if new.contains(&key) {
                    touched.push((m.conversation_id.clone(), *pid, false));
                } else {
                    let by = originals
                        .get(&key)
                        .map_or(String::new(), |p| format!(" (payload {p})"));
                    repeats.entry(*pid).or_default().1.push(format!(
                        "message {} of conversation {} is already recorded{by}",
                        m.id, m.conversation_id
                    ));
                }
            }
        }
        if !updates.is_empty() {
            let list: Vec<(i64, &Message)> = updates.values().copied().collect();
            let sql = format!(
                "{} ON CONFLICT (conversation_id, message_id) DO UPDATE
                    SET payload_id = EXCLUDED.payload_id, speaker = EXCLUDED.speaker, body = EXCLUDED.body,
                        created_at = COALESCE(EXCLUDED.created_at, t.created_at), removed = EXCLUDED.removed,
                        version_at = EXCLUDED.version_at, facts = EXCLUDED.facts, recorded_at = pg_catalog.now()
                  WHERE EXCLUDED.removed IS NOT NULL
                     OR (t.removed IS NULL AND (t.version_at IS NULL OR EXCLUDED.version_at IS NULL
                                                OR EXCLUDED.version_at >= t.version_at))
                RETURNING conversation_id, message_id, removed IS NOT NULL",
                insert_sql(&s)
            );
            let mut applied: HashMap<(String, String), bool> = HashMap::new();
            for row in c.update(&sql, None, &message_args(&list))? {
                let key = (
                    row.get::<String>(1)?.unwrap_or_default(),
                    row.get::<String>(2)?.unwrap_or_default(),
                );
                applied.insert(key, row.get::<bool>(3)?.unwrap_or(false));
            }
            for (pid, m) in list {
                match applied.get(&(m.conversation_id.clone(), m.id.clone())) {
                    Some(&erased) => touched.push((m.conversation_id.clone(), pid, erased)),
                    None => repeats.entry(pid).or_default().1.push(format!(
                        "message {} of conversation {} has a newer version recorded, or its content was removed",
                        m.id, m.conversation_id
                    )),
                }
            }
        }
        Ok::<_, SpiError>(())
    })?;
    for (conv, pid, erased) in touched {
        let ch = changed.entry(conv).or_default();
        ch.last_payload = ch.last_payload.max(pid);
        ch.erased |= erased;
    }
    // A payload all of whose messages were recorded before is a duplicate (or stale update).
    for (pid, (count, why)) in repeats {
        if count > 0 && why.len() == count {
            let outcome = if why[0].contains("newer version") {
                "skipped"
            } else {
                "duplicate"
            };
            outcomes.push((pid, outcome, why.join("; ")));
        }
    }
    if changed.is_empty() {
        return Ok(false);
    }
    let due = upsert_conversations(&s, &cfg.mapping.source_system, changed, |status, erased| {
        erased || rules.is_closing(status)
    })?;
    if due.is_empty() {
        return Ok(false);
    }
    crate::assemble::assemble(plans, &cfg, &rules, due).map_err(IngestError::from)
}

/// Whether message version `m` replaces `old`: an erasure always does; otherwise the newer.
fn supersedes(m: &Message, old: &Message) -> bool {
    match (m.removed.is_some(), old.removed.is_some()) {
        (true, _) => true,
        (false, true) => false,
        _ => m.version_at >= old.version_at,
    }
}

fn fold_case(ch: &mut Changed, c: &cxone_core::messages::Case, pid: i64) {
    let at = c.status_at.map(|t| t.timestamp_micros());
    if ch.facts_at.is_none() || at >= ch.facts_at {
        ch.facts.extend(c.facts.clone());
        ch.facts_at = at;
        if let Some(s) = &c.status {
            ch.status = Some((s.clone(), at));
            ch.status_at = c.status_at.map(|t| t.to_rfc3339());
        }
    }
    ch.last_payload = ch.last_payload.max(pid);
}

/// The message rows of `cxone_messages` from parallel arrays; the caller adds ON CONFLICT.
fn insert_sql(s: &str) -> String {
    format!(
        "INSERT INTO {s}.cxone_messages AS t
                (conversation_id, message_id, payload_id, speaker, body, created_at, removed, version_at, facts)
         SELECT u.conv, u.id, u.pid, u.speaker, u.body, u.created::pg_catalog.timestamptz, u.removed,
                u.version::pg_catalog.timestamptz, u.facts::pg_catalog.jsonb
           FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[], $3::pg_catalog.int8[], $4::pg_catalog.text[],
                       $5::pg_catalog.text[], $6::pg_catalog.text[], $7::pg_catalog.text[], $8::pg_catalog.text[],
                       $9::pg_catalog.text[]) AS u(conv, id, pid, speaker, body, created, removed, version, facts)
          ORDER BY u.conv, u.id"
    )
}

fn message_args(list: &[(i64, &Message)]) -> Vec<pgrx::datum::DatumWithOid<'static>> {
    let text = |f: &dyn Fn(&Message) -> Option<String>| -> Vec<Option<String>> {
        list.iter().map(|(_, m)| f(m)).collect()
    };
    vec![
        text(&|m| Some(m.conversation_id.clone())).into(),
        text(&|m| Some(m.id.clone())).into(),
        list.iter().map(|(p, _)| *p).collect::<Vec<i64>>().into(),
        text(&|m| Some(m.speaker.as_str().to_string())).into(),
        text(&|m| Some(m.text.replace('\0', ""))).into(),
        text(&|m| m.created_at.map(|t| t.to_rfc3339())).into(),
        text(&|m| m.removed.clone()).into(),
        text(&|m| m.version_at.map(|t| t.to_rfc3339())).into(),
        text(&|m| serde_json::to_string(&m.facts).ok()).into(),
    ]
}

/// The payloads that first recorded the given messages.
fn originals(
    c: &mut pgrx::spi::SpiClient<'_>,
    s: &str,
    list: &[&(i64, &Message)],
) -> Result<HashMap<(String, String), i64>, SpiError> {
    let mut out = HashMap::new();
    if list.is_empty() {
        return Ok(out);
    }
    let convs: Vec<String> = list
        .iter()
        .map(|(_, m)| m.conversation_id.clone())
        .collect();
    let ids: Vec<String> = list.iter().map(|(_, m)| m.id.clone()).collect();
    let sql = format!(
        "SELECT m.conversation_id, m.message_id, m.payload_id FROM {s}.cxone_messages m
           JOIN unnest($1::pg_catalog.text[], $2::pg_catalog.text[]) AS u(conv, id)
             ON m.conversation_id OPERATOR(pg_catalog.=) u.conv AND m.message_id OPERATOR(pg_catalog.=) u.id"
    );
    for row in c.update(&sql, None, &[convs.into(), ids.into()])? {
        let key = (
            row.get::<String>(1)?.unwrap_or_default(),
            row.get::<String>(2)?.unwrap_or_default(),
        );
        out.insert(key, row.get::<i64>(3)?.unwrap_or_default());
    }
    Ok(out)
}

/// Writes the changed conversations; returns those `due` now, in conversation order.
fn upsert_conversations(
    s: &str,
    source: &str,
    changed: BTreeMap<String, Changed>,
    due: impl Fn(Option<&str>, bool) -> bool,
) -> Result<Vec<String>, SpiError> {
    let n = changed.len();
    let (mut convs, mut statuses, mut status_at, mut facts, mut pids, mut erased) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for (conv, ch) in changed {
        convs.push(conv);
        statuses.push(ch.status.map(|s| s.0));
        status_at.push(ch.status_at);
        facts.push(serde_json::to_string(&ch.facts).ok());
        pids.push(ch.last_payload);
        erased.push(ch.erased);
    }
    let sql = format!(
        "INSERT INTO {s}.cxone_conversations AS c
                (conversation_id, source_system, status, status_at, facts, last_payload_id, erased, changed_at, pending_since)
         SELECT u.conv, $7, u.status, u.status_at::pg_catalog.timestamptz, COALESCE(u.facts::pg_catalog.jsonb, '{{}}'),
                u.pid, u.erased, pg_catalog.now(), pg_catalog.now()
           FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[], $3::pg_catalog.text[], $4::pg_catalog.text[],
                       $5::pg_catalog.int8[], $6::pg_catalog.bool[]) AS u(conv, status, status_at, facts, pid, erased)
          ORDER BY u.conv
         ON CONFLICT (conversation_id) DO UPDATE SET
                status = CASE WHEN EXCLUDED.status IS NOT NULL AND (c.status_at IS NULL OR EXCLUDED.status_at IS NULL
                                   OR EXCLUDED.status_at >= c.status_at) THEN EXCLUDED.status ELSE c.status END,
                facts = CASE WHEN c.status_at IS NULL OR EXCLUDED.status_at IS NULL OR EXCLUDED.status_at >= c.status_at
                             THEN c.facts OPERATOR(pg_catalog.||) EXCLUDED.facts
                             ELSE EXCLUDED.facts OPERATOR(pg_catalog.||) c.facts END,
                status_at = GREATEST(c.status_at, EXCLUDED.status_at),
                last_payload_id = GREATEST(c.last_payload_id, EXCLUDED.last_payload_id),
                erased = c.erased OR EXCLUDED.erased,
                changed_at = pg_catalog.now(),
                pending_since = COALESCE(c.pending_since, pg_catalog.now())
         RETURNING conversation_id, status, erased"
    );
    Spi::connect_mut(|c| {
        let mut out = Vec::new();
        let args = [
            convs.into(),
            statuses.into(),
            status_at.into(),
            facts.into(),
            pids.into(),
            erased.into(),
            source.to_string().into(),
        ];
        for row in c.update(&sql, None, &args)? {
            let conv = row.get::<String>(1)?.unwrap_or_default();
            let status = row.get::<String>(2)?;
            if due(status.as_deref(), row.get::<bool>(3)?.unwrap_or(false)) {
                out.push(conv);
            }
        }
        out.sort_unstable();
        Ok(out)
    })
}
