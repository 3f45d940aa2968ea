//! Caps on the work one payload can cause. A payload is stored whatever its size, but past
//! these it is not mapped (`invalid`, with a reason naming the setting), and labels taken from
//! it are cut short: the label is repeated on every chunk piece of its turn.

/// Set by the extension from its settings; [`Limits::default`] is what they default to
/// (`extension/src/guc.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of a raw payload (`cxone.max_payload_bytes`, default 8 MiB). The extension
    /// checks it before parsing: [`crate::ingest::payload_too_large`].
    pub max_payload_bytes: usize,
    /// Bytes of the text a mapping renders from one payload (`cxone.max_text_bytes`, default
    /// 4 MiB); over it the payload is `invalid` ([`TextTooLong`]).
    pub max_text_bytes: usize,
    /// Characters of a label or `[timestamp]` taken from the payload (a participant shown as
    /// its label, a turn's timestamp); longer ones are cut to this many (default 64). Labels
    /// written in the mapping itself are kept as written.
    pub max_label_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload_bytes: 8 << 20,
            max_text_bytes: 4 << 20,
            max_label_chars: 64,
        }
    }
}

/// The text a payload maps to is over [`Limits::max_text_bytes`]; the message is the reason
/// recorded on the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the mapped text is {bytes} bytes, over cxone.max_text_bytes = {max}; raise the setting (superuser) or map fewer fields, then reprocess")]
pub struct TextTooLong {
    pub bytes: usize,
    pub max: usize,
}

/// `s` cut to at most `max` characters.
pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_characters() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("héllo", 5), "héllo");
        assert_eq!(truncate_chars("héllo", 50), "héllo");
        assert_eq!(truncate_chars("", 0), "");
    }

    #[test]
    fn the_reason_names_the_setting() {
        let e = TextTooLong {
            bytes: 2_000_000,
            max: 1 << 20,
        };
        assert_eq!(
            e.to_string(),
            "the mapped text is 2000000 bytes, over cxone.max_text_bytes = 1048576; raise the setting (superuser) or map fewer fields, then reprocess"
        );
    }
}
