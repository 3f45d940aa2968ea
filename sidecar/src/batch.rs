//! Where batches are sized: how many rows to claim, and how rows are grouped into provider
//! requests that respect the provider's real limits (inputs per request, tokens per request,
//! tokens per input).

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

/// How many rows to claim next.
///
/// Slow start: after idling, the first claim is a quarter of the full size and the next ones
/// double, so the first vectors are written while later rows are embedded (a full first claim
/// left the database idle for a whole batch's embedding: 15% of a 10,000-row backfill). An
/// eighth made 12 requests instead of 8 for those rows; a quarter, 9 or 10.
///
/// Claims are also capped at the rows whose texts fill the requests of one claim, from the mean
/// tokens per text of the last claim: a claim just over the per-request token limit made a
/// second request of a few inputs (3 of 8 requests in a 10,000-row backfill).
#[derive(Debug, Clone)]
pub struct ClaimSizer {
    full: i64,
    size: i64,
    limits: Limits,
    fitting: Option<i64>,
}

impl ClaimSizer {
    /// Full claims of `claim_batch` rows, at most what `in_flight` requests can take.
    pub fn new(claim_batch: i64, in_flight: usize, limits: Limits) -> Self {
        let full = claim_batch
            .min(limits.max_inputs.saturating_mul(in_flight) as i64)
            .max(1);
        ClaimSizer {
            full,
            size: Self::first(full),
            limits,
            fitting: None,
        }
    }

    fn first(full: i64) -> i64 {
        (full / 4).max(1)
    }

    /// The size of a claim made now.
    pub fn current(&self) -> i64 {
        self.size
    }

    /// The queue was found empty: the next burst starts small again.
    pub fn idle(&mut self) {
        self.size = Self::first(self.full);
    }

    /// The size of the next claim, made while the current one is processed.
    pub fn grow(&mut self) -> i64 {
        self.size = (self.size * 2).min(self.full);
        self.fitting.map_or(self.size, |f| self.size.min(f.max(1)))
    }

    /// The mean tokens per text of the claim just processed.
    pub fn observe(&mut self, tokens_per_text: f64) {
        let per_claim = (self.full as usize).div_ceil(self.limits.max_inputs.max(1)) as i64;
        // 3% below the limit: the next claim's texts are a little longer or shorter.
        let rows =
            (self.limits.max_tokens_per_request as f64 * 0.97 / tokens_per_text.max(1.0)) as i64;
        self.fitting = Some(rows.min(self.limits.max_inputs as i64) * per_claim);
    }
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

    #[test]
    fn claims_start_small_double_and_fit_the_requests() {
        let mut s = ClaimSizer::new(2048, 4, OPENAI);
        assert_eq!(s.current(), 512);
        assert_eq!(s.grow(), 1024);
        assert_eq!(s.grow(), 2048);
        assert_eq!(s.grow(), 2048);
        // 200 tokens per text: 300,000 x 0.97 / 200 = 1,455 rows fill one request.
        s.observe(200.0);
        assert_eq!(s.grow(), 1455);
        s.idle();
        assert_eq!(s.current(), 512);
        assert_eq!(s.grow(), 1024);
    }
}
