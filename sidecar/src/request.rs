//! One provider request with its retries: what the worker sends for a batch, and what came of
//! it (vectors checked against the model's dimensions, a failure for the queue, or a stop).
//! Nothing here touches the database.

use crate::provider::{EmbedError, Provider};
use crate::queue::Failure;
use crate::retry;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What came of a batch's request.
pub enum Answer {
    /// One vector per input, in input order.
    Vectors(Vec<Vec<f32>>),
    /// The rows are to be given back to the queue as failed (for good, or to retry later).
    Failed(Failure),
    /// Shutdown began while waiting to retry: the rows are to be released untouched.
    Stopped,
}

/// Sends `inputs` up to `tries` times, waiting between tries as the provider asks (Retry-After)
/// or by backoff.
pub async fn embed_with_retries<P: Provider>(
    provider: &P,
    inputs: Vec<String>,
    tries: u32,
    stop: &watch::Receiver<bool>,
) -> Answer {
    let tries = tries.max(1);
    let mut last = String::new();
    let mut wait = Duration::ZERO;
    for attempt in 1..=tries {
        let started = Instant::now();
        let result = provider.embed(inputs.clone()).await;
        metrics::histogram!("cxone_provider_latency_seconds")
            .record(started.elapsed().as_secs_f64());
        match result.and_then(|v| check_dimensions(provider, v, inputs.len())) {
            Ok(vectors) => return Answer::Vectors(vectors),
            Err(EmbedError::Permanent(why)) => return Answer::Failed(Failure::Permanent(why)),
            Err(EmbedError::Retryable {
                message,
                retry_after,
                rate_limited,
            }) => {
                metrics::counter!("cxone_retries_total").increment(1);
                if rate_limited {
                    metrics::counter!("cxone_provider_429_total").increment(1);
                }
                wait = retry::delay(attempt, retry_after);
                tracing::info!(attempt, wait_ms = wait.as_millis() as u64, error = %message, "provider request will be retried");
                last = message;
                if attempt == tries {
                    break;
                }
                if !sleep_or_stop(wait, stop).await {
                    return Answer::Stopped;
                }
            }
        }
    }
    Answer::Failed(Failure::Retry {
        reason: last,
        after: wait.as_secs_f64(),
    })
}

/// A wrong number of vectors is retried (a glitch); wrong dimensions fail for good (the
/// provider serves another model than configured).
fn check_dimensions<P: Provider>(
    provider: &P,
    vectors: Vec<Vec<f32>>,
    n: usize,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    if vectors.len() != n {
        return Err(EmbedError::Retryable {
            message: format!("provider returned {} vectors for {n} inputs", vectors.len()),
            retry_after: None,
            rate_limited: false,
        });
    }
    let want = provider.dimensions();
    if let (Some(want), Some(v)) = (want, vectors.iter().find(|v| Some(v.len()) != want)) {
        return Err(EmbedError::Permanent(format!(
            "dimension mismatch: {} returned {} dimensions, expected {want}",
            provider.model(),
            v.len()
        )));
    }
    Ok(vectors)
}

/// Sleeps, or returns false early when shutdown starts.
pub async fn sleep_or_stop(d: Duration, stop: &watch::Receiver<bool>) -> bool {
    let mut stop = stop.clone();
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => true,
        _ = stop.changed() => false,
    }
}
