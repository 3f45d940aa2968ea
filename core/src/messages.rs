//! CXone Digital (DFO) events read as what they carry: the messages (one per
//! `MessageAddedIntoCase` / `MessageCreated` / `MessageUpdated` event, or a `messages[]` /
//! `data[]` list as REST and thread-recovery responses send them) and the case's facts (status,
//! channel, queue, brand). The shapes and rules are those of `fixtures/cxone/real/README.md`.
//! Personal data in structured fields (names, e-mail addresses, IP addresses) is never read
//! into facts: only ids, statuses and routing.

use crate::path::scalar_text;
use crate::timestamp::parse_timestamp;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

/// Who wrote a message, by the README's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Speaker {
    Customer,
    Agent,
    Bot,
    Survey,
}

impl Speaker {
    pub const ALL: [Speaker; 4] = [
        Speaker::Customer,
        Speaker::Agent,
        Speaker::Bot,
        Speaker::Survey,
    ];

    /// The name stored in `cxone_messages.speaker` and used as a key of the label map.
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Customer => "customer",
            Speaker::Agent => "agent",
            Speaker::Bot => "bot",
            Speaker::Survey => "survey",
        }
    }

    pub fn parse(s: &str) -> Option<Speaker> {
        Speaker::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One message as recorded in `cxone_messages`.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub conversation_id: String,
    pub id: String,
    pub speaker: Speaker,
    /// The words: text, rich content reduced to its words, attachments named. Empty when the
    /// content was removed.
    pub text: String,
    /// `createdAtWithMilliseconds`, else `createdAt`: the message's place in the conversation.
    pub created_at: Option<DateTime<FixedOffset>>,
    /// `contentRemoved.reason` (`GDPR`, `TTL`, `other`) when the content was erased.
    pub removed: Option<String>,
    /// A `MessageUpdated`: replaces the recorded text (a first sight of the message records it).
    pub update: bool,
    /// When this version of the message was sent (the event's time): an older update never
    /// replaces a newer one.
    pub version_at: Option<DateTime<FixedOffset>>,
    /// `direction`, `sentiment` and, for agents, `agent_id`.
    pub facts: Map<String, Value>,
}

/// What an event says about its case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub conversation_id: String,
    pub status: Option<String>,
    /// When the case said so (`statusUpdatedAt`, else the event's time).
    pub status_at: Option<DateTime<FixedOffset>>,
    pub facts: Map<String, Value>,
}

/// The messages and case facts of one payload.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    pub case: Option<Case>,
    pub messages: Vec<Message>,
}

/// Longest conversation or message id accepted (CXone's are a few dozen bytes; an index entry
/// holds at most about 2,700).
const MAX_ID_BYTES: usize = 512;

/// The fallback CXone puts on rich content for channels that cannot show it: not conversation
/// text.
const UNSUPPORTED: &str = "Unsupported message content";

/// The payload's messages and case facts, when it is a message event, a list of messages, or a
/// case event that is not `mapped_whole` (asked only of case events: whether the mapping finds a
/// transcript in it); `Ok(None)` for any other shape. `Err` says why a payload that carries
/// messages cannot be recorded. `stored` turns a raw conversation id into the stored one
/// (pseudonyms when redacting).
pub fn read(
    payload: &Value,
    stored: &dyn Fn(String) -> String,
    mapped_whole: &dyn Fn() -> bool,
) -> Result<Option<Event>, String> {
    let data = payload.get("data");
    let case_object = data.and_then(|d| d.get("case")).filter(|c| c.is_object());
    let list: Vec<&Value> = match data.and_then(|d| d.get("message")) {
        Some(m) if m.is_object() => vec![m],
        _ => [
            payload.get("messages"),
            data.and_then(|d| d.get("messages")),
            data,
        ]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .find(|a| a.iter().any(|m| m.get("messageContent").is_some()))
        .map(|a| a.iter().collect())
        .unwrap_or_default(),
    };
    if list.is_empty() {
        // A case event says so (`CaseCreated`, `CaseStatusChanged`, ...) or carries a status;
        // any other payload with a case id is not one, nor is one that carries a transcript.
        // Decided before anything is read from it: most payloads of other shapes stop here.
        let case_event = payload
            .get("eventType")
            .and_then(Value::as_str)
            .is_some_and(|t| t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("case")))
            || case_object.is_some_and(|c| text_at(c, &["status"]).is_some());
        if !case_event || mapped_whole() {
            return Ok(None);
        }
    }
    let event_time = time_at(payload, &["createdAtWithMilliseconds", "createdAt"]);
    let case = case_object.and_then(|c| read_case(c, data, event_time, stored));
    if list.is_empty() {
        return Ok(case.map(|c| Event {
            case: Some(c),
            messages: Vec::new(),
        }));
    }
    let update = payload
        .get("eventType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("MessageUpdated"));
    let mut messages = Vec::with_capacity(list.len());
    for (i, m) in list.into_iter().enumerate() {
        let conversation = case
            .as_ref()
            .map(|c| c.conversation_id.clone())
            .or_else(|| text_at(m, &["contactNumber", "caseId"]).map(stored))
            .ok_or_else(|| {
                format!("message {} has no conversation: neither data.case.id nor the message's contactNumber is set", i + 1)
            })?;
        let id = text_at(m, &["id"]).ok_or_else(|| {
            format!(
                "message {} of conversation {conversation} has no id: a message is recorded once by its id",
                i + 1
            )
        })?;
        for (what, v) in [("conversation id", &conversation), ("message id", &id)] {
            if v.len() > MAX_ID_BYTES {
                return Err(format!(
                    "message {}: its {what} is {} bytes, over {MAX_ID_BYTES}; CXone ids are short, so the payload is not a CXone event",
                    i + 1,
                    v.len()
                ));
            }
        }
        messages.push(read_message(m, conversation, id, update, event_time));
    }
    Ok(Some(Event { case, messages }))
}

