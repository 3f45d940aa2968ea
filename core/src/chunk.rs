//! Chunking long conversations for the embedding model's input limit.
//!
//! A conversation is a list of units (one labelled turn or field each). Chunks are runs of whole
//! units that fit the token budget (special tokens included), optionally starting with the last
//! N units of the previous chunk for context. A unit longer than the budget on its own is split
//! at word boundaries (or, for a "word" longer than the budget, at character boundaries) into
//! pieces that keep its label: nothing is ever dropped.

use crate::tokens::Tokenizer;

/// One labelled turn or field, as rendered by a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The separator that precedes it in the full text (empty for the first).
    pub sep: String,
    /// `Label: text` (or `[timestamp] Label: text`).
    pub line: String,
    /// Length in bytes of the label part of `line` (`Label: `), repeated on split pieces.
    pub prefix_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkConfig {
    pub tokenizer: Tokenizer,
    /// Tokens per chunk including the model's special tokens (all-MiniLM-L6-v2: 256).
    pub max_tokens: usize,
    /// Units of the previous chunk repeated at the start of the next.
    pub overlap_units: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig {
            tokenizer: Tokenizer::MiniLm,
            max_tokens: 256,
            overlap_units: 0,
        }
    }
}

/// Joins units into text the way the mapping rendered them.
pub fn join(units: &[Unit]) -> String {
    let mut out = String::new();
    for (i, u) in units.iter().enumerate() {
        if i > 0 {
            out.push_str(&u.sep);
        }
        out.push_str(&u.line);
    }
    out
}

/// Splits the units into chunk texts under the budget. One chunk when everything fits.
pub fn chunk(units: &[Unit], cfg: &ChunkConfig) -> Vec<String> {
    let tk = cfg.tokenizer;
    let budget = cfg.max_tokens.saturating_sub(tk.special_tokens()).max(1);
    if units.is_empty() {
        return Vec::new();
    }
    let whole = join(units);
    if tk.upper_bound(&whole).is_some_and(|b| b <= budget) {
        return vec![whole];
    }
    let whole_tokens = tk.count(&whole);
    if whole_tokens <= budget {
        return vec![whole];
    }
    // Every unit on its own fits after this.
    let mut sized: Vec<(Unit, usize)> = Vec::with_capacity(units.len());
    for u in units {
        // One unit is the whole text, counted already (a megabyte takes a fifth of a second).
        let n = match units.len() {
            1 => whole_tokens,
            _ => tk.count(&u.line),
        };
        if n <= budget {
            sized.push((u.clone(), n));
        } else {
            sized.extend(split_unit(u, tk, budget));
        }
    }
    let join_cost = usize::from(!tk.is_additive());
    let mut chunks: Vec<Vec<(Unit, usize)>> = Vec::new();
    let mut current: Vec<(Unit, usize)> = Vec::new();
    let mut cost = 0;
    for (u, n) in sized {
        let extra = if current.is_empty() { n } else { n + join_cost };
        if !current.is_empty() && cost + extra > budget {
            let overlap = overlap_tail(&current, cfg.overlap_units, n, join_cost, budget);
            chunks.push(std::mem::replace(&mut current, overlap));
            cost = current.iter().map(|(_, k)| k + join_cost).sum::<usize>();
            cost = cost.saturating_sub(join_cost * usize::from(!current.is_empty()));
        }
        cost += if current.is_empty() { n } else { n + join_cost };
        current.push((u, n));
    }
    chunks.push(current);
    chunks
        .into_iter()
        .map(|c| {
            let units: Vec<Unit> = c.into_iter().map(|(u, _)| u).collect();
            join(&units)
        })
        .collect()
}

/// The last `want` units of a full chunk, as many as still leave room for the next unit.
fn overlap_tail(
    chunk: &[(Unit, usize)],
    want: usize,
    next: usize,
    join_cost: usize,
    budget: usize,
) -> Vec<(Unit, usize)> {
    let mut tail: Vec<(Unit, usize)> = Vec::new();
    let mut cost = next;
    // Never repeat a whole chunk: that would make no progress.
    for (u, n) in chunk
        .iter()
        .rev()
        .take(want.min(chunk.len().saturating_sub(1)))
    {
        if cost + n + join_cost > budget {
            break;
        }
        cost += n + join_cost;
        tail.insert(0, (u.clone(), *n));
    }
    tail
}

/// Pieces of one over-long unit, each `label + part` within the budget; the parts, concatenated,
/// are exactly the unit's text.
fn split_unit(u: &Unit, tk: Tokenizer, budget: usize) -> Vec<(Unit, usize)> {
    let prefix = &u.line[..u.prefix_len];
    let body = &u.line[u.prefix_len..];
    let room = budget.saturating_sub(tk.count(prefix)).max(1);
    let mut pieces: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // A tokenizer call costs microseconds whatever the word; words repeat (a 10 MB field took
    // 15 s word by word), so each distinct word is counted once.
    let mut counted: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for word in body.split_inclusive(char::is_whitespace) {
        let w_start = word.as_ptr() as usize - body.as_ptr() as usize;
        let n = *counted
            .entry(word)
            .or_insert_with(|| tk.count(word) + usize::from(!tk.is_additive()));
        if n > room {
            // A "word" longer than the whole budget: close what we have, cut it by bytes
            // (at most one token per byte), at character boundaries.
            if w_start > start {
                pieces.push(&body[start..w_start]);
            }
            pieces.extend(cut_bytes(word, room));
            start = w_start + word.len();
            used = 0;
            continue;
        }
        if used + n > room && w_start > start {
            pieces.push(&body[start..w_start]);
            start = w_start;
            used = 0;
        }
        used += n;
    }
    if start < body.len() {
        pieces.push(&body[start..]);
    }
    // Later pieces start a new line with the label again, whatever separated the unit itself.
    let next_sep = if u.sep.is_empty() {
        "\n".to_string()
    } else {
        u.sep.clone()
    };
    let mut out = Vec::with_capacity(pieces.len());
    for (i, part) in pieces.into_iter().enumerate() {
        let line = format!("{prefix}{}", part.trim_end());
        // Non-additive tokenizers are checked once more; an overflow is cut by bytes.
        let n = tk.count(&line);
        let sep = if i == 0 {
            u.sep.clone()
        } else {
            next_sep.clone()
        };
        if n <= budget {
            out.push((
                Unit {
                    sep,
                    line,
                    prefix_len: prefix.len(),
                },
                n,
            ));
        } else {
            for (j, p) in cut_bytes(part, room).into_iter().enumerate() {
                let line = format!("{prefix}{p}");
                let n = tk.count(&line);
                let sep = if i == 0 && j == 0 {
                    u.sep.clone()
                } else {
                    next_sep.clone()
                };
                out.push((
                    Unit {
                        sep,
                        line,
                        prefix_len: prefix.len(),
                    },
                    n,
                ));
            }
        }
    }
    out
}

/// Cuts text into parts of at most `max` bytes at character boundaries.
fn cut_bytes(text: &str, max: usize) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = max.min(rest.len());
        while end > 0 && !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            // One character wider than max bytes: take it whole.
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        parts.push(&rest[..end]);
        rest = &rest[end..];
    }
    parts
}

#[cfg(test)]
mod tests;
