//! The words the database stores for what happened to a payload and where a queue row stands,
//! as types: `cxone_payloads.outcome` and `conversation_embeddings.status` take exactly these
//! values (their CHECK constraints in `sql/schema.sql` list the same ones).

/// What the ingest trigger recorded for a payload (`cxone_payloads.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Its text was queued for embedding.
    Queued,
    /// A message or case event, folded into its conversation.
    Recorded,
    /// No text, superseded on arrival, or a stale update.
    Skipped,
    /// Not a payload the mapping can read; the reason says why.
    Invalid,
    /// A replay, or a message already recorded.
    Duplicate,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Queued,
        Outcome::Recorded,
        Outcome::Skipped,
        Outcome::Invalid,
        Outcome::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Queued => "queued",
            Outcome::Recorded => "recorded",
            Outcome::Skipped => "skipped",
            Outcome::Invalid => "invalid",
            Outcome::Duplicate => "duplicate",
        }
    }
}

/// Where a row of `conversation_embeddings` stands in the queue (`status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowStatus {
    /// Waiting to be embedded (perhaps leased to a worker).
    Pending,
    /// Has its vector; searchable.
    Embedded,
    /// Given up on; `last_error` says why.
    Failed,
    /// Replaced by a newer row of its conversation, or left behind by a model switch.
    Superseded,
}

impl RowStatus {
    pub const ALL: [RowStatus; 4] = [
        RowStatus::Pending,
        RowStatus::Embedded,
        RowStatus::Failed,
        RowStatus::Superseded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Pending => "pending",
            RowStatus::Embedded => "embedded",
            RowStatus::Failed => "failed",
            RowStatus::Superseded => "superseded",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema's CHECK constraints allow exactly these words.
    #[test]
    fn the_schema_checks_the_same_words() {
        let schema = include_str!("../../sql/schema.sql");
        let outcomes: Vec<String> = Outcome::ALL
            .iter()
            .map(|o| format!("'{}'", o.as_str()))
            .collect();
        assert!(
            schema.contains(&format!("CHECK (outcome IN ({}))", outcomes.join(", "))),
            "cxone_payloads.outcome's CHECK lists {outcomes:?}"
        );
        let statuses: Vec<String> = RowStatus::ALL
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert!(
            schema.contains(&format!("CHECK (status IN ({}))", statuses.join(", "))),
            "conversation_embeddings.status's CHECK lists {statuses:?}"
        );
    }
}
