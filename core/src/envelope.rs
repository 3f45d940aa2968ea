//! The envelope of a payload: which conversation it belongs to, which event it is, and when it
//! happened. The event key identifies replays: the same `eventId`, or, when there is none, the
//! same conversation id + event type + timestamp.

use crate::mapping::{first_scalar, Mapping};
use crate::path::scalar_text;
use crate::timestamp::parse_timestamp;
use chrono::{DateTime, FixedOffset};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub conversation_id: Option<String>,
    /// `id:<eventId>` or `conv:<conversation>|<type>|<time>`; None when neither can be formed.
    pub event_key: Option<String>,
    pub event_type: Option<String>,
    pub event_time: Option<DateTime<FixedOffset>>,
}

impl Envelope {
    pub fn extract(payload: &Value, mapping: &Mapping) -> Envelope {
        Self::extract_with(payload, mapping, |id| id)
    }

    /// As [`Envelope::extract`], with the conversation id as `stored` makes it, in the event
    /// key too (`crate::ingest::envelope`: pseudonyms when redacting).
    pub fn extract_with(
        payload: &Value,
        mapping: &Mapping,
        stored: impl FnOnce(String) -> String,
    ) -> Envelope {
        let text = |paths| first_scalar(paths, payload).as_ref().and_then(scalar_text);
        let conversation_id = text(&mapping.conversation_id).map(stored);
        let event_type = text(&mapping.event_type);
        let raw_time = text(&mapping.event_time);
        let event_time = raw_time.as_deref().and_then(parse_timestamp);
        let event_key = match text(&mapping.event_id) {
            Some(id) => Some(format!("id:{id}")),
            None => match (&conversation_id, &event_type, &raw_time) {
                (Some(c), Some(e), Some(_)) => {
                    // Normalise the time so `Z` and `+00:00` spellings are the same event.
                    let t = event_time
                        .map(|t| t.to_utc().to_rfc3339())
                        .or(raw_time.clone())
                        .unwrap_or_default();
                    // Two messages of one case can share a millisecond: the message id
                    // tells their events apart.
                    match payload.pointer("/data/message/id").and_then(scalar_text) {
                        Some(m) => Some(format!("conv:{c}|{e}|{t}|{m}")),
                        None => Some(format!("conv:{c}|{e}|{t}")),
                    }
                }
                _ => None,
            },
        };
        Envelope {
            conversation_id,
            event_key,
            event_type,
            event_time,
        }
    }
}
