//! A payload's outcome decided when its statement ends (a replay, superseded on arrival, a
//! message already recorded, no text found by the helper thread): the row already reads
//! `queued` or `recorded`, and is corrected to this.

pub use cxone_core::outcome::Outcome;

/// The outcome and reason to write on payload `payload_id`.
#[derive(Debug, Clone)]
pub struct Decided {
    pub payload_id: i64,
    pub outcome: Outcome,
    pub reason: String,
}

impl Decided {
    pub fn new(payload_id: i64, outcome: Outcome, reason: String) -> Decided {
        Decided {
            payload_id,
            outcome,
            reason,
        }
    }
}

/// The outcome decided for the payload the row trigger is still inserting (it is not in the
/// table yet, so the trigger writes it on the row itself).
#[derive(Debug, Clone)]
pub struct Correction {
    pub outcome: Outcome,
    pub reason: String,
}
