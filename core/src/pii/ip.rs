//! IP addresses: IPv4 (four octets of 0-255, written or spoken "one nine two dot oh dot ...")
//! and IPv6 (as the standard library parses it). No context is needed, but a dotted number
//! after "version", "firmware", "build" or "section" is that, not an address, and a MAC address
//! or a time ("12:45:30") is not IPv6.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

static V4: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"));
static V6: LazyLock<Regex> =
    LazyLock::new(|| super::pattern::re(r"(?i)(?:\b[0-9a-f]{1,4}|:)(?::[0-9a-f]{0,4}){2,7}"));
static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    super::pattern::re(
        r"(?i)\b(?:version|ver|v|firmware|build|release|rev|revision|update|patch|section|chapter|page|model|driver|os|ios|android|app)\W{0,3}$",
    )
});

/// IP addresses in `t`, as (start, end).
pub fn find(t: &str, out: &mut Vec<(usize, usize)>) {
    if t.contains('.') {
        for m in V4.find_iter(t) {
            let before = t[..m.start()].chars().next_back();
            let after = t[m.end()..].chars().next();
            let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '.');
            let dotted_on =
                after == Some('.') && t[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit());
            let mut from = m.start().saturating_sub(24);
            while !t.is_char_boundary(from) {
                from += 1;
            }
            if glued(before) || dotted_on || (after != Some('.') && glued(after)) {
                continue;
            }
            if m.as_str().parse::<Ipv4Addr>().is_ok() && !VERSION.is_match(&t[from..m.start()]) {
                out.push((m.start(), m.end()));
            }
        }
    }
    if t.contains("::") || t.bytes().filter(|&b| b == b':').count() >= 7 {
        for m in V6.find_iter(t) {
            let s = m.as_str();
            let groups = s.split(':').filter(|g| !g.is_empty()).count();
            let glued = t[m.end()..].starts_with(|c: char| c.is_ascii_alphanumeric());
            if !glued && groups >= 2 && s.parse::<Ipv6Addr>().is_ok() {
                out.push((m.start(), m.end()));
            }
        }
    }
}

#[cfg(test)]
#[path = "ip_tests.rs"]
mod tests;
