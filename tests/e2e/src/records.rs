//! The reliability suite's records: each scenario's row of RELIABILITY.md, and the counts and
//! measurements it is made of.

use postgres::Client;

/// One row of RELIABILITY.md: what a reliability scenario did and what it lost or duplicated.
pub struct Record<'a> {
    pub scenario: &'a str,
    pub load: String,
    pub faults: String,
    pub lost: i64,
    pub duplicated: i64,
    pub notes: String,
}

/// Appends a scenario's result to the run's results file (CXONE_RELIABILITY_OUT, default
/// target/reliability/results.tsv), which scripts/reliability-report.sh turns into
/// RELIABILITY.md. Call it after the assertions, so only a passing scenario is recorded.
pub fn record(r: Record) {
    use std::io::Write;
    let path = std::env::var("CXONE_RELIABILITY_OUT").unwrap_or_else(|_| {
        format!(
            "{}/../../target/reliability/results.tsv",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let path = std::path::Path::new(&path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let clean = |s: &str| s.replace(['\t', '\n'], " ");
    let line = format!(
        "{}\t{}\t{}\t{}\t{}\t{}\n",
        clean(r.scenario),
        clean(&r.load),
        clean(&r.faults),
        r.lost,
        r.duplicated,
        clean(&r.notes)
    );
    // One write per line with O_APPEND: parallel tests do not interleave.
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the reliability results file");
    f.write_all(line.as_bytes())
        .expect("write the reliability results file");
}

/// Rows of the conversations queued so far that did not end embedded (lost), and embedded
/// rows beyond one per conversation chunk (duplicated).
pub fn lost_and_duplicated(client: &mut Client) -> (i64, i64) {
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE status <> 'embedded' OR embedding IS NULL),
                    count(*) FILTER (WHERE status = 'embedded')
                    - count(DISTINCT (conversation_id, chunk_index, target_model)) FILTER (WHERE status = 'embedded')
               FROM conversation_embeddings WHERE status <> 'superseded'",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Peak resident memory of a running process, in MiB (VmHWM).
pub fn peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
