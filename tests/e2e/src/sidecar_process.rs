//! The real sidecar binary as tests run it: a command, a run to its end, a process in the
//! background killed with the test.

use crate::db::TestDb;
use crate::net::{free_port, http};
use crate::openai_double::OpenAiDouble;
use std::process::{Child, Command, Output, Stdio};

/// The real sidecar binary (built by scripts/test.sh; CXONE_SIDECAR_BIN points at it).
pub fn sidecar() -> Command {
    let bin = std::env::var("CXONE_SIDECAR_BIN").unwrap_or_else(|_| {
        format!(
            "{}/../../target/debug/cxone-sidecar",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "CXONE_MODEL_DIR",
            format!(
                "{}/../../models/all-MiniLM-L6-v2",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
        // The key POST /v1/embeddings requires (scripts/test.sh gives cxone_embed the same).
        .env("CXONE_EMBEDDINGS_API_KEY", "cxone-test-embeddings-key")
        .env("CXONE_LOG", "info");
    c
}

/// `cxone-sidecar run` with the local model on a free port, and the database pointed at it.
pub fn start_local(db: &TestDb, extra: &[(&str, &str)]) -> (Running, u16) {
    let port = free_port();
    let mut cmd = sidecar();
    cmd.env("DATABASE_URL", db.url())
        .env("CXONE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("CXONE_POLL_SECS", "1");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = Running(spawn(cmd.arg("run")));
    db.set(
        "cxone.embeddings_url",
        &format!("http://127.0.0.1:{port}/v1/embeddings"),
    );
    wait_ready(port);
    (child, port)
}

/// Sidecar settings for the OpenAI double.
pub fn with_double(c: &mut Command, db: &TestDb, double: &OpenAiDouble) {
    c.env("DATABASE_URL", db.url())
        .env("CXONE_PROVIDER", "openai")
        .env("OPENAI_BASE_URL", double.base_url())
        .env("OPENAI_API_KEY", &double.key)
        .env("OPENAI_MODEL", "text-embedding-3-small")
        .env("CXONE_POLL_SECS", "1")
        .env("CXONE_LEASE_SECS", "30");
}

/// The sidecar command with the database and the OpenAI double set ([`with_double`]).
pub fn sidecar_with_double(db: &TestDb, double: &OpenAiDouble) -> Command {
    let mut c = sidecar();
    with_double(&mut c, db, double);
    c
}

/// `cxone-sidecar backfill` run to its end, which must succeed; its output (logs on stderr).
pub fn backfill(c: &mut Command) -> Output {
    run_to_success(c.arg("backfill"))
}

/// Runs the sidecar to its end and asserts that it succeeded, its output in the message if not.
pub fn run_to_success(c: &mut Command) -> Output {
    let out = run_to_end(c);
    assert!(
        out.status.success(),
        "cxone-sidecar {:?} failed ({}):\n{}{}",
        c.get_args().collect::<Vec<_>>(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the sidecar to completion, capturing its output.
pub fn run_to_end(c: &mut Command) -> Output {
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run cxone-sidecar")
}

/// Starts the sidecar in the background.
pub fn spawn(c: &mut Command) -> Child {
    c.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cxone-sidecar")
}

/// Waits until GET /readyz answers 200 (or panics after 60 s).
pub fn wait_ready(port: u16) {
    let started = std::time::Instant::now();
    while http(port, "GET", "/readyz", &[], b"").0 != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "sidecar not ready on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A child process killed when the guard is dropped (a failing test leaves no sidecar behind).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
