//! The mapping language: which parts of a payload become labelled text, and which become
//! filterable metadata.
//!
//! Two forms are accepted:
//! - the original form, `{"data.transcript.agent": "Agent", "data.subject": "Subject"}`: each key
//!   is a path, each value a label. A jsonb object does not keep key order, so the output order
//!   is jsonb's (shorter keys first); use the ordered form when order matters.
//! - the ordered form, `{"fields": [...], ...}`, described field by field on [`MappingSpec`].
//!
//! A mapping is parsed and validated once ([`Mapping::parse`]) and then applied to many payloads
//! ([`Mapping::render`]); applying fails only when the text is over the size limit.

use crate::chunk::Unit;
use crate::limits::{truncate_chars, Limits, TextTooLong};
use crate::message_rules::MessageRules;
use crate::path::{scalar_text, JsonPath, PathError};
use crate::timestamp::parse_timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Why a mapping was refused. Every message names the offending path or key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("invalid mapping: {0}")]
    Path(#[from] PathError),
    #[error("invalid mapping: {0}")]
    Shape(String),
}

/// The ordered form, as users write it in jsonb.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingSpec {
    /// Rendered in this order; their outputs are joined with `separator`.
    fields: Vec<FieldSpec>,
    #[serde(default)]
    separator: Option<String>,
    /// Joins the turns of one turn field (default: a newline, one turn per line).
    #[serde(default)]
    turn_separator: Option<String>,
    /// Paths tried in order for the conversation id.
    #[serde(default)]
    conversation_id: Option<OneOrMany>,
    /// Paths tried in order for a unique event id (replays of it are duplicates).
    #[serde(default)]
    event_id: Option<OneOrMany>,
    #[serde(default)]
    event_type: Option<OneOrMany>,
    #[serde(default)]
    event_time: Option<OneOrMany>,
    /// Metadata key → path(s); scalars found there are copied into `semantic_metadata`.
    #[serde(default)]
    metadata: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    source_system: Option<String>,
    /// Labels whose text decides the intent (default `["Customer"]`): a bot asking "what can I
    /// help with?" says nothing about why the customer came.
    #[serde(default)]
    intent_from: Option<Vec<String>>,
    /// Message events (one message each) are recorded and assembled into conversations with
    /// these rules ([`crate::message_rules::MessageRules`]); without it, every payload is mapped
    /// on its own with `fields`.
    #[serde(default)]
    messages: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldSpec {
    path: String,
    /// Label for plain text fields: `Label: text`.
    #[serde(default)]
    label: Option<String>,
    /// Present for arrays of turns.
    #[serde(default)]
    turns: Option<TurnSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnSpec {
    /// Path inside a turn to its text (default `text`).
    #[serde(default)]
    text: Option<String>,
    /// Path inside a turn to the participant whose label is shown (default `participant`).
    #[serde(default)]
    label_from: Option<String>,
    /// Participant value (compared lower-cased) → label.
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// Label when the participant is missing; an unknown participant is shown capitalised.
    #[serde(default)]
    default_label: Option<String>,
    /// Path inside a turn to its timestamp (default `timestamp`).
    #[serde(default)]
    timestamp: Option<String>,
    /// Prefix each line with `[timestamp]`.
    #[serde(default)]
    include_timestamp: bool,
    /// Sort turns by timestamp when every text turn has one that parses (default true).
    #[serde(default)]
    order_by_timestamp: Option<bool>,
}

#[derive(Debug, Clone)]
enum Field {
    Text { path: JsonPath, label: String },
    Turns { path: JsonPath, turns: Turns },
}

#[derive(Debug, Clone)]
struct Turns {
    text: JsonPath,
    label_from: JsonPath,
    labels: BTreeMap<String, String>,
    default_label: String,
    timestamp: JsonPath,
    include_timestamp: bool,
    order_by_timestamp: bool,
}

/// A validated mapping, ready to apply.
#[derive(Debug, Clone)]
pub struct Mapping {
    fields: Vec<Field>,
    separator: String,
    turn_separator: String,
    pub(crate) conversation_id: Vec<JsonPath>,
    pub(crate) event_id: Vec<JsonPath>,
    pub(crate) event_type: Vec<JsonPath>,
    pub(crate) event_time: Vec<JsonPath>,
    metadata: Vec<(String, Vec<JsonPath>)>,
    pub source_system: String,
    intent_from: Vec<String>,
    /// How message events become conversations; `None`: each payload is mapped on its own.
    pub messages: Option<MessageRules>,
}

/// What a mapping extracts from one payload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Labelled text; empty when no path matched any text.
    pub text: String,
    /// The same text as labelled units (turns and fields), for chunking.
    pub units: Vec<Unit>,
    /// Metadata keys from the mapping's `metadata` paths.
    pub metadata: Map<String, Value>,
    /// The text of the turns whose label is in `intent_from`, for intent classification.
    pub intent_text: String,
}

