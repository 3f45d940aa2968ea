//! When to try again: exponential backoff with full jitter, never sooner than the provider
//! asked for (`retry-after-ms`, then `Retry-After` in seconds or as an HTTP date).

use std::time::{Duration, SystemTime};

pub const BASE: Duration = Duration::from_millis(250);
pub const CAP: Duration = Duration::from_secs(30);

/// The wait before try number `attempt` (1 = the first retry): a random time up to
/// BASE·2^(attempt-1), capped, and at least what the server asked for.
pub fn delay(attempt: u32, asked: Option<Duration>) -> Duration {
    let ceiling = BASE
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(CAP);
    let jittered = ceiling.mul_f64(fastrand::f64());
    match asked {
        Some(a) => a.max(jittered),
        None => jittered,
    }
}

/// What the server asked for, from the response headers (names are case-insensitive).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    }
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Some(Duration::from_secs_f64(secs.max(0.0)));
    }
    let when = httpdate(v)?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers send.
fn httpdate(s: &str) -> Option<SystemTime> {
    let t = chrono::DateTime::parse_from_rfc2822(s).ok()?;
    let secs = u64::try_from(t.timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn backoff_grows_is_capped_and_respects_the_server() {
        for attempt in 1..20 {
            let d = delay(attempt, None);
            assert!(d <= CAP);
            assert!(d <= BASE * (1 << (attempt - 1).min(16)));
        }
        assert!(delay(1, Some(Duration::from_secs(7))) >= Duration::from_secs(7));
    }

    #[test]
    fn reads_all_three_header_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after-ms", HeaderValue::from_static("1500"));
        h.insert("retry-after", HeaderValue::from_static("9"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.remove("retry-after-ms");
        assert_eq!(retry_after(&h), Some(Duration::from_secs(9)));
        let later =
            chrono::DateTime::<chrono::Utc>::from(SystemTime::now() + Duration::from_secs(120));
        h.insert(
            "retry-after",
            HeaderValue::from_str(&later.to_rfc2822()).unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
