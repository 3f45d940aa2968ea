//! Threads inside a backend. PostgreSQL is single-threaded: its signals (cancel, terminate,
//! `statement_timeout`, latch wake-ups) must reach the backend's own thread. So every thread
//! the extension starts, directly (the ingest helper, an embedding request) or inside a
//! library (the HTTP client's runtime), is started with every signal blocked, and the backend
//! waits for it in short steps that answer cancel requests.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// Runs `start` (which starts threads) with every signal blocked on the calling thread: a new
/// thread inherits its creator's mask. The backend's mask is restored before returning. None
/// when the mask cannot be set (then nothing is started).
pub fn with_signals_blocked<T>(start: impl FnOnce() -> T) -> Option<T> {
    // SAFETY: sigfillset and pthread_sigmask on local, initialised sets; the saved mask is
    // restored whatever `start` returns. `start` must not unwind (a PostgreSQL error here
    // would leave signals blocked), so it only spawns threads or builds clients.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut saved: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        if libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut saved) != 0 {
            return None;
        }
        let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(start));
        libc::pthread_sigmask(libc::SIG_SETMASK, &saved, std::ptr::null_mut());
        started.ok()
    }
}

/// Waits for a thread's answer, checking for query cancel, `statement_timeout` and terminate
/// every 50 ms (an interrupt raises the usual PostgreSQL error here). None when the sender is
/// gone without answering.
pub fn wait<T>(answer: &Receiver<T>) -> Option<T> {
    loop {
        match answer.recv_timeout(Duration::from_millis(50)) {
            Ok(r) => return Some(r),
            Err(RecvTimeoutError::Timeout) => {
                pgrx::check_for_interrupts!();
            }
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}
