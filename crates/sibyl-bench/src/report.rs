//! The result of a run: throughput, latency percentiles, errors by code; as text or JSON.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::cli::{Cli, KeyDist, KeyType, Workload};
use crate::engine::{ErrorKey, Stats};
use crate::protocol::error_name;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub workload: Workload,
    pub target: String,
    pub connections: usize,
    pub concurrency: usize,
    pub threads: usize,
    pub warmup_s: f64,
    /// Set when the run was bounded by time.
    pub duration_s: Option<f64>,
    /// Set when the run was bounded by a request count.
    pub requests: Option<u64>,
    pub value_size: usize,
    pub keys: u64,
    pub key_dist: KeyDist,
    pub key_type: KeyType,
    pub read_ratio: Option<f64>,
    /// Successful measured requests.
    pub ops: u64,
    /// Failed measured requests (server errors, timeouts, lost connections).
    pub errors: u64,
    /// From the end of the warm-up to the last measured answer.
    pub elapsed_s: f64,
    pub ops_per_sec: f64,
    pub latency_us: Latency,
    /// Mixed workload only: the reads and the inserts on their own.
    pub reads: Option<OpSummary>,
    pub writes: Option<OpSummary>,
    /// Reads that found no row (read and mixed workloads).
    pub read_misses: Option<u64>,
    pub error_counts: Vec<ErrorReport>,
    pub connection_failures: Vec<String>,
    /// The key loading that preceded a read or mixed run.
    pub load: Option<LoadSummary>,
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpSummary {
    pub ops: u64,
    pub ops_per_sec: f64,
    pub latency_us: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    /// The protocol error code (`0x2200`), or `client` for client-side failures.
    pub code: String,
    /// Cassandra's name of the code, or the client-side reason (`timeout`, `connection lost`, ...).
    pub name: String,
    pub count: u64,
    /// The first message seen.
    pub sample: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadSummary {
    pub keys: u64,
    pub elapsed_s: f64,
    pub ops_per_sec: f64,
    pub errors: u64,
}

fn micros(ns: f64) -> f64 {
    (ns / 100.0).round() / 10.0
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let q = |q: f64| micros(h.value_at_quantile(q) as f64);
        Latency {
            min: micros(h.min() as f64),
            mean: micros(h.mean()),
            p50: q(0.50),
            p90: q(0.90),
            p99: q(0.99),
            p999: q(0.999),
            max: micros(h.max() as f64),
        }
    }
}

fn per_sec(count: u64, elapsed: f64) -> f64 {
    if elapsed > 0.0 {
        (count as f64 / elapsed).round()
    } else {
        0.0
    }
}

/// Seconds from `from` to the last measured answer in `stats` (0 if none).
pub fn elapsed_since(from: Instant, stats: &Stats) -> f64 {
    stats.last_done.map_or(Duration::ZERO, |t| t.saturating_duration_since(from)).as_secs_f64()
}

impl Report {
    pub fn new(cli: &Cli, stats: &Stats, measure_from: Instant, load: Option<LoadSummary>) -> Report {
        let elapsed = elapsed_since(measure_from, stats);
        let mixed = cli.workload == Workload::Mixed;
        let summary = |h: &Histogram<u64>| OpSummary {
            ops: h.len(),
            ops_per_sec: per_sec(h.len(), elapsed),
            latency_us: Latency::of(h),
        };
        let error_counts = stats
            .errors
            .iter()
            .map(|(key, e)| {
                let (code, name) = match key {
                    ErrorKey::Server(code) => (format!("{code:#06x}"), error_name(*code).to_string()),
                    ErrorKey::Client(reason) => ("client".to_string(), reason.to_string()),
                };
                ErrorReport { code, name, count: e.count, sample: e.sample.clone() }
            })
            .collect();
        Report {
            workload: cli.workload,
            target: format!("{}:{}", cli.host, cli.port),
            connections: cli.connections,
            concurrency: cli.concurrency,
            threads: cli.threads,
            warmup_s: cli.warmup.as_secs_f64(),
            duration_s: cli.requests.is_none().then_some(cli.duration.as_secs_f64()),
            requests: cli.requests,
            value_size: cli.value_size,
            keys: cli.keys,
            key_dist: cli.key_dist,
            key_type: cli.key_type,
            read_ratio: mixed.then_some(cli.read_ratio),
            ops: stats.ok,
            errors: stats.error_total(),
            elapsed_s: (elapsed * 1000.0).round() / 1000.0,
            ops_per_sec: per_sec(stats.ok, elapsed),
            latency_us: Latency::of(&stats.all),
            reads: mixed.then(|| summary(&stats.reads)),
            writes: mixed.then(|| summary(&stats.writes)),
            read_misses: cli.workload.reads().then_some(stats.misses),
            error_counts,
            connection_failures: stats.failures.clone(),
            load,
        }
    }

