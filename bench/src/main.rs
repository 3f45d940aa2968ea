//! `cxone-bench`: the benchmarks of BENCHMARKS.md. Each measures cxone_vector and its baselines
//! in the same run, on the cluster bench/run.sh starts, and writes bench/results/<name>.json;
//! bench/report.py turns those into BENCHMARKS.md and bench/chart.png.

mod candle_plain;
mod ingest;
mod latency;
mod local;
mod measure;
mod messages;
mod payloads;
mod pipeline;
mod plpgsql;
mod retrieval;
mod search;
mod search_quality;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Which {
    Ingest,
    Pipeline,
    Latency,
    Local,
    Search,
    Retrieval,
    /// cxone_search's modes on Banking77 (boilerplate in and out) and the identifier set.
    SearchQuality,
    /// CXone message events into assembled conversations.
    Messages,
    All,
    /// The plain candle baseline of `local`, run by it in a separate process.
    CandlePlain,
}

/// Runs the benchmarks against the cluster in CXONE_TEST_DATABASE_URL (bench/run.sh sets it
/// up) with the release sidecar in CXONE_SIDECAR_BIN.
#[derive(Parser)]
struct Args {
    /// Which benchmark.
    #[arg(value_enum, default_value = "all")]
    which: Which,
    /// Where the JSON results go.
    #[arg(long, default_value = "bench/results")]
    out: String,
    /// Conversations per benchmark.
    #[arg(long, default_value_t = 10_000)]
    n: usize,
}

fn main() {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out).expect("create the results directory");
    let save = |name: &str, v: serde_json::Value| {
        let path = format!("{}/{name}.json", args.out);
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        println!("{name}: {v}\n(saved {path})");
    };
    let all = args.which == Which::All;
    if all || args.which == Which::Ingest {
        save("ingest", ingest::run(args.n));
    }
    if all || args.which == Which::Pipeline {
        save("pipeline", pipeline::run(args.n));
    }
    if all || args.which == Which::Latency {
        save("latency", latency::run());
    }
    if args.which == Which::CandlePlain {
        candle_plain::run(&local::sentences());
        return;
    }
    if all || args.which == Which::Local {
        save("local", local::run());
    }
    if all || args.which == Which::Search {
        save("search", search::run());
    }
    if all || args.which == Which::Retrieval {
        save("retrieval", retrieval::run());
    }
    if all || args.which == Which::SearchQuality {
        save("search_quality", search_quality::run());
    }
    if all || args.which == Which::Messages {
        save("messages", messages::run(args.n * 10));
    }
}
