//! Command-line flags and their validation.

use std::time::Duration;

use clap::{Parser, ValueEnum};

/// The most requests one connection can have in flight: the v4 stream ids 0..=32767.
pub const MAX_STREAMS_PER_CONNECTION: usize = 32768;
/// The largest `--value-size`: comfortably under the protocol's 256 MiB frame limit.
pub const MAX_VALUE_SIZE: usize = 64 * 1024 * 1024;

/// A CQL native-protocol (v4) load generator for Sibyl (or any Cassandra-compatible server).
///
/// Opens `--connections` connections to one host, keeps `--concurrency` requests in flight in total
/// (pipelined by stream id on each connection), and reports throughput and latency percentiles.
/// The insert/read/mixed workloads use the table `sibyl_bench.kv`, which it creates.
#[derive(Debug, Clone, Parser)]
#[command(name = "sibyl-bench", version)]
pub struct Cli {
    /// Server address (name or IP); the bench connects to this host only.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// CQL native transport port.
    #[arg(long, default_value_t = 9042)]
    pub port: u16,

    /// Connections to open.
    #[arg(long, default_value_t = 4)]
    pub connections: usize,

    /// Requests in flight in total, spread evenly over the connections.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,

    /// How long to measure (after the warm-up), e.g. `10s`, `500ms`, `2m`. Ignored with --requests.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Measure this many requests (after the warm-up) instead of a duration.
    #[arg(long)]
    pub requests: Option<u64>,

    /// Run the workload unmeasured this long first.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,

    /// What to send.
    #[arg(long, value_enum, default_value_t = Workload::Insert)]
    pub workload: Workload,

    /// Size in bytes of the blob written by inserts.
    #[arg(long, default_value_t = 100)]
    pub value_size: usize,

    /// Key space: keys are drawn from 0..N; read and mixed load these N keys first.
    #[arg(long, default_value_t = 100_000)]
    pub keys: u64,

    /// How keys are chosen: uniformly at random in 0..N, or 0, 1, 2, ... (reads wrap at N,
    /// inserts never repeat a key).
    #[arg(long, value_enum, default_value_t = KeyDist::Random)]
    pub key_dist: KeyDist,

    /// CQL type of the key column `k`.
    #[arg(long, value_enum, default_value_t = KeyType::Bigint)]
    pub key_type: KeyType,

    /// Fraction of reads in the mixed workload.
    #[arg(long, default_value_t = 0.5)]
    pub read_ratio: f64,

    /// Drop the keyspace sibyl_bench first (fresh table).
    #[arg(long)]
    pub drop: bool,

    /// read/mixed: do not load the keys first (they were loaded by an earlier run).
    #[arg(long)]
    pub skip_load: bool,

    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,

    /// Client threads (1: a single-threaded runtime, like redis-benchmark's default).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,

    /// A connection with requests in flight that receives nothing for this long gives up on them
    /// (counted as timeouts); also bounds connecting.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Seed of the key and value generator.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Prepared INSERT INTO sibyl_bench.kv (k, v) VALUES (?, ?).
    Insert,
    /// Prepared SELECT v FROM sibyl_bench.kv WHERE k = ?, over keys loaded first.
    Read,
    /// Reads and inserts, --read-ratio of them reads.
    Mixed,
    /// OPTIONS round trips: the protocol ceiling, no storage involved.
    Ping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyDist {
    Random,
    Seq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Int,
    Bigint,
}

impl KeyType {
    pub fn cql(self) -> &'static str {
        match self {
            KeyType::Int => "int",
            KeyType::Bigint => "bigint",
        }
    }
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Insert => "insert",
            Workload::Read => "read",
            Workload::Mixed => "mixed",
            Workload::Ping => "ping",
        }
    }

    /// Whether it uses the table (and so needs the schema and prepared statements).
    pub fn uses_table(self) -> bool {
        self != Workload::Ping
    }

    /// Whether it reads keys that must be loaded first.
    pub fn reads(self) -> bool {
        matches!(self, Workload::Read | Workload::Mixed)
    }
}

