//! Which of a statement's new payloads are queued and which are superseded on arrival.
//!
//! The ingest trigger writes a statement's queue rows in one go at the end of the statement
//! (see the extension's `ingest/flush.rs`). This decides, for those payloads in arrival order,
//! exactly what one-at-a-time processing would have: a payload is skipped when its
//! conversation already has a row from a newer event (in the database, or queued earlier in the
//! same statement); otherwise it is queued and replaces the conversation's rows that were
//! never embedded. Embedded rows stay searchable until the sidecar embeds the newer text.
//!
//! Times are microseconds since the epoch (PostgreSQL's precision); a payload without an event
//! time is never newer than another and never older.

use std::collections::HashMap;

/// An event time as PostgreSQL keeps it: microseconds since the epoch, rounded as its input
/// function rounds.
pub fn event_micros(t: chrono::DateTime<chrono::FixedOffset>) -> i64 {
    let nanos = i64::from(t.timestamp_subsec_nanos());
    t.timestamp() * 1_000_000 + (nanos + 500) / 1000
}

/// One new payload with text to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival<'a> {
    pub payload_id: i64,
    pub conversation_id: &'a str,
    pub event_micros: Option<i64>,
}

/// What the database already holds for a conversation (rows not superseded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Newest (event time, payload id) among embedded rows.
    pub newest_embedded: Option<(i64, i64)>,
    /// Newest (event time, payload id) among pending or failed rows.
    pub newest_open: Option<(i64, i64)>,
    /// Whether there are pending or failed rows (with or without an event time).
    pub has_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Queue the text; `replaced` when a later payload of the same statement supersedes it
    /// (its rows are written as superseded).
    Queue { replaced: bool },
    /// Skipped: payload `newer` of the conversation is newer.
    Skip { newer: i64 },
}

/// The decisions, one per arrival, and the conversations whose pending or failed rows in the
/// database are to be superseded.
pub fn settle<'a>(
    arrivals: &[Arrival<'a>],
    known: &HashMap<&'a str, Known>,
) -> (Vec<Settled>, Vec<&'a str>) {
    struct State {
        embedded: Option<(i64, i64)>,
        open: Option<(i64, i64)>,
        db_open: bool,
        last_queued: Option<usize>,
    }
    let mut states: HashMap<&str, State> = HashMap::new();
    let mut out = Vec::with_capacity(arrivals.len());
    let mut supersede = Vec::new();
    for (i, a) in arrivals.iter().enumerate() {
        let st = states.entry(a.conversation_id).or_insert_with(|| {
            let k = known.get(a.conversation_id).cloned().unwrap_or_default();
            State {
                embedded: k.newest_embedded,
                open: k.newest_open,
                db_open: k.has_open,
                last_queued: None,
            }
        });
        let newer = a.event_micros.and_then(|t| {
            [st.embedded, st.open]
                .into_iter()
                .flatten()
                .filter(|&(other, _)| other > t)
                .max()
        });
        if let Some((_, newer)) = newer {
            out.push(Settled::Skip { newer });
            continue;
        }
        if let Some(prev) = st.last_queued.replace(i) {
            out[prev] = Settled::Queue { replaced: true };
        }
        if std::mem::take(&mut st.db_open) {
            supersede.push(a.conversation_id);
        }
        st.open = a.event_micros.map(|t| (t, a.payload_id));
        out.push(Settled::Queue { replaced: false });
    }
    (out, supersede)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrival(payload_id: i64, conversation_id: &str, t: Option<i64>) -> Arrival<'_> {
        Arrival {
            payload_id,
            conversation_id,
            event_micros: t,
        }
    }

    #[test]
    fn new_conversations_are_queued() {
        let a = [arrival(1, "a", Some(10)), arrival(2, "b", None)];
        let (s, sup) = settle(&a, &HashMap::new());
        assert_eq!(s, vec![Settled::Queue { replaced: false }; 2]);
        assert!(sup.is_empty());
    }

    #[test]
    fn a_later_payload_in_the_statement_replaces_an_earlier_one() {
        let a = [
            arrival(1, "a", Some(10)),
            arrival(2, "a", Some(20)),
            arrival(3, "a", Some(15)),
        ];
        let (s, _) = settle(&a, &HashMap::new());
        assert_eq!(
            s,
            vec![
                Settled::Queue { replaced: true },
                Settled::Queue { replaced: false },
                Settled::Skip { newer: 2 },
            ]
        );
    }

    #[test]
    fn equal_or_missing_times_are_not_newer() {
        let a = [
            arrival(1, "a", Some(10)),
            arrival(2, "a", Some(10)),
            arrival(3, "a", None),
            arrival(4, "a", Some(5)),
        ];
        let (s, _) = settle(&a, &HashMap::new());
        // 3 has no time: it replaces 2, and leaves nothing timed that 4 is older than.
        assert_eq!(
            s,
            vec![
                Settled::Queue { replaced: true },
                Settled::Queue { replaced: true },
                Settled::Queue { replaced: true },
                Settled::Queue { replaced: false },
            ]
        );
    }

    #[test]
    fn database_rows_decide_too() {
        let mut known = HashMap::new();
        known.insert(
            "a",
            Known {
                newest_embedded: Some((30, 7)),
                newest_open: None,
                has_open: false,
            },
        );
        known.insert(
            "b",
            Known {
                newest_embedded: None,
                newest_open: Some((30, 8)),
                has_open: true,
            },
        );
        let a = [
            arrival(1, "a", Some(20)),
            arrival(2, "b", Some(40)),
            arrival(3, "b", Some(35)),
            arrival(4, "a", Some(31)),
        ];
        let (s, sup) = settle(&a, &known);
        assert_eq!(
            s,
            vec![
                Settled::Skip { newer: 7 },
                Settled::Queue { replaced: false },
                Settled::Skip { newer: 2 },
                Settled::Queue { replaced: false },
            ]
        );
        // b's open rows are superseded once; a has none.
        assert_eq!(sup, vec!["b"]);
    }

    #[test]
    fn an_open_row_without_a_time_is_superseded_but_never_newer() {
        let mut known = HashMap::new();
        known.insert(
            "a",
            Known {
                newest_embedded: None,
                newest_open: None,
                has_open: true,
            },
        );
        let (s, sup) = settle(&[arrival(1, "a", Some(1))], &known);
        assert_eq!(s, vec![Settled::Queue { replaced: false }]);
        assert_eq!(sup, vec!["a"]);
    }
}
