//! Where batches are sized: rows are grouped into provider requests that respect the
//! provider's real limits (inputs per request, tokens per request, tokens per input).

/// The provider's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_inputs: usize,
    pub max_tokens_per_request: usize,
    /// None when the provider truncates over-long inputs itself (the local model, like
    /// sentence-transformers, at 256 tokens).
    pub max_tokens_per_input: Option<usize>,
}

/// One row to embed.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<T> {
    pub key: T,
    pub text: String,
    pub tokens: usize,
}

/// Requests to send, and the items that must not be sent (over the per-input limit) with why.
#[derive(Debug)]
pub struct Plan<T> {
    pub batches: Vec<Vec<Item<T>>>,
    pub too_long: Vec<(Item<T>, String)>,
}

/// Greedy packing in the given order: a new request starts when the next item would pass the
/// input count or the token total.
pub fn plan<T>(items: Vec<Item<T>>, limits: &Limits) -> Plan<T> {
    let mut batches: Vec<Vec<Item<T>>> = Vec::new();
    let mut too_long = Vec::new();
    let mut current: Vec<Item<T>> = Vec::new();
    let mut tokens = 0usize;
    for item in items {
        if let Some(max) = limits.max_tokens_per_input {
            if item.tokens > max {
                let why = format!(
                    "input has {} tokens, over the provider's limit of {max} per input; it was not sent. \
                     Lower cxone.chunk_tokens (and set cxone.chunk_tokenizer to match the model), then re-queue it",
                    item.tokens
                );
                too_long.push((item, why));
                continue;
            }
        }
        let cost = item.tokens.min(limits.max_tokens_per_request);
        if !current.is_empty()
            && (current.len() >= limits.max_inputs || tokens + cost > limits.max_tokens_per_request)
        {
            batches.push(std::mem::take(&mut current));
            tokens = 0;
        }
        tokens += cost;
        current.push(item);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    Plan { batches, too_long }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(tokens: &[usize]) -> Vec<Item<usize>> {
        tokens
            .iter()
            .enumerate()
            .map(|(i, &t)| Item {
                key: i,
                text: format!("t{i}"),
                tokens: t,
            })
            .collect()
    }

    const OPENAI: Limits = Limits {
        max_inputs: 2048,
        max_tokens_per_request: 300_000,
        max_tokens_per_input: Some(8192),
    };

    #[test]
    fn respects_every_limit() {
        let p = plan(items(&vec![100; 5000]), &OPENAI);
        assert_eq!(
            p.batches.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![2048, 2048, 904]
        );
        let p = plan(items(&vec![8000; 100]), &OPENAI);
        for b in &p.batches {
            assert!(b.iter().map(|i| i.tokens).sum::<usize>() <= 300_000);
        }
        assert_eq!(p.batches.iter().map(Vec::len).sum::<usize>(), 100);
    }

    #[test]
    fn over_long_inputs_are_never_sent() {
        let p = plan(items(&[10, 9000, 20]), &OPENAI);
        assert_eq!(p.batches.len(), 1);
        assert_eq!(
            p.batches[0].iter().map(|i| i.key).collect::<Vec<_>>(),
            vec![0, 2]
        );
        assert_eq!(p.too_long.len(), 1);
        assert!(p.too_long[0].1.contains("9000 tokens"));
    }

    #[test]
    fn tutorial_rule_versus_real_limits() {
        // The tutorial sent at most 200 inputs; real limits need ten times fewer requests here.
        let p = plan(items(&vec![120; 10_000]), &OPENAI);
        assert_eq!(p.batches.len(), 5);
    }
}
