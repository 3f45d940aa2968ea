//! `cxone-sidecar run`: the embedding worker and the HTTP servers, until SIGTERM.

use crate::config::Config;
use crate::db;
use crate::serve;
use crate::startup;
use crate::state::State;
use crate::worker::{Mode, Worker};
use std::sync::Arc;

pub async fn run(cfg: Config) -> Result<(), String> {
    let started = startup::start(&cfg)?;
    let stop = startup::stop_on_signal();
    let state = Arc::new(State::default());
    let servers =
        serve::serve_http(&cfg, &state, started.metrics, &started.provider, &stop).await?;
    tokio::spawn(db::keep_connected(
        cfg.database_url()?.to_string(),
        state.clone(),
        stop.clone(),
    ));
    let mut worker = Worker {
        cfg,
        provider: started.provider,
        state,
        shutdown: stop,
    };
    let result = worker.run(Mode::Forever).await;
    for s in servers {
        let _ = s.await;
    }
    result
}
