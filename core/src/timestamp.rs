//! Event timestamps as CXone sends them: RFC 3339 with or without fractional seconds, `Z` or an
//! offset such as `+00:00`. Anything else is treated as "no usable time", never as an error.

use chrono::{DateTime, FixedOffset, NaiveDateTime};

/// Parses a CXone timestamp; a time without an offset is taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().fixed_offset());
        }
    }
    None
}

/// A time as PostgreSQL's `timestamptz` input takes it: in UTC (it refuses offsets past
/// 15:59, which RFC 3339 allows) and within years 1 to 9999; otherwise none.
pub fn postgres_text(t: DateTime<FixedOffset>) -> Option<String> {
    use chrono::Datelike;
    let t = t.to_utc();
    (1..=9999).contains(&t.year()).then(|| t.to_rfc3339())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_for_postgres_are_utc_and_in_range() {
        let t = parse_timestamp("2024-05-02T09:14:00+20:00").unwrap();
        assert_eq!(postgres_text(t).unwrap(), "2024-05-01T13:14:00+00:00");
        assert_eq!(
            postgres_text(parse_timestamp("0000-01-01T00:00:00Z").unwrap()),
            None
        );
    }

    #[test]
    fn accepts_the_forms_cxone_sends() {
        let same = [
            "2024-03-06T08:03:36Z",
            "2024-03-06T08:03:36+00:00",
            "2024-03-06T08:03:36.000Z",
            "2024-03-06T09:03:36+01:00",
            "2024-03-06T08:03:36",
        ];
        let want = parse_timestamp(same[0]).unwrap();
        for s in same {
            assert_eq!(parse_timestamp(s), Some(want), "{s}");
        }
        for bad in ["", "yesterday", "2024-13-01T00:00:00Z", "1709712216"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
