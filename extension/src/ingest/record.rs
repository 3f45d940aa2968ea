//! Where messages are recorded: at the end of a statement, the message and case events the row
//! trigger read ([`crate::ingest::trigger`]) go into `cxone_messages` (each message once by its
//! id; an update replaces the text, an erasure removes it for good) and `cxone_conversations`
//! (the case's status and facts, and that it changed). Conversations whose case is closing, or
//! that lost a message to erasure, are assembled at once ([`crate::ingest::assemble`]); the others when
//! they have been quiet long enough (`cxone_assemble_due`).
//!
//! Locks are taken in one order, (conversation, message) then conversation, so two statements
//! with the same conversations wait for each other instead of deadlocking; the conversation
//! row is written after the messages and before assembly reads them, so of two sessions adding
//! messages to one conversation at once, the second to commit assembles both.

use crate::error::IngestError;
use crate::ingest::outcome::{Decided, Outcome};
use crate::ingest::record_sql::{
    conversations_sql, message_args, message_types, messages_sql, originals_sql, Write,
};
use crate::ingest::statements::{prepared, text_array, Plans};
use cxone_core::messages::{Case, Event, Message};
use cxone_core::timestamp::postgres_text as pg_time;
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiError};
use pgrx::PgOid;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why one of a payload's messages changed nothing.
enum Repeat {
    /// Already recorded (a second event for the same message): `duplicate`.
    Recorded(String),
    /// An update older than the recorded version, or of erased content: `skipped`.
    Stale(String),
}

/// A case's newest facts in the statement.
#[derive(Default)]
struct CaseFacts {
    status: Option<String>,
    /// When the case said so, in microseconds (to compare) and as PostgreSQL reads it.
    at: Option<i64>,
    at_text: Option<String>,
    facts: Map<String, Value>,
}

/// What one statement says about one conversation.
#[derive(Default)]
struct Changed {
    /// The newest case facts of the statement.
    case: Option<CaseFacts>,
    /// The newest payload that changed it.
    last_payload: i64,
    /// A message was recorded, replaced or erased.
    content: bool,
    erased: bool,
}

