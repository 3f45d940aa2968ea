//! Driver's licence numbers named by the state or province that issued them rather than by a
//! label: "Illinois K773-2844-1481", "it's s five three oh ... florida". A letter and six or
//! more digits beside a US state's or Canadian province's name is a licence; the same digits
//! alone are read by their label (context.rs) or not at all.

/// The licence at `start..end` of `t` (read after spoken numbers were rewritten), with a spelled
/// letter before it, when a state's name is the word before or after it.
pub fn by_state(t: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let b = t.as_bytes();
    // "s 530524486766": one letter said before the digits
    let spelled = start >= 2
        && b[start - 1] == b' '
        && b[start - 2].is_ascii_alphabetic()
        && (start == 2 || b[start - 3] == b' ');
    let s = if spelled { start - 2 } else { start };
    if !b[s].is_ascii_alphabetic() {
        return None;
    }
    let id: Vec<u8> = b[s..end]
        .iter()
        .copied()
        .filter(|c| *c != b' ' && *c != b'-')
        .collect();
    let digits = id.iter().filter(|c| c.is_ascii_digit()).count();
    let shaped = id.first().is_some_and(u8::is_ascii_alphabetic)
        && id.iter().all(u8::is_ascii_alphanumeric)
        && (6..=15).contains(&digits)
        && id.len() - digits <= 2;
    if !shaped {
        return None;
    }
    let before = t[..s].trim_end().rsplit(' ').next().unwrap_or("");
    let after = t[end..]
        .trim_start()
        .split([' ', ',', '.'])
        .next()
        .unwrap_or("");
    (state(before) || state(after)).then_some((s, end))
}

fn state(word: &str) -> bool {
    word.len() > 3 && super::postcode::is_state_name(&word.to_ascii_lowercase())
}
