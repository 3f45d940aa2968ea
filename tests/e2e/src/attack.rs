//! Attacks as a least-privileged login would make them: a login role in one of the
//! extension's groups, connected in a fresh session (the library not loaded yet) with whatever
//! connection options it likes; and the security table of RELIABILITY.md, one row per attack.

use crate::db::TestDb;
use postgres::{Client, NoTls};

/// A login role, member of `group` only, dropped (with what it owns) at the end.
pub struct Login {
    pub name: String,
    db_url: String,
    admin_url: String,
}

impl Login {
    /// Creates `name` (LOGIN, no other attribute) in `group` (or in no group for "").
    pub fn new(db: &TestDb, name: &str, group: &str) -> Login {
        let mut admin = db.connect();
        let member = if group.is_empty() {
            String::new()
        } else {
            format!(" IN ROLE {group}")
        };
        admin
            .batch_execute(&format!(
                "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN{member}; GRANT USAGE ON SCHEMA public TO {name}"
            ))
            .unwrap();
        Login {
            name: name.into(),
            db_url: key_value(db.url()),
            admin_url: db.url().to_string(),
        }
    }

    /// A fresh session: a new backend, so the extension's library is not loaded until a
    /// statement uses it.
    pub fn connect(&self) -> Client {
        self.connect_with("")
    }

    /// A fresh session with connection options, as `PGOPTIONS` gives them (e.g.
    /// `-c cxone.redact=off`).
    pub fn connect_with(&self, options: &str) -> Client {
        let mut url = format!("{} user={}", self.db_url, self.name);
        if !options.is_empty() {
            url.push_str(&format!(" options='{options}'"));
        }
        Client::connect(&url, NoTls).unwrap_or_else(|e| panic!("connect as {}: {e}", self.name))
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin_url, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP OWNED BY {0}; DROP ROLE IF EXISTS {0}",
                self.name
            ));
        }
    }
}

/// postgres://user@host:port/db → key=value form, so another user can be set.
pub fn key_value(url: &str) -> String {
    let rest = url.trim_start_matches("postgres://");
    let (auth_host, db) = rest.split_once('/').unwrap();
    let host_port = auth_host.rsplit('@').next().unwrap();
    let (host, port) = host_port.split_once(':').unwrap();
    format!(
        "host={host} port={port} dbname={}",
        db.split('?').next().unwrap()
    )
}

/// Appends one row to the security table of RELIABILITY.md (CXONE_SECURITY_OUT, default
/// target/reliability/security.tsv). Call it after the assertions: only a failed attack is
/// recorded.
pub fn record_attack(attack: &str, who: &str, expected: &str, result: &str) {
    use std::io::Write;
    let path = std::env::var("CXONE_SECURITY_OUT").unwrap_or_else(|_| {
        format!(
            "{}/../../target/reliability/security.tsv",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let path = std::path::Path::new(&path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    let line = format!(
        "{}\t{}\t{}\t{}\n",
        clean(attack),
        clean(who),
        clean(expected),
        clean(result)
    );
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .expect("write the security results file");
}

/// The SQLSTATE of a failed statement, or "ok".
pub fn outcome_of(r: Result<(), postgres::Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => e
            .code()
            .map(|c| c.code().to_string())
            .unwrap_or_else(|| e.to_string()),
    }
}
