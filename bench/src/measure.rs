//! What the benchmarks share for measuring: the median of timed runs, and COPY's text escaping
//! for the floors that load with COPY.

use std::time::{Duration, Instant};

/// Median wall time of `runs` runs of `f`, with `reset` before each.
pub fn median_time(runs: usize, mut reset: impl FnMut(), mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            reset();
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A field for COPY's text format: backslash, newline, carriage return and tab escaped.
pub fn copy_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}
