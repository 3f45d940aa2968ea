//! `cxone-sidecar check`: database, the extension's queue protocol, provider (and its dimensions), CXone
//! credentials. Each line says what was checked; the first failure says what to fix.

use crate::config::Config;
use crate::cxone_auth::TokenManager;
use crate::db;
use crate::provider::{AnyProvider, Provider};
use crate::queue;

pub async fn run(cfg: &Config) -> Result<(), String> {
    let url = cfg.database_url()?;
    let conn = db::connect(url, false).await?;
    println!("ok   database: connected");
    queue::check_protocol(&conn.client)
        .await
        .map_err(|e| format!("cannot read the extension's queue protocol: {e}"))??;
    let version = queue::extension_version(&conn.client)
        .await
        .map_err(|e| format!("cannot read pg_extension: {e}"))?
        .unwrap_or_default();
    println!(
        "ok   extension: cxone_vector {version}, queue protocol {}",
        queue::PROTOCOL
    );
    let provider = AnyProvider::from_config(&cfg.provider)?;
    let v = provider
        .embed(vec!["cxone-sidecar check".into()])
        .await
        .map_err(|e| format!("provider {}: {e}", provider.model()))?;
    let dims = v.first().map_or(0, Vec::len);
    if let Some(want) = provider.dimensions() {
        if dims != want {
            return Err(format!(
                "provider {} returned {dims} dimensions, expected {want}",
                provider.model()
            ));
        }
    }
    println!(
        "ok   provider: {} answers with {dims} dimensions",
        provider.model()
    );
    let state: Option<String> = conn
        .client
        .query_opt(
            "SELECT state FROM cxone_models WHERE model = $1",
            &[&provider.model()],
        )
        .await
        .map_err(|e| format!("cannot read cxone_models: {e}"))?
        .map(|r| r.get(0));
    match state {
        Some(s) => println!("ok   model {} is {s} in cxone_models", provider.model()),
        None => {
            return Err(format!(
                "model {} is neither active nor being built, so no rows are queued for it: run SELECT cxone_reembed('{}', {dims}) to switch to it",
                provider.model(),
                provider.model()
            ))
        }
    }
    if cfg.cxone.cxone_issuer.is_some() || cfg.cxone.cxone_token_url.is_some() {
        TokenManager::new(&cfg.cxone)
            .token()
            .await
            .map_err(|e| e.to_string())?;
        println!("ok   CXone: token obtained");
    } else {
        println!("skip CXone: no CXONE_ISSUER (or CXONE_TOKEN_URL) configured");
    }
    Ok(())
}