/// Keys that `cxone_tag` and the trigger set; a mapping's metadata may not overwrite them.
const RESERVED_METADATA: &[&str] = &[
    "source",
    "conversation_id",
    "mapping",
    "content_length",
    "contains_pii",
    "pii_types",
    "pii_counts",
    "intent_category",
    "intent_matches",
    "intent_rule",
    "chunk_count",
    "redacted",
];
const DEFAULT_CONVERSATION_ID: &[&str] = &["conversationId", "data.case.id"];
const DEFAULT_EVENT_ID: &[&str] = &["eventId"];
const DEFAULT_EVENT_TYPE: &[&str] = &["eventType", "event"];
const DEFAULT_EVENT_TIME: &[&str] = &["createdAtWithMilliseconds", "createdAt", "timestamp"];

fn paths(list: Option<OneOrMany>, default: &[&str]) -> Result<Vec<JsonPath>, MappingError> {
    let texts: Vec<String> = match list {
        None => default.iter().map(|s| s.to_string()).collect(),
        Some(OneOrMany::One(s)) => vec![s],
        Some(OneOrMany::Many(v)) => v,
    };
    Ok(texts
        .iter()
        .map(|p| JsonPath::parse(p))
        .collect::<Result<_, _>>()?)
}

impl Mapping {
    /// Parses and validates either form. Errors name the bad path or key.
    pub fn parse(spec: &Value) -> Result<Self, MappingError> {
        let obj = spec.as_object().ok_or_else(|| {
            MappingError::Shape(format!(
                "a mapping is a JSON object, got {}",
                crate::json_kind(spec)
            ))
        })?;
        if obj.contains_key("fields") {
            let spec: MappingSpec = serde_json::from_value(spec.clone())
                .map_err(|e| MappingError::Shape(e.to_string()))?;
            return Self::from_spec(spec);
        }
        let mut fields = Vec::with_capacity(obj.len());
        for (path, label) in obj {
            let label = label.as_str().ok_or_else(|| {
                MappingError::Shape(format!(
                    "the value for path '{path}' must be a label string (or use the ordered form with \"fields\")"
                ))
            })?;
            fields.push(FieldSpec {
                path: path.clone(),
                label: Some(label.to_string()),
                turns: None,
            });
        }
        Self::from_spec(MappingSpec {
            fields,
            separator: None,
            turn_separator: None,
            conversation_id: None,
            event_id: None,
            event_type: None,
            event_time: None,
            metadata: BTreeMap::new(),
            source_system: None,
            intent_from: None,
            messages: None,
        })
    }

