//! TLS to PostgreSQL as libpq's `sslmode` and `sslrootcert` in DATABASE_URL ask, with the
//! OpenSSL that reqwest already links (native-tls). tokio-postgres knows only
//! disable/prefer/require and no `sslrootcert`, so both are taken out of the connection string
//! here and carried out by the connector:
//!
//! | sslmode | encrypted | the server's certificate |
//! |---|---|---|
//! | `disable` | never | |
//! | `allow`, `prefer` (default) | when the server offers TLS | not checked |
//! | `require` | always | not checked; with `sslrootcert`, checked as `verify-ca` (as libpq) |
//! | `verify-ca` | always | signed by `sslrootcert` |
//! | `verify-full` | always | signed by `sslrootcert`, for the host connected to |
//!
//! `sslrootcert=system` trusts the system's CAs. Connections over a Unix socket never use TLS.

use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The TLS a connection string asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// The connection string without `sslmode` and `sslrootcert` (for tokio-postgres to parse),
/// and the TLS they ask for. Both forms: `postgres://...?sslmode=...` and `key=value ...`.
pub fn split(conn: &str) -> Result<(String, Tls), String> {
    let url = ["postgresql://", "postgres://"]
        .into_iter()
        .find(|p| conn.starts_with(p));
    let (rest, pairs) = match url {
        Some(prefix) => split_url(prefix, &conn[prefix.len()..])?,
        None => split_key_values(conn)?,
    };
    let mut tls = Tls {
        mode: SslMode::Prefer,
        root_cert: None,
    };
    for (key, value) in pairs {
        match key.as_str() {
            "sslmode" => {
                tls.mode = match value.as_str() {
                    "disable" => SslMode::Disable,
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => return Err(format!(
                        "sslmode={other} in DATABASE_URL: use disable, prefer, require, verify-ca or verify-full"
                    )),
                }
            }
            "sslrootcert" => tls.root_cert = Some(PathBuf::from(value)),
            _ => {
                return Err(format!(
                    "{key} in DATABASE_URL: client certificates are not supported by cxone-sidecar; \
                     authenticate with a password over TLS (sslmode=verify-full&sslrootcert=<CA file>)"
                ))
            }
        }
    }
    Ok((rest, tls))
}

/// Keys taken out of the connection string; the client-certificate ones only to refuse them.
const TAKEN: &[&str] = &["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// `postgres://user:pw@host/db?a=1&sslmode=...`: the query parameters are after the first `?`
/// that follows the credentials, as tokio-postgres reads them.
fn split_url(prefix: &str, body: &str) -> Result<(String, Vec<(String, String)>), String> {
    let after_credentials = body.find('@').map_or(0, |i| i + 1);
    let Some(q) = body[after_credentials..]
        .find('?')
        .map(|i| i + after_credentials)
    else {
        return Ok((format!("{prefix}{body}"), Vec::new()));
    };
    let (mut kept, mut taken) = (Vec::new(), Vec::new());
    for param in body[q + 1..].split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let key = percent_decode(key)?;
        if TAKEN.contains(&key.as_str()) {
            taken.push((key, percent_decode(value)?));
        } else {
            kept.push(param);
        }
    }
    let mut rest = format!("{prefix}{}", &body[..q]);
    if !kept.is_empty() {
        rest = format!("{rest}?{}", kept.join("&"));
    }
    Ok((rest, taken))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else {
                return Err(format!(
                    "DATABASE_URL has a malformed %-escape in a parameter: {s}"
                ));
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "DATABASE_URL has a parameter that is not UTF-8".into())
}

/// `host=h dbname=d sslmode='verify-full'`: libpq's key/value form, values bare or in single
/// quotes, with backslash escapes. The kept pairs are written back quoted.
fn split_key_values(conn: &str) -> Result<(String, Vec<(String, String)>), String> {
    let mut chars = conn.chars().peekable();
    let (mut kept, mut taken) = (Vec::new(), Vec::new());
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!(
                "DATABASE_URL: expected key=value after {key:?} (or use postgres://...)"
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        let quoted = chars.next_if_eq(&'\'').is_some();
        loop {
            match chars.next() {
                Some('\\') => value.extend(chars.next()),
                Some('\'') if quoted => break,
                Some(c) if !quoted && c.is_whitespace() => break,
                Some(c) => value.push(c),
                None if quoted => {
                    return Err("DATABASE_URL: a quoted value is not closed".into());
                }
                None => break,
            }
        }
        if TAKEN.contains(&key.as_str()) {
            taken.push((key, value));
        } else {
            let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
            kept.push(format!("{key}='{escaped}'"));
        }
    }
    Ok((kept.join(" "), taken))
}

impl Tls {
    /// What tokio-postgres negotiates: whether TLS is attempted, and whether it is a must.
    pub fn negotiation(&self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode as Negotiate;
        match self.mode {
            SslMode::Disable => Negotiate::Disable,
            SslMode::Prefer => Negotiate::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Negotiate::Require,
        }
    }

