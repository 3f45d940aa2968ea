//! A PostgreSQL cluster of a test's own, for scenarios that stop and start the server.

use crate::net::free_port;
use postgres::{Client, NoTls};
use std::process::Command;

/// A cluster of its own (scripts/cluster.sh on a free port), for a test that stops and starts
/// PostgreSQL without disturbing the shared one. Database `cxone` has the extension.
pub struct PrivateCluster {
    pub port: u16,
    data: String,
}

impl PrivateCluster {
    pub fn start() -> PrivateCluster {
        let port = free_port();
        let data = format!("/tmp/cxone-e2e-private-{}-{port}", std::process::id());
        let c = PrivateCluster { port, data };
        c.ctl("start");
        c
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/cxone", self.port)
    }

    pub fn connect(&self) -> Client {
        Client::connect(&self.url(), NoTls).expect("connect to the private cluster")
    }

    pub fn stop(&self) {
        self.ctl("stop");
    }

    pub fn start_again(&self) {
        self.ctl("start");
    }

    fn ctl(&self, action: &str) {
        let out = Command::new(format!(
            "{}/../../scripts/cluster.sh",
            env!("CARGO_MANIFEST_DIR")
        ))
        .args([action, &self.port.to_string(), &self.data])
        .output()
        .expect("run scripts/cluster.sh");
        assert!(
            out.status.success(),
            "cluster.sh {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| self.ctl("stop"));
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