    fn from_spec(spec: MappingSpec) -> Result<Self, MappingError> {
        if spec.fields.is_empty() {
            return Err(MappingError::Shape(
                "\"fields\" is empty: nothing would be mapped".into(),
            ));
        }
        let mut fields = Vec::with_capacity(spec.fields.len());
        for f in spec.fields {
            let path = JsonPath::parse(&f.path)?;
            fields.push(match (f.label, f.turns) {
                (Some(_), Some(_)) => {
                    return Err(MappingError::Shape(format!(
                        "field '{}' has both \"label\" and \"turns\"; use one",
                        f.path
                    )))
                }
                (None, None) => {
                    return Err(MappingError::Shape(format!(
                        "field '{}' needs a \"label\" or a \"turns\" object",
                        f.path
                    )))
                }
                (Some(label), None) => Field::Text { path, label },
                (None, Some(t)) => Field::Turns {
                    path,
                    turns: Turns {
                        text: JsonPath::parse(t.text.as_deref().unwrap_or("text"))?,
                        label_from: JsonPath::parse(
                            t.label_from.as_deref().unwrap_or("participant"),
                        )?,
                        labels: t
                            .labels
                            .into_iter()
                            .map(|(k, v)| (k.to_lowercase(), v))
                            .collect(),
                        default_label: t.default_label.unwrap_or_else(|| "Participant".into()),
                        timestamp: JsonPath::parse(t.timestamp.as_deref().unwrap_or("timestamp"))?,
                        include_timestamp: t.include_timestamp,
                        order_by_timestamp: t.order_by_timestamp.unwrap_or(true),
                    },
                },
            });
        }
        let mut metadata = Vec::with_capacity(spec.metadata.len());
        for (key, list) in spec.metadata {
            if RESERVED_METADATA.contains(&key.as_str()) {
                return Err(MappingError::Shape(format!(
                    "metadata key '{key}' is reserved for cxone_tag; choose another name"
                )));
            }
            metadata.push((key, paths(Some(list), &[])?));
        }
        Ok(Mapping {
            fields,
            separator: spec.separator.unwrap_or_else(|| " ".into()),
            turn_separator: spec.turn_separator.unwrap_or_else(|| "\n".into()),
            conversation_id: paths(spec.conversation_id, DEFAULT_CONVERSATION_ID)?,
            event_id: paths(spec.event_id, DEFAULT_EVENT_ID)?,
            event_type: paths(spec.event_type, DEFAULT_EVENT_TYPE)?,
            event_time: paths(spec.event_time, DEFAULT_EVENT_TIME)?,
            metadata,
            source_system: spec.source_system.unwrap_or_else(|| "cxone".into()),
            intent_from: spec.intent_from.unwrap_or_else(|| vec!["Customer".into()]),
            messages: spec
                .messages
                .as_ref()
                .map(MessageRules::parse)
                .transpose()
                .map_err(MappingError::Shape)?,
        })
    }

    /// The seeded `default` mapping.
    pub fn default_mapping() -> Self {
        let spec: Value = serde_json::from_str(crate::DEFAULT_MAPPING)
            .expect("the default mapping is valid JSON (checked by tests)");
        Self::parse(&spec).expect("the default mapping is valid (checked by tests)")
    }

    /// The paths tried for the conversation id, for messages.
    pub fn conversation_id_paths(&self) -> Vec<&str> {
        self.conversation_id.iter().map(JsonPath::as_str).collect()
    }

    /// The paths of the text fields, for messages.
    pub fn field_paths(&self) -> Vec<&str> {
        self.fields
            .iter()
            .map(|f| match f {
                Field::Text { path, .. } | Field::Turns { path, .. } => path.as_str(),
            })
            .collect()
    }

    /// Whether [`Mapping::render`] finds any text in `payload`, without building it (the
    /// ingest trigger asks this of a case event before taking it as one).
    pub fn finds_text(&self, payload: &Value) -> bool {
        self.fields.iter().any(|field| match field {
            Field::Text { path, .. } => path
                .resolve(payload)
                .into_iter()
                .any(|v| text_of(v).is_some()),
            Field::Turns { path, turns } => turns.finds_text(path.resolve(payload)),
        })
    }