/// Records the statement's events; returns whether anything was queued (to notify).
pub fn record(
    plans: &Plans,
    events: Vec<(i64, Event)>,
    outcomes: &mut Vec<Decided>,
) -> Result<bool, IngestError> {
    let cfg = crate::config::ingest_config().map_err(IngestError::Config)?;
    let rules = cfg.mapping.messages.clone().unwrap_or_default();
    // One version per message: the newest update if any, else the first add.
    let mut writes: BTreeMap<(&str, &str), Write<'_>> = BTreeMap::new();
    let mut repeats: HashMap<i64, (usize, Vec<Repeat>)> = HashMap::new();
    for (pid, ev) in &events {
        for m in &ev.messages {
            repeats.entry(*pid).or_default().0 += 1;
            let key = (m.conversation_id.as_str(), m.id.as_str());
            let edited = m.update || m.removed.is_some();
            let this = Write {
                payload: *pid,
                message: m,
                edited,
            };
            let Some(held) = writes.get(&key) else {
                writes.insert(key, this);
                continue;
            };
            let stale = |m: &Message| {
                Repeat::Stale(format!(
                    "a newer version of message {} of conversation {} came in the same statement",
                    m.id, m.conversation_id
                ))
            };
            match (edited, held.edited) {
                // An add, then its edit: the edit carries the whole message; both recorded.
                (true, false) => {
                    writes.insert(key, this);
                }
                (true, true) if supersedes(m, held.message) => {
                    let old = held.payload;
                    let r = stale(held.message);
                    writes.insert(key, this);
                    repeats.entry(old).or_default().1.push(r);
                }
                (true, true) => repeats.entry(*pid).or_default().1.push(stale(m)),
                (false, _) => {
                    let r = Repeat::Recorded(format!(
                        "message {} of conversation {} is already recorded (payload {})",
                        m.id, m.conversation_id, held.payload
                    ));
                    repeats.entry(*pid).or_default().1.push(r);
                }
            }
        }
    }
    let mut applied: HashSet<i64> = HashSet::new();
    let mut changed: BTreeMap<String, Changed> = BTreeMap::new();
    if !writes.is_empty() {
        let list: Vec<&Write<'_>> = writes.values().collect();
        let statement = prepared("record_messages", messages_sql, &message_types())?;
        let originals_statement = prepared(
            "record_originals",
            originals_sql,
            &[text_array(), text_array()],
        )?;
        let mut done: HashMap<(String, String), bool> = HashMap::new();
        let originals = Spi::connect_mut(|c| {
            for row in c.update(&*statement, None, &message_args(&list))? {
                let key = (
                    row.get::<String>(1)?.unwrap_or_default(),
                    row.get::<String>(2)?.unwrap_or_default(),
                );
                done.insert(key, row.get::<bool>(3)?.unwrap_or(false));
            }
            let missed: Vec<&Write<'_>> = list
                .iter()
                .copied()
                .filter(|w| !done.contains_key(&owned_key(w.message)))
                .collect();
            originals(c, &originals_statement, &missed)
        })?;
        for w in list {
            let m = w.message;
            let key = owned_key(m);
            match done.get(&key) {
                Some(&erased) => {
                    applied.insert(w.payload);
                    let ch = changed.entry(m.conversation_id.clone()).or_default();
                    ch.last_payload = ch.last_payload.max(w.payload);
                    ch.content = true;
                    ch.erased |= erased;
                }
                None => {
                    let by = originals.get(&key).copied().unwrap_or_default();
                    let r = if w.edited {
                        Repeat::Stale(format!(
                            "message {} of conversation {} has a newer version recorded (payload {by}), or its content was removed",
                            m.id, m.conversation_id
                        ))
                    } else {
                        Repeat::Recorded(format!(
                            "message {} of conversation {} is already recorded (payload {by})",
                            m.id, m.conversation_id
                        ))
                    };
                    repeats.entry(w.payload).or_default().1.push(r);
                }
            }
        }
    }
    // A payload all of whose messages changed nothing is a duplicate (or a stale update), and
    // its case facts count for nothing either.
    let mut nothing: HashSet<i64> = HashSet::new();
    for (pid, (count, why)) in repeats {
        if count > 0 && why.len() >= count && !applied.contains(&pid) {
            nothing.insert(pid);
            let stale = why.iter().all(|r| matches!(r, Repeat::Stale(_)));
            let reasons: Vec<String> = why
                .into_iter()
                .map(|r| match r {
                    Repeat::Recorded(s) | Repeat::Stale(s) => s,
                })
                .collect();
            let outcome = if stale {
                Outcome::Skipped
            } else {
                Outcome::Duplicate
            };
            outcomes.push(Decided::new(pid, outcome, reasons.join("; ")));
        }
    }
    for (pid, ev) in &events {
        if let Some(c) = ev.case.as_ref().filter(|_| !nothing.contains(pid)) {
            let ch = changed.entry(c.conversation_id.clone()).or_default();
            fold_case(ch, c, *pid);
        }
    }
    if changed.is_empty() {
        return Ok(false);
    }
    let due = upsert_conversations(
        &cfg.mapping.source_system,
        &cfg.mapping_name,
        changed,
        |status, erased| erased || rules.is_closing(status),
    )?;
    if due.is_empty() {
        return Ok(false);
    }
    crate::ingest::assemble::assemble(plans, due).map_err(IngestError::from)
}

fn owned_key(m: &Message) -> (String, String) {
    (m.conversation_id.clone(), m.id.clone())
}

/// Whether message version `m` replaces `old`: an erasure always does; otherwise the newer.
fn supersedes(m: &Message, old: &Message) -> bool {
    match (m.removed.is_some(), old.removed.is_some()) {
        (true, _) => true,
        (false, true) => false,
        _ => m.version_at >= old.version_at,
    }
}