impl Cli {
    /// Checks what clap cannot: relations between flags and ranges.
    pub fn validate(&self) -> Result<(), String> {
        if self.connections == 0 {
            return Err("--connections must be at least 1".into());
        }
        if self.concurrency < self.connections {
            return Err(format!(
                "--concurrency ({}) must be at least --connections ({}): each connection needs a request in flight",
                self.concurrency, self.connections
            ));
        }
        if self.concurrency.div_ceil(self.connections) > MAX_STREAMS_PER_CONNECTION {
            return Err(format!(
                "--concurrency {} over {} connections exceeds {MAX_STREAMS_PER_CONNECTION} streams per connection",
                self.concurrency, self.connections
            ));
        }
        if self.requests == Some(0) {
            return Err("--requests must be at least 1".into());
        }
        if self.requests.is_none() && self.duration.is_zero() {
            return Err("--duration must be more than 0".into());
        }
        if self.threads == 0 {
            return Err("--threads must be at least 1".into());
        }
        if self.timeout.is_zero() {
            return Err("--timeout must be more than 0".into());
        }
        if !(0.0..=1.0).contains(&self.read_ratio) {
            return Err(format!("--read-ratio must be between 0 and 1, not {}", self.read_ratio));
        }
        if self.value_size > MAX_VALUE_SIZE {
            return Err(format!("--value-size must be at most {MAX_VALUE_SIZE}"));
        }
        if self.keys == 0 {
            return Err("--keys must be at least 1".into());
        }
        let key_limit = match self.key_type {
            KeyType::Int => 1u64 << 31,
            KeyType::Bigint => 1u64 << 63,
        };
        if self.keys > key_limit {
            return Err(format!("--keys {} does not fit --key-type {}", self.keys, self.key_type.cql()));
        }
        Ok(())
    }
}

/// Parses `10s`, `1.5s`, `250ms`, `2m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("invalid duration {s:?} (examples: 10s, 500ms, 2m)"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1e3,
        "us" => value / 1e6,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown duration unit {other:?} in {s:?} (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("duration {s:?} out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("sibyl-bench").chain(args.iter().copied()))
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.host, "127.0.0.1");
        assert_eq!(cli.port, 9042);
        assert_eq!(cli.connections, 4);
        assert_eq!(cli.concurrency, 64);
        assert_eq!(cli.duration, Duration::from_secs(10));
        assert_eq!(cli.requests, None);
        assert_eq!(cli.warmup, Duration::from_secs(2));
        assert_eq!(cli.workload, Workload::Insert);
        assert_eq!(cli.value_size, 100);
        assert_eq!(cli.keys, 100_000);
        assert_eq!(cli.key_dist, KeyDist::Random);
        assert_eq!(cli.key_type, KeyType::Bigint);
        assert_eq!(cli.read_ratio, 0.5);
        assert!(!cli.drop && !cli.skip_load && !cli.json);
        assert_eq!(cli.threads, 1);
        cli.validate().unwrap();
    }

    #[test]
    fn all_flags() {
        let cli = parse(&[
            "--host",
            "localhost",
            "--port",
            "19142",
            "--connections",
            "2",
            "--concurrency",
            "8",
            "--requests",
            "1000",
            "--warmup",
            "500ms",
            "--workload",
            "mixed",
            "--value-size",
            "10",
            "--keys",
            "50",
            "--key-dist",
            "seq",
            "--key-type",
            "int",
            "--read-ratio",
            "0.9",
            "--drop",
            "--skip-load",
            "--json",
            "--threads",
            "2",
            "--timeout",
            "1m",
            "--seed",
            "7",
        ])
        .unwrap();
        assert_eq!((cli.host.as_str(), cli.port, cli.connections, cli.concurrency), ("localhost", 19142, 2, 8));
        assert_eq!(cli.requests, Some(1000));
        assert_eq!(cli.warmup, Duration::from_millis(500));
        assert_eq!((cli.workload, cli.key_dist, cli.key_type), (Workload::Mixed, KeyDist::Seq, KeyType::Int));
        assert_eq!((cli.value_size, cli.keys, cli.read_ratio), (10, 50, 0.9));
        assert!(cli.drop && cli.skip_load && cli.json);
        assert_eq!((cli.threads, cli.timeout, cli.seed), (2, Duration::from_secs(60), 7));
        cli.validate().unwrap();
    }

    #[test]
    fn workloads_parse() {
        for (name, w) in [
            ("insert", Workload::Insert),
            ("read", Workload::Read),
            ("mixed", Workload::Mixed),
            ("ping", Workload::Ping),
        ] {
            assert_eq!(parse(&["--workload", name]).unwrap().workload, w);
            assert_eq!(w.name(), name);
        }
        assert!(parse(&["--workload", "scan"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }

    #[test]
    fn validation_errors() {
        let bad = |args: &[&str]| parse(args).unwrap().validate().unwrap_err();
        assert!(bad(&["--connections", "0"]).contains("--connections"));
        assert!(bad(&["--connections", "8", "--concurrency", "4"]).contains("--concurrency"));
        assert!(bad(&["--connections", "1", "--concurrency", "40000"]).contains("streams per connection"));
        assert!(bad(&["--read-ratio", "1.5"]).contains("--read-ratio"));
        assert!(bad(&["--requests", "0"]).contains("--requests"));
        assert!(bad(&["--duration", "0s"]).contains("--duration"));
        assert!(bad(&["--keys", "0"]).contains("--keys"));
        assert!(bad(&["--key-type", "int", "--keys", "3000000000"]).contains("--key-type"));
        assert!(bad(&["--threads", "0"]).contains("--threads"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("1e999").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