    /// Applies the mapping to one payload. Labels and timestamps taken from the payload are
    /// cut to `limits.max_label_chars`; a text over `limits.max_text_bytes` is refused before
    /// it is built.
    pub fn render(&self, payload: &Value, limits: &Limits) -> Result<Rendered, TextTooLong> {
        // The lines with their separators and prefixes, borrowing the payload's text: sized,
        // then built.
        let mut lines: Vec<(&str, String, &str)> = Vec::new();
        let mut intent: Vec<&str> = Vec::new();
        for field in &self.fields {
            let (found, include_stamp) = match field {
                Field::Text { path, label } => (
                    path.resolve(payload)
                        .into_iter()
                        .filter_map(text_of)
                        .map(|text| Line {
                            label: label.clone(),
                            text,
                            stamp: None,
                        })
                        .collect::<Vec<_>>(),
                    false,
                ),
                Field::Turns { path, turns } => (
                    turns.lines(path.resolve(payload), limits),
                    turns.include_timestamp,
                ),
            };
            for (i, l) in found.into_iter().enumerate() {
                if self.intent_from.contains(&l.label) {
                    intent.push(l.text);
                }
                let prefix = match (include_stamp, l.stamp) {
                    (true, Some(s)) => {
                        format!(
                            "[{}] {}: ",
                            truncate_chars(s, limits.max_label_chars),
                            l.label
                        )
                    }
                    _ => format!("{}: ", l.label),
                };
                let sep = match (lines.is_empty(), i) {
                    (true, _) => "",
                    (false, 0) => self.separator.as_str(),
                    (false, _) => self.turn_separator.as_str(),
                };
                lines.push((sep, prefix, l.text));
            }
        }
        let bytes: usize = lines
            .iter()
            .map(|(s, p, t)| s.len() + p.len() + t.len())
            .sum();
        if bytes > limits.max_text_bytes {
            return Err(TextTooLong {
                bytes,
                max: limits.max_text_bytes,
            });
        }
        let units: Vec<Unit> = lines
            .into_iter()
            .map(|(sep, prefix, text)| Unit {
                sep: sep.to_string(),
                prefix_len: prefix.len(),
                line: prefix + text,
            })
            .collect();
        let mut metadata = Map::new();
        for (key, paths) in &self.metadata {
            if let Some(v) = first_scalar(paths, payload) {
                metadata.insert(key.clone(), v);
            }
        }
        Ok(Rendered {
            text: crate::chunk::join(&units),
            units,
            metadata,
            intent_text: intent.join("\n"),
        })
    }
}

/// One labelled piece of text before rendering.
struct Line<'v> {
    label: String,
    text: &'v str,
    stamp: Option<&'v str>,
}

impl Turns {
    /// The turns at the path's values: a path to the array itself (no [*]) is accepted too,
    /// flattened one level.
    fn turns(found: Vec<&Value>) -> impl Iterator<Item = &Value> {
        found.into_iter().flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
    }

    fn finds_text(&self, found: Vec<&Value>) -> bool {
        Self::turns(found).any(|t| self.text.first(t).and_then(text_of).is_some())
    }

    fn lines<'v>(&self, found: Vec<&'v Value>, limits: &Limits) -> Vec<Line<'v>> {
        let turns = Self::turns(found);
        let mut rows: Vec<(Option<i64>, Line<'v>)> = Vec::new();
        for turn in turns {
            let Some(text) = self.text.first(turn).and_then(text_of) else {
                continue;
            };
            let stamp = self.timestamp.first(turn).and_then(Value::as_str);
            let label = match self.label_from.first(turn).and_then(scalar_text) {
                Some(who) => match self.labels.get(&who.to_lowercase()) {
                    Some(l) => l.clone(),
                    None => capitalised_label(&who, limits.max_label_chars),
                },
                None => self.default_label.clone(),
            };
            let at = stamp
                .and_then(parse_timestamp)
                .map(|t| t.timestamp_micros());
            rows.push((at, Line { label, text, stamp }));
        }
        if self.order_by_timestamp && rows.iter().all(|(t, _)| t.is_some()) {
            rows.sort_by_key(|(t, _)| *t); // stable: equal times keep array order
        }
        rows.into_iter().map(|(_, line)| line).collect()
    }
}

/// Text of a value for rendering: non-blank strings only (numbers, objects, null are not text).
fn text_of(value: &Value) -> Option<&str> {
    value.as_str().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn first_scalar(paths: &[JsonPath], payload: &Value) -> Option<Value> {
    paths
        .iter()
        .flat_map(|p| p.first(payload))
        .find(|v| scalar_text(v).is_some())
        .cloned()
}

/// An unknown participant as its label: capitalised, at most `max` characters.
fn capitalised_label(who: &str, max: usize) -> String {
    let mut chars = truncate_chars(who, max).chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).take(max).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
