//! The number of tokens byte-pair encoding makes of one piece, merged exactly as tiktoken
//! merges it: the lowest-ranked adjacent pair first, the leftmost on a tie, until no adjacent
//! pair is a token.

use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use tiktoken_rs::Rank;

/// From this length tiktoken merges a piece with a heap (`byte_pair_encode`), below it by
/// scanning all pairs after each merge (`byte_pair_split`).
const LARGE_PIECE: usize = 100;

/// Tokens of `piece` (not empty). Each length goes through the algorithm tiktoken uses for it,
/// so the counts are the same by construction, and a long piece costs O(n log n).
pub fn tokens(piece: &[u8], ranks: &FxHashMap<Vec<u8>, Rank>) -> usize {
    if piece.len() == 1 || ranks.contains_key(piece) {
        1
    } else if piece.len() < LARGE_PIECE {
        tiktoken_rs::byte_pair_split(piece, ranks).len()
    } else {
        piece.len() - merges_large(piece, ranks)
    }
}

/// The number of merges in `piece`: tiktoken's `_byte_pair_merge_large` (which `tiktoken-rs`
/// does not export), counting instead of collecting ranks.
///
/// `state[i]` describes the part that starts at byte `i` while one does: its end, the start of
/// the part before it, the end of the part after it and the rank of the token the two would
/// merge into (`Rank::MAX`: none). The heap holds (rank, start) keys, smallest first; a key
/// whose rank is no longer its part's is stale and skipped.
fn merges_large(piece: &[u8], ranks: &FxHashMap<Vec<u8>, Rank>) -> usize {
    struct Part {
        prev: u32,
        end: u32,
        next_end: u32,
        next_rank: Rank,
    }
    let n = piece.len();
    let rank_of = |from: usize, to: usize| -> Rank {
        match piece.get(from..to) {
            Some(bytes) => ranks.get(bytes).copied().unwrap_or(Rank::MAX),
            None => Rank::MAX,
        }
    };
    // Offsets fit u32: no PostgreSQL text value or request body reaches 4 GiB.
    let at = |i: usize| i as u32;
    let key = |rank: Rank, start: usize| Reverse((u64::from(rank) << 32) | start as u64);
    let mut state: Vec<Part> = (0..n)
        .map(|i| Part {
            prev: at(i.wrapping_sub(1)),
            end: at(i + 1),
            next_end: at(i + 2),
            next_rank: rank_of(i, i + 2),
        })
        .collect();
    let mut heap: BinaryHeap<Reverse<u64>> = state
        .iter()
        .enumerate()
        .filter(|(_, p)| p.next_rank != Rank::MAX)
        .map(|(i, p)| key(p.next_rank, i))
        .collect();
    let mut merges = 0;
    while let Some(Reverse(k)) = heap.pop() {
        let (rank, left) = ((k >> 32) as Rank, (k & u64::from(u32::MAX)) as usize);
        if rank != state[left].next_rank {
            continue;
        }
        merges += 1;
        let right = state[left].end as usize;
        let merged_end = state[left].next_end as usize;
        // The merged part and the one after it.
        let after_end = state[right].next_end as usize;
        state[left].end = at(merged_end);
        state[left].next_end = at(after_end);
        state[left].next_rank = rank_of(left, after_end);
        if state[left].next_rank != Rank::MAX {
            heap.push(key(state[left].next_rank, left));
        }
        if merged_end < n {
            state[merged_end].prev = at(left);
        }
        // The part before it and the merged part.
        if left > 0 {
            let prev = state[left].prev as usize;
            state[prev].next_end = at(merged_end);
            state[prev].next_rank = rank_of(prev, merged_end);
            if state[prev].next_rank != Rank::MAX {
                heap.push(key(state[prev].next_rank, prev));
            }
        }
        state[right].next_rank = Rank::MAX;
    }
    merges
}