fn read_message(
    m: &Value,
    conversation_id: String,
    id: String,
    update: bool,
    event_time: Option<DateTime<FixedOffset>>,
) -> Message {
    let speaker = speaker(m);
    // An erasure is `{"reason": ...}` (or `true`); null, false, "" or {} are not one.
    let removed = match m.get("contentRemoved") {
        Some(Value::Bool(true)) => Some("other".to_string()),
        Some(r @ Value::Object(_)) => text_at(r, &["reason"]),
        _ => None,
    };
    let text = match removed {
        Some(_) => String::new(),
        None => words(m),
    };
    let mut facts = Map::new();
    for (key, path) in [("direction", "direction"), ("sentiment", "sentiment")] {
        if let Some(v) = text_at(m, &[path]) {
            facts.insert(key.into(), v.into());
        }
    }
    if speaker == Speaker::Agent {
        if let Some(a) = m.get("authorUser").and_then(|u| text_at(u, &["id"])) {
            // Text, so that the ids of one conversation's agents compare as one kind.
            facts.insert("agent_id".into(), a.into());
        }
    }
    let created_at = time_at(m, &["createdAtWithMilliseconds", "createdAt"]);
    Message {
        conversation_id,
        id,
        speaker,
        text,
        created_at,
        removed,
        update,
        version_at: event_time
            .or_else(|| time_at(m, &["updatedAt"]))
            .or(created_at),
        facts,
    }
}

/// The README's speaker rules: an author user is a survey, a bot or an agent by its flags; an
/// end-user identity (or an inbound message without an author user) is the customer.
fn speaker(m: &Value) -> Speaker {
    let flag = |u: &Value, k: &str| u.get(k).and_then(Value::as_bool).unwrap_or(false);
    match m.get("authorUser").filter(|u| u.is_object()) {
        Some(u) if flag(u, "isSurveyUser") => Speaker::Survey,
        Some(u) if flag(u, "isBotUser") => Speaker::Bot,
        Some(_) => Speaker::Agent,
        None => {
            let outbound = m.get("direction").and_then(Value::as_str) == Some("outbound");
            let end_user = m.get("authorEndUserIdentity").is_some_and(Value::is_object);
            if outbound && !end_user {
                Speaker::Agent
            } else {
                Speaker::Customer
            }
        }
    }
}

/// Keys whose string values are words a person reads in rich content, in the order shown.
const TEXT_KEYS: [&str; 7] = [
    "text",
    "content",
    "title",
    "subtitle",
    "description",
    "label",
    "caption",
];
/// Keys that hold machine values (postbacks, links, ids), never read for words.
const SKIP_KEYS: [&str; 9] = [
    "postback",
    "url",
    "id",
    "type",
    "mimeType",
    "parameters",
    "fallbackText",
    "isAutoTranslated",
    "image",
];

