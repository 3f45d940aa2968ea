//! Checksums and shape rules that tell a real identifier from a number of the same length:
//! Luhn for cards, mod 97 for IBANs, the ABA 3-7-1 weights for routing numbers, the SSA rules
//! for SSNs, and whether a number stands alone or is part of a larger token.

/// A number is PII on its own only when it is not glued to a larger token: no letter, digit,
/// dash, underscore, slash or `@` right before or after it (UUIDs, order codes, paths, emails).
pub fn isolated(text: &str, start: usize, end: usize) -> bool {
    let glued = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '/' | '@' | '#');
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    // A sentence may end right after a number ("call 555-123-4567."), so '.' and ',' after are fine,
    // but "1.234.567" style digits after a dot are not.
    let after_ok = match after {
        Some('.') | Some(',') => !text[end + 1..].starts_with(|c: char| c.is_ascii_digit()),
        Some(c) => !glued(c),
        None => true,
    };
    let before_ok = match before {
        Some('.') | Some(',') => !text[..start - 1].ends_with(|c: char| c.is_ascii_digit()),
        Some(c) => !glued(c),
        None => true,
    };
    before_ok && after_ok
}

/// Luhn over 13–19 digits with a real card prefix (Visa, Mastercard, Amex, Discover, JCB,
/// Diners, UnionPay, Maestro): random 16-digit order numbers pass Luhn one time in ten.
pub fn card_valid(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    let prefix = |n: usize| digits[..n].iter().fold(0u32, |acc, d| acc * 10 + d);
    let known_prefix = matches!(digits[0], 4)
        || (51..=55).contains(&prefix(2))
        || (2221..=2720).contains(&prefix(4))
        || matches!(
            prefix(2),
            34 | 37 | 36 | 38 | 30 | 35 | 62 | 65 | 50 | 56..=58 | 63 | 67
        )
        || prefix(4) == 6011
        || (644..=649).contains(&prefix(3));
    if !known_prefix {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1.
pub fn iban_valid(candidate: &str) -> bool {
    let s: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&s.len()) || !s.is_ascii() {
        return false;
    }
    let rearranged = s[4..].chars().chain(s[..4].chars());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// SSA rules: no area 000, 666 or 900–999; no group 00; no serial 0000.
pub fn ssn_valid(area: &str, group: &str, serial: &str) -> bool {
    let area: u32 = area.parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && group != "00" && serial != "0000"
}

/// ABA routing number: nine digits, 3·d1 + 7·d2 + d3 + 3·d4 + ... ≡ 0 (mod 10). The first
/// pair is not checked against the Federal Reserve's ranges: a number read back wrong in one
/// digit fails the checksum anyway, and context words are required besides.
pub fn aba_valid(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 9 || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .zip([3, 7, 1].iter().cycle())
        .map(|(x, w)| x * w)
        .sum();
    sum.is_multiple_of(10)
}

/// Toll-free and shared-cost numbers are companies' lines, not a person's: 0800, 0808, 1800,
/// 1300, (1) 800/888/877/866/855/844/833.
pub fn company_line(number: &str) -> bool {
    let d: String = number.chars().filter(char::is_ascii_digit).collect();
    let d = d.strip_prefix("44").map(|r| format!("0{r}")).unwrap_or(d);
    let national = d.strip_prefix('1').filter(|r| r.len() == 10).unwrap_or(&d);
    [
        "0800", "0808", "0845", "0870", "1800", "1300", "1850", "1890",
    ]
    .iter()
    .any(|p| d.starts_with(p))
        || national.len() == 10
            && ["800", "888", "877", "866", "855", "844", "833"]
                .iter()
                .any(|p| national.starts_with(p))
}

/// The runs of digits (with the `:-+.TZ` that join a timestamp's parts) that are not clock
/// times or timestamps ("9:05", "2024-05-01T10:00:00Z"), as byte ranges: where a number that
/// may be PII can be.
pub fn number_runs(t: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = t.as_bytes();
    let part = |c: u8| c.is_ascii_digit() || matches!(c, b':' | b'-' | b'+' | b'.' | b'T' | b'Z');
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let s = i;
            while i < b.len() && part(b[i]) {
                i += 1;
            }
            // A clock: a digit, a colon, two digits ("9:05", "08:01:12+00:00").
            let clock = b[s..i].windows(4).any(|w| {
                w[0].is_ascii_digit()
                    && w[1] == b':'
                    && w[2].is_ascii_digit()
                    && w[3].is_ascii_digit()
            });
            if !clock {
                return Some((s, i));
            }
        }
        None
    })
}
