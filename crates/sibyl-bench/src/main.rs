//! `sibyl-bench`: a load generator that speaks the CQL native protocol (v4) over its own minimal
//! tokio client, with no dependency on the server's crates.
//!
//! This crate owns the benchmark tool and nothing else: the frames it sends and reads
//! (`protocol`), connections and set-up requests (`conn`), the pipelined request loop and its
//! measurements (`engine`), a whole run — schema, prepared statements, key loading, warm-up,
//! measurement (`run`) — and the report (`report`). How to use it and the figures measured with it
//! are in `docs/benchmarks.md`.
//!
//! Every request loop is bounded by a deadline or a request count and ends by itself; a server
//! that stops answering ends it after `--timeout`. It connects only to `--host`.

mod cli;
mod conn;
mod engine;
mod protocol;
mod report;
mod run;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(message) = cli.validate() {
        eprintln!("sibyl-bench: {message}");
        return ExitCode::from(2);
    }
    let runtime = if cli.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(cli.threads).enable_all().build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sibyl-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut log = |line: &str| eprintln!("sibyl-bench: {line}");
    let report = match runtime.block_on(run::run(&cli, &mut log)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("sibyl-bench: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let out = if cli.json {
        match serde_json::to_string(&report) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("sibyl-bench: encoding the report: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        report.to_text()
    };
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        return ExitCode::FAILURE;
    }
    if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
