//! Where messages become conversations: a case's recorded messages, in order, rendered as one
//! labelled line each, with the conversation's metadata; and when a conversation is due to be
//! (re)assembled. The extension gathers the messages (`extension/src/ingest/assemble.rs`) and applies
//! the result; everything decided is here.

use crate::chunk::Unit;
use crate::limits::Limits;
use crate::mapping::Rendered;
pub use crate::message_rules::MessageRules;
use crate::messages::Speaker;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A recorded message, as assembly reads it back (already in conversation order).
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub speaker: Speaker,
    /// Empty when the content was removed.
    pub text: String,
    /// RFC 3339, as stored.
    pub created_at: Option<String>,
    pub removed: bool,
    /// `direction`, `sentiment`, `agent_id`.
    pub facts: Map<String, Value>,
}

/// A conversation's transcript and metadata from its ordered messages and its case's facts.
/// Text past `limits.max_text_bytes` is left out of the embedded text (the messages stay
/// recorded), and the metadata says so.
pub fn assemble(
    messages: &[Recorded],
    case_facts: &Map<String, Value>,
    rules: &MessageRules,
    limits: &Limits,
) -> Rendered {
    let mut out = Rendered {
        metadata: case_facts.clone(),
        ..Rendered::default()
    };
    let mut agents = BTreeSet::new();
    let mut sentiment = None;
    let mut erased = 0usize;
    let mut left_out = 0usize;
    for m in messages {
        if m.removed {
            erased += 1;
        }
        if let Some(a) = m.facts.get("agent_id").and_then(Value::as_str) {
            agents.insert(a.to_string());
        }
        if m.speaker == Speaker::Customer {
            if let Some(s) = m.facts.get("sentiment").and_then(Value::as_str) {
                sentiment = Some(s.to_string());
            }
        }
        let text = m.text.trim();
        if text.is_empty() {
            continue;
        }
        let label = rules.label(m.speaker);
        let line = format!("{label}: {text}");
        if out.text.len() + line.len() + 1 > limits.max_text_bytes {
            left_out += 1;
            continue;
        }
        let sep = if out.units.is_empty() { "" } else { "\n" };
        out.text.push_str(sep);
        out.text.push_str(&line);
        if m.speaker == Speaker::Customer {
            if !out.intent_text.is_empty() {
                out.intent_text.push('\n');
            }
            out.intent_text.push_str(text);
        }
        out.units.push(Unit {
            sep: sep.into(),
            prefix_len: label.len() + 2,
            line,
        });
    }
    let md = &mut out.metadata;
    md.insert("message_count".into(), messages.len().into());
    let times = || messages.iter().filter_map(|m| m.created_at.clone());
    if let Some(first) = times().next() {
        md.insert("first_message_at".into(), first.into());
    }
    if let Some(last) = times().next_back() {
        md.insert("last_message_at".into(), last.into());
    }
    if !agents.is_empty() {
        md.insert(
            "agent_ids".into(),
            agents.into_iter().collect::<Vec<_>>().into(),
        );
    }
    if let Some(s) = sentiment {
        md.insert("sentiment".into(), s.into());
    }
    if erased > 0 {
        md.insert("erased_messages".into(), erased.into());
    }
    if left_out > 0 {
        md.insert("messages_left_out".into(), left_out.into());
    }
    out
}

#[cfg(test)]
mod tests;