    /// The connector, or None for `disable`.
    pub fn connector(&self) -> Result<Option<postgres_native_tls::MakeTlsConnector>, String> {
        let verify = match self.mode {
            SslMode::Disable => return Ok(None),
            SslMode::Prefer => false,
            SslMode::Require => self.root_cert.is_some(),
            SslMode::VerifyCa | SslMode::VerifyFull => true,
        };
        let mut builder = native_tls::TlsConnector::builder();
        if !verify {
            builder
                .danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true);
        } else {
            match self.root_cert.as_deref() {
                None => {
                    return Err(format!(
                        "sslmode={} needs sslrootcert=<file of the CA that signed the server's certificate> in DATABASE_URL (or sslrootcert=system for the system's CAs)",
                        if self.mode == SslMode::VerifyCa { "verify-ca" } else { "verify-full" }
                    ))
                }
                Some(p) if p.as_os_str() == "system" => {}
                Some(path) => {
                    for cert in read_pem_certificates(path)? {
                        builder.add_root_certificate(cert);
                    }
                    builder.disable_built_in_roots(true);
                }
            }
            if self.mode != SslMode::VerifyFull {
                builder.danger_accept_invalid_hostnames(true);
            }
        }
        let connector = builder
            .build()
            .map_err(|e| format!("cannot set up TLS to the database: {e}"))?;
        Ok(Some(postgres_native_tls::MakeTlsConnector::new(connector)))
    }
}

/// Every certificate of a PEM file (a CA bundle may hold several).
fn read_pem_certificates(path: &std::path::Path) -> Result<Vec<native_tls::Certificate>, String> {
    let what = || format!("sslrootcert {} (in DATABASE_URL)", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", what()))?;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    let certs: Vec<_> = text
        .match_indices(BEGIN)
        .map(|(start, _)| {
            let end = text[start..]
                .find("-----END CERTIFICATE-----")
                .map_or(text.len(), |e| {
                    start + e + "-----END CERTIFICATE-----".len()
                });
            native_tls::Certificate::from_pem(&text.as_bytes()[start..end])
                .map_err(|e| format!("{} holds a certificate that cannot be read: {e}", what()))
        })
        .collect::<Result<_, _>>()?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", what()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_settings_are_taken_out_of_both_forms() {
        let tls = |mode, root: Option<&str>| Tls {
            mode,
            root_cert: root.map(PathBuf::from),
        };
        let cases = [
            (
                "postgres://u:p@h:5432/db",
                "postgres://u:p@h:5432/db",
                tls(SslMode::Prefer, None),
            ),
            (
                "postgres://u:p@h/db?sslmode=verify-full&sslrootcert=/etc/ca%20dir/ca.pem",
                "postgres://u:p@h/db",
                tls(SslMode::VerifyFull, Some("/etc/ca dir/ca.pem")),
            ),
            (
                "postgresql://u:p%3F@h/db?application_name=x&sslmode=require&connect_timeout=3",
                "postgresql://u:p%3F@h/db?application_name=x&connect_timeout=3",
                tls(SslMode::Require, None),
            ),
            // A '?' in the password (where it must be escaped anyway) is not the query.
            (
                "postgres://u:a?b@h/db?sslmode=disable",
                "postgres://u:a?b@h/db",
                tls(SslMode::Disable, None),
            ),
            (
                "host=h dbname=db sslmode = verify-ca sslrootcert='/c/my ca.pem' password='it\\'s'",
                "host='h' dbname='db' password='it\\'s'",
                tls(SslMode::VerifyCa, Some("/c/my ca.pem")),
            ),
            (
                "host=/tmp sslmode=allow",
                "host='/tmp'",
                tls(SslMode::Prefer, None),
            ),
        ];
        for (given, rest, want) in cases {
            assert_eq!(split(given), Ok((rest.to_string(), want)), "{given}");
        }
        for (given, says) in [
            (
                "postgres://h/db?sslmode=verify",
                "sslmode=verify in DATABASE_URL",
            ),
            ("postgres://h/db?sslcert=/c.pem", "client certificates"),
            ("host=h sslkey=/k.pem", "client certificates"),
            ("host=h password='open", "not closed"),
            ("postgres://h/db?sslrootcert=%zz", "%-escape"),
        ] {
            let e = split(given).unwrap_err();
            assert!(e.contains(says), "{given}: {e}");
        }
    }

    #[test]
    fn what_rest_keeps_tokio_postgres_can_parse() {
        let (rest, _) = split("host=h user='a b' password='x\\\\y' sslmode=require").unwrap();
        let config: tokio_postgres::Config = rest.parse().unwrap();
        assert_eq!(config.get_user(), Some("a b"));
        assert_eq!(config.get_password(), Some(&b"x\\y"[..]));
    }

    #[test]
    fn verification_needs_a_ca_that_can_be_read() {
        let verify = |mode, root: Option<&str>| {
            Tls {
                mode,
                root_cert: root.map(PathBuf::from),
            }
            .connector()
            .map(|c| c.is_some())
        };
        assert_eq!(verify(SslMode::Disable, None), Ok(false));
        assert_eq!(verify(SslMode::Prefer, None), Ok(true));
        assert_eq!(verify(SslMode::Require, None), Ok(true));
        assert_eq!(verify(SslMode::VerifyFull, Some("system")), Ok(true));
        let e = verify(SslMode::VerifyFull, None).unwrap_err();
        assert!(e.contains("sslrootcert="), "{e}");
        let e = verify(SslMode::VerifyCa, Some("/nonexistent/ca.pem")).unwrap_err();
        assert!(
            e.contains("cannot read sslrootcert /nonexistent/ca.pem"),
            "{e}"
        );
        let empty = std::env::temp_dir().join(format!("cxone-empty-ca-{}", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = verify(SslMode::VerifyCa, empty.to_str()).unwrap_err();
        assert!(e.contains("no PEM certificate"), "{e}");
        std::fs::remove_file(&empty).unwrap();
    }
}