/// A message's words: the text, or the words of its rich content (never CXone's "Unsupported
/// message content" fallback), then its attachments by name.
fn words(m: &Value) -> String {
    let content = m.get("messageContent");
    let mut parts: Vec<String> = Vec::new();
    // `text` is the message for TEXT (the payload repeats it); rich types leave it empty and
    // keep their words in the payload.
    match content.and_then(|c| text_at(c, &["text"])) {
        Some(t) => parts.push(t),
        None => {
            if let Some(c) = content {
                collect_words(c, &mut parts, 0);
            }
        }
    }
    if parts.is_empty() {
        if let Some(f) = content.and_then(|c| text_at(c, &["fallbackText"])) {
            if f != UNSUPPORTED {
                parts.push(f);
            }
        }
    }
    let mut text = parts.join(" / ");
    for a in m
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name =
            text_at(a, &["friendlyName", "fileName", "name"]).unwrap_or_else(|| "file".into());
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("[attachment: {name}]"));
    }
    text
}

fn collect_words(v: &Value, out: &mut Vec<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Object(o) => {
            for key in TEXT_KEYS {
                match o.get(key) {
                    Some(Value::String(s)) => push_words(out, s),
                    Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                        collect_words(inner, out, depth + 1)
                    }
                    _ => {}
                }
            }
            for (k, inner) in o {
                let skip = TEXT_KEYS.contains(&k.as_str()) || SKIP_KEYS.contains(&k.as_str());
                if !skip && (inner.is_object() || inner.is_array()) {
                    collect_words(inner, out, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_words(i, out, depth + 1)),
        _ => {}
    }
}

fn push_words(out: &mut Vec<String>, s: &str) {
    let s = s.replace('\0', "");
    let s = s.trim();
    if !s.is_empty() && s != UNSUPPORTED && !out.iter().any(|o| o == s) {
        out.push(s.to_string());
    }
}

/// The case's facts: status and routing, never the end user's personal data.
fn read_case(
    c: &Value,
    data: Option<&Value>,
    event_time: Option<DateTime<FixedOffset>>,
    stored: &dyn Fn(String) -> String,
) -> Option<Case> {
    let conversation_id = stored(text_at(c, &["id"])?);
    let status = text_at(c, &["status"]).map(|s| s.to_lowercase());
    let mut facts = Map::new();
    let sub = |k: &str| data.and_then(|d| d.get(k));
    let fields: [(&str, Option<&Value>, &[&str]); 11] = [
        ("channel", sub("channel"), &["name"]),
        ("channel_id", sub("channel"), &["id"]),
        (
            "platform",
            sub("channel"),
            &["realExternalPlatformId", "integrationBoxIdentifier"],
        ),
        ("media_type", sub("channel"), &["mediaType"]),
        ("queue", sub("routingQueue"), &["name"]),
        ("queue_id", Some(c), &["routingQueueId"]),
        ("brand_id", sub("brand"), &["id"]),
        ("tenant_id", sub("brand"), &["tenantId"]),
        ("business_unit_id", sub("brand"), &["businessUnitId"]),
        ("direction", Some(c), &["direction"]),
        ("case_created_at", Some(c), &["createdAt"]),
    ];
    for (key, at, paths) in fields {
        if let Some(v) = at.and_then(|a| scalar_at(a, paths)) {
            facts.insert(key.into(), v);
        }
    }
    if let Some(q) = sub("routingQueue").and_then(|q| scalar_at(q, &["id"])) {
        facts.entry("queue_id").or_insert(q);
    }
    if let Some(a) = c
        .get("ownerAssigneeUser")
        .and_then(|u| scalar_at(u, &["id"]))
    {
        facts.insert("owner_agent_id".into(), a);
    }
    if let Some(s) = &status {
        facts.insert("case_status".into(), s.clone().into());
    }
    Some(Case {
        conversation_id,
        status,
        status_at: time_at(c, &["statusUpdatedAt"]).or(event_time),
        facts,
    })
}

/// The first of `keys` in `v` holding a scalar, as text (without NUL, which PostgreSQL text
/// and jsonb cannot hold).
fn text_at(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|k| v.get(*k))
        .find_map(scalar_text)
        .map(|s| s.replace('\0', "").trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The first of `keys` in `v` holding a non-blank string, a number or a boolean, as it is.
fn scalar_at(v: &Value, keys: &[&str]) -> Option<Value> {
    keys.iter().filter_map(|k| v.get(*k)).find_map(|x| match x {
        Value::String(s) if !s.replace('\0', "").trim().is_empty() => {
            Some(Value::String(s.replace('\0', "").trim().to_string()))
        }
        Value::Number(_) | Value::Bool(_) => Some(x.clone()),
        _ => None,
    })
}

fn time_at(v: &Value, keys: &[&str]) -> Option<DateTime<FixedOffset>> {
    keys.iter()
        .filter_map(|k| v.get(*k).and_then(Value::as_str))
        .find_map(parse_timestamp)
}

#[cfg(test)]
mod tests;