fn fold_case(ch: &mut Changed, c: &Case, pid: i64) {
    let at = c.status_at.map(|t| t.timestamp_micros());
    if ch.case.as_ref().is_none_or(|old| at >= old.at) {
        ch.case = Some(CaseFacts {
            status: c.status.clone(),
            at,
            at_text: c.status_at.and_then(pg_time),
            facts: c.facts.clone(),
        });
    }
    ch.last_payload = ch.last_payload.max(pid);
}

/// The payloads that recorded the current version of the given messages.
fn originals(
    c: &mut pgrx::spi::SpiClient<'_>,
    statement: &OwnedPreparedStatement,
    list: &[&Write<'_>],
) -> Result<HashMap<(String, String), i64>, SpiError> {
    let mut out = HashMap::new();
    if list.is_empty() {
        return Ok(out);
    }
    let convs: Vec<String> = list
        .iter()
        .map(|w| w.message.conversation_id.clone())
        .collect();
    let ids: Vec<String> = list.iter().map(|w| w.message.id.clone()).collect();
    for row in c.update(statement, None, &[convs.into(), ids.into()])? {
        let key = (
            row.get::<String>(1)?.unwrap_or_default(),
            row.get::<String>(2)?.unwrap_or_default(),
        );
        out.insert(key, row.get::<i64>(3)?.unwrap_or_default());
    }
    Ok(out)
}

/// Writes the changed conversations; returns those `due` now, in conversation order. A
/// conversation is marked changed (pending assembly) when a message changed or its case's
/// status did; other case facts are kept up to date without making it due.
fn upsert_conversations(
    source: &str,
    mapping: &str,
    changed: BTreeMap<String, Changed>,
    due: impl Fn(Option<&str>, bool) -> bool,
) -> Result<Vec<String>, SpiError> {
    let n = changed.len();
    let mut convs = Vec::with_capacity(n);
    let mut statuses: Vec<Option<String>> = Vec::with_capacity(n);
    let mut status_at: Vec<Option<String>> = Vec::with_capacity(n);
    let mut facts: Vec<Option<String>> = Vec::with_capacity(n);
    let mut pids = Vec::with_capacity(n);
    let mut content = Vec::with_capacity(n);
    let mut erased = Vec::with_capacity(n);
    for (conv, ch) in changed {
        let CaseFacts {
            status,
            at_text: at,
            facts: f,
            ..
        } = ch.case.unwrap_or_default();
        convs.push(conv);
        statuses.push(status);
        status_at.push(at);
        facts.push(serde_json::to_string(&f).ok());
        pids.push(ch.last_payload);
        content.push(ch.content);
        erased.push(ch.erased);
    }
    use pg_sys::BuiltinOid::{BOOLARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTOID};
    let t = PgOid::BuiltIn;
    let types = [
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(TEXTARRAYOID),
        t(INT8ARRAYOID),
        t(BOOLARRAYOID),
        t(BOOLARRAYOID),
        t(TEXTOID),
        t(TEXTOID),
    ];
    let statement = prepared("record_conversations", conversations_sql, &types)?;
    Spi::connect_mut(|c| {
        let mut out = Vec::new();
        let args: [DatumWithOid<'_>; 9] = [
            convs.into(),
            statuses.into(),
            status_at.into(),
            facts.into(),
            pids.into(),
            content.into(),
            erased.into(),
            source.to_string().into(),
            mapping.to_string().into(),
        ];
        for row in c.update(&*statement, None, &args)? {
            let conv = row.get::<String>(1)?.unwrap_or_default();
            let status = row.get::<String>(2)?;
            let pending = row.get::<bool>(4)?.unwrap_or(false);
            if pending && due(status.as_deref(), row.get::<bool>(3)?.unwrap_or(false)) {
                out.push(conv);
            }
        }
        out.sort_unstable();
        Ok(out)
    })
}
