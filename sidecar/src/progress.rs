//! The backfill progress bar: redrawn in place on a terminal, a line every 5 s otherwise (logs).

use crate::state::State;
use std::io::IsTerminal;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `[#########-----------]  45%  450/1002 rows, 28/s, 0 failed`
pub fn line(done: u64, failed: u64, total: u64, elapsed: Duration) -> String {
    const WIDTH: u64 = 30;
    let total = total.max(done + failed).max(1);
    let filled = ((done + failed) * WIDTH / total) as usize;
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    format!(
        "[{}{}] {:>3}%  {}/{} rows, {rate:.0}/s, {failed} failed",
        "#".repeat(filled),
        "-".repeat(WIDTH as usize - filled),
        (done + failed) * 100 / total,
        done + failed,
        total
    )
}

/// Draws progress towards `total` rows until aborted.
pub fn spawn(state: Arc<State>, total: u64) -> tokio::task::JoinHandle<()> {
    let tty = std::io::stderr().is_terminal();
    let every = Duration::from_millis(if tty { 300 } else { 5000 });
    tokio::spawn(async move {
        let started = Instant::now();
        loop {
            tokio::time::sleep(every).await;
            let text = line(
                state.embedded.load(Ordering::Relaxed),
                state.failed.load(Ordering::Relaxed),
                total,
                started.elapsed(),
            );
            if tty {
                eprint!("\r{text}   ");
            } else {
                eprintln!("{text}");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_rows() {
        let l = line(450, 0, 1002, Duration::from_secs(10));
        assert!(
            l.starts_with("[#############-----------------]  44%  450/1002 rows, 45/s"),
            "{l}"
        );
        assert!(line(5, 0, 0, Duration::from_secs(1)).contains("100%"));
    }
}