    /// Whether the run went wrong as a whole: a connection failed or nothing succeeded.
    pub fn failed(&self) -> bool {
        !self.connection_failures.is_empty() || self.ops == 0
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let bound = match (self.requests, self.duration_s) {
            (Some(n), _) => format!("{n} requests"),
            (None, Some(d)) => format!("{d} s"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "sibyl-bench {} on {}: {} connections, {} in flight, {} client thread(s), warm-up {} s, {bound}",
            self.workload.name(),
            self.target,
            self.connections,
            self.concurrency,
            self.threads,
            self.warmup_s
        );
        if let Some(load) = &self.load {
            let _ = writeln!(
                out,
                "load         {} keys in {:.2} s ({} ops/s, {} errors)",
                load.keys, load.elapsed_s, load.ops_per_sec, load.errors
            );
        }
        let _ = writeln!(out, "throughput   {} ops/s ({} ops in {:.2} s)", self.ops_per_sec, self.ops, self.elapsed_s);
        let _ = writeln!(out, "latency us   {}", latency_line(&self.latency_us));
        for (name, op) in [("reads", &self.reads), ("writes", &self.writes)] {
            if let Some(op) = op {
                let _ = writeln!(
                    out,
                    "{name:<12} {} ops/s ({} ops), latency us {}",
                    op.ops_per_sec,
                    op.ops,
                    latency_line(&op.latency_us)
                );
            }
        }
        if let Some(misses) = self.read_misses {
            let _ = writeln!(out, "read misses  {misses}");
        }
        let _ = writeln!(out, "errors       {}", self.errors);
        for e in &self.error_counts {
            let _ = writeln!(out, "  {:>10} x {} {}: {}", e.count, e.code, e.name, e.sample);
        }
        for f in &self.connection_failures {
            let _ = writeln!(out, "connection failed: {f}");
        }
        out
    }
}

fn latency_line(l: &Latency) -> String {
    format!(
        "p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}  max {:.1}  (mean {:.1}, min {:.1})",
        l.p50, l.p90, l.p99, l.p999, l.max, l.mean, l.min
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn report_from_stats() {
        let cli = Cli::parse_from(["sibyl-bench", "--workload", "mixed", "--requests", "3"]);
        let start = Instant::now();
        let mut stats = Stats::default();
        for us in [100, 200, 300] {
            stats.all.saturating_record(us * 1000);
            stats.reads.saturating_record(us * 1000);
        }
        stats.ok = 3;
        stats.misses = 1;
        stats.last_done = Some(start + Duration::from_millis(1500));
        let report = Report::new(&cli, &stats, start, None);
        assert_eq!(report.ops, 3);
        assert_eq!(report.ops_per_sec, 2.0);
        assert_eq!(report.elapsed_s, 1.5);
        assert!((report.latency_us.p50 - 200.0).abs() < 1.0);
        assert!((report.latency_us.max - 300.0).abs() < 1.0);
        assert_eq!(report.reads.as_ref().map(|r| r.ops), Some(3));
        assert_eq!(report.writes.as_ref().map(|w| w.ops), Some(0));
        assert_eq!(report.read_misses, Some(1));
        assert!(!report.failed());
        let json: serde_json::Value = serde_json::to_value(&report).unwrap();
        assert_eq!(json["workload"], "mixed");
        assert_eq!(json["requests"], 3);
        assert!(json["duration_s"].is_null());
        let text = report.to_text();
        assert!(text.contains("throughput   2 ops/s (3 ops in 1.50 s)"), "{text}");
    }

    #[test]
    fn empty_run_fails() {
        let cli = Cli::parse_from(["sibyl-bench", "--workload", "ping"]);
        let report = Report::new(&cli, &Stats::default(), Instant::now(), None);
        assert_eq!((report.ops, report.ops_per_sec), (0, 0.0));
        assert!(report.failed());
        assert_eq!(report.read_misses, None);
    }
}
