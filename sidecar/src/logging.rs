//! Log output: CXONE_LOG (default `info`) to stderr, with the crates that would log customer
//! data capped.

/// Crates whose debug output carries customer data: tokio-postgres logs every statement's
/// parameters (payloads, conversation text). They stay at `info` whatever CXONE_LOG says.
const QUIET: &[&str] = &["tokio_postgres", "postgres_protocol"];

/// Logs to stderr at the level CXONE_LOG sets.
pub fn init() {
    tracing_subscriber::fmt()
        .with_env_filter(filter(std::env::var("CXONE_LOG").ok().as_deref()))
        .with_writer(std::io::stderr)
        .init();
}

/// CXONE_LOG (default `info`) with the QUIET crates capped.
fn filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    let mut directives: Vec<String> = spec
        .unwrap_or("info")
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !QUIET.iter().any(|q| d.starts_with(q)))
        .map(String::from)
        .collect();
    directives.extend(QUIET.iter().map(|q| format!("{q}=info")));
    tracing_subscriber::EnvFilter::try_new(directives.join(",")).unwrap_or_else(|e| {
        eprintln!("cxone-sidecar: CXONE_LOG is not a valid filter ({e}); using info");
        tracing_subscriber::EnvFilter::new(
            QUIET
                .iter()
                .fold("info".to_string(), |s, q| s + "," + q + "=info"),
        )
    })
}
