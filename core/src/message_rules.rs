//! The `"messages"` section of a mapping: speaker labels, closing statuses and quiet time, by
//! which message events become conversations ([`crate::conversation`] applies them; the
//! mapping ([`crate::mapping`]) carries them).

use crate::messages::Speaker;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The `"messages"` section of a mapping: how message events become conversations.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRules {
    /// Label per speaker, in [`Speaker::ALL`] order.
    labels: [String; 4],
    /// Case statuses at which a conversation is assembled at once (compared lower-cased).
    pub closing_statuses: Vec<String>,
    /// Seconds without change after which an open conversation is assembled.
    pub quiet_seconds: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSpec {
    /// Speaker (`customer`, `agent`, `bot`, `survey`) → label.
    #[serde(default)]
    labels: Map<String, Value>,
    #[serde(default)]
    closing_statuses: Option<Vec<String>>,
    #[serde(default)]
    quiet_seconds: Option<u32>,
}

/// CXone's statuses at which a case is over (`fixtures/cxone/real/README.md`).
const CASE_STATUSES: [&str; 7] = [
    "new",
    "open",
    "pending",
    "escalated",
    "resolved",
    "closed",
    "trashed",
];

impl Default for MessageRules {
    fn default() -> Self {
        MessageRules {
            labels: Speaker::ALL.map(|s| capitalised(s.as_str())),
            closing_statuses: vec!["resolved".into(), "closed".into()],
            quiet_seconds: 300,
        }
    }
}

impl MessageRules {
    /// Parses a mapping's `"messages"` section; `{}` gives the defaults.
    /// Err says what is wrong, prefixed with `"messages": `.
    pub fn parse(spec: &Value) -> Result<Self, String> {
        let bad = |m: String| format!("\"messages\": {m}");
        let spec: RulesSpec =
            serde_json::from_value(spec.clone()).map_err(|e| bad(e.to_string()))?;
        let mut rules = MessageRules::default();
        for (who, label) in spec.labels {
            let speaker = Speaker::parse(&who.to_lowercase()).ok_or_else(|| {
                bad(format!(
                    "unknown speaker '{who}' in \"labels\"; use customer, agent, bot or survey"
                ))
            })?;
            let label = label
                .as_str()
                .filter(|l| !l.trim().is_empty())
                .ok_or_else(|| bad(format!("the label of '{who}' must be a non-empty string")))?;
            rules.labels[speaker as usize] = label.to_string();
        }
        if let Some(list) = spec.closing_statuses {
            let list: Vec<String> = list.into_iter().map(|s| s.to_lowercase()).collect();
            if let Some(s) = list.iter().find(|s| !CASE_STATUSES.contains(&s.as_str())) {
                return Err(bad(format!(
                    "\"closing_statuses\" has '{s}', which is not a CXone case status ({})",
                    CASE_STATUSES.join(", ")
                )));
            }
            rules.closing_statuses = list;
        }
        if let Some(q) = spec.quiet_seconds {
            rules.quiet_seconds = q;
        }
        Ok(rules)
    }

    pub fn label(&self, speaker: Speaker) -> &str {
        &self.labels[speaker as usize]
    }

    /// Whether a case in `status` is over, so that its conversation is assembled at once.
    pub fn is_closing(&self, status: Option<&str>) -> bool {
        status.is_some_and(|s| self.closing_statuses.iter().any(|c| c == s))
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
