//! A whole run: connect, create the schema and prepare, load keys for reads, warm up, measure.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::{Cli, KeyDist, Workload};
use crate::conn::{Conn, Prepared};
use crate::engine::{drive, Mix, Plan, Rng, Statements, Stats, Stop};
use crate::protocol::type_id;
use crate::report::{elapsed_since, LoadSummary, Report};

pub const KEYSPACE: &str = "sibyl_bench";
pub const TABLE: &str = "sibyl_bench.kv";

/// Connects, sets up and runs the workload `cli` describes; `log` receives progress lines.
pub async fn run(cli: &Cli, log: &mut dyn FnMut(&str)) -> Result<Report> {
    let addr = tokio::net::lookup_host((cli.host.as_str(), cli.port))
        .await
        .with_context(|| format!("resolving {}", cli.host))?
        .next()
        .ok_or_else(|| anyhow!("{} resolves to no address", cli.host))?;

    let mut conns = Vec::with_capacity(cli.connections);
    for _ in 0..cli.connections {
        conns.push(Conn::connect(addr, cli.timeout).await?);
    }

    let mut workers = Vec::with_capacity(conns.len());
    if cli.workload.uses_table() {
        if let Some(first) = conns.first_mut() {
            create_schema(first, cli).await?;
        }
        for mut conn in conns {
            let statements = prepare(&mut conn, cli).await?;
            workers.push((conn, statements));
        }
    } else {
        workers = conns.into_iter().map(|c| (c, Statements::default())).collect();
    }

    let mut rng = Rng::new(cli.seed);
    let mut value = vec![0u8; cli.value_size];
    rng.fill(&mut value);

    let mut load = None;
    if cli.workload.reads() && !cli.skip_load {
        log(&format!("loading {} keys into {TABLE} ...", cli.keys));
        let start = Instant::now();
        let plan = Plan::new(
            Mix::Insert,
            cli.keys,
            KeyDist::Seq,
            cli.key_type,
            value.clone(),
            start,
            Stop::Count { limit: cli.keys, issued: AtomicU64::new(0) },
        );
        let (back, stats) = phase(workers, Arc::new(plan), cli.concurrency, cli.seed ^ 0x10AD).await;
        workers = back;
        let elapsed = elapsed_since(start, &stats);
        let summary = LoadSummary {
            keys: cli.keys,
            elapsed_s: (elapsed * 1000.0).round() / 1000.0,
            ops_per_sec: if elapsed > 0.0 { (stats.ok as f64 / elapsed).round() } else { 0.0 },
            errors: stats.error_total(),
        };
        log(&format!(
            "loaded {} keys in {:.2} s ({} ops/s, {} errors)",
            stats.ok, summary.elapsed_s, summary.ops_per_sec, summary.errors
        ));
        if !stats.failures.is_empty() || stats.ok != cli.keys {
            let first = stats.errors.values().next().map(|e| e.sample.as_str()).unwrap_or("");
            let failures = stats.failures.join("; ");
            bail!("loading the keys failed: {} of {} written ({first}{failures})", stats.ok, cli.keys);
        }
        load = Some(summary);
    }

    let mix = match cli.workload {
        Workload::Ping => Mix::Ping,
        Workload::Insert => Mix::Insert,
        Workload::Read => Mix::Read,
        Workload::Mixed => Mix::Mixed(cli.read_ratio),
    };
    let measure_from = Instant::now() + cli.warmup;
    let stop = match cli.requests {
        Some(limit) => Stop::Count { limit, issued: AtomicU64::new(0) },
        None => Stop::Deadline(measure_from + cli.duration),
    };
    let plan = Plan::new(mix, cli.keys, cli.key_dist, cli.key_type, value, measure_from, stop);
    log(&format!(
        "running {} for {} after a {} s warm-up ...",
        cli.workload.name(),
        cli.requests.map_or_else(|| format!("{} s", cli.duration.as_secs_f64()), |n| format!("{n} requests")),
        cli.warmup.as_secs_f64()
    ));
    let (_, stats) = phase(workers, Arc::new(plan), cli.concurrency, cli.seed).await;
    Ok(Report::new(cli, &stats, measure_from, load))
}

/// Runs `plan` on every connection at once, `concurrency` requests in flight spread over them;
/// returns the connections still usable and the merged measurements.
async fn phase(
    workers: Vec<(Conn, Statements)>,
    plan: Arc<Plan>,
    concurrency: usize,
    seed: u64,
) -> (Vec<(Conn, Statements)>, Stats) {
    let n = workers.len().max(1);
    let mut tasks = Vec::with_capacity(workers.len());
    for (i, (mut conn, statements)) in workers.into_iter().enumerate() {
        let window = concurrency / n + usize::from(i < concurrency % n);
        let plan = Arc::clone(&plan);
        let mut rng = Rng::new(seed.wrapping_add(i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        tasks.push(tokio::spawn(async move {
            let stats = drive(&mut conn, &plan, &statements, window, &mut rng).await;
            let usable = stats.failures.is_empty();
            (usable.then_some((conn, statements)), stats)
        }));
    }
    let mut stats = Stats::default();
    let mut back = Vec::new();
    for task in tasks {
        match task.await {
            Ok((conn, s)) => {
                back.extend(conn);
                stats.merge(s);
            }
            Err(e) => stats.failures.push(format!("connection task failed: {e}")),
        }
    }
    (back, stats)
}

async fn create_schema(conn: &mut Conn, cli: &Cli) -> Result<()> {
    if cli.drop {
        conn.query(&format!("DROP KEYSPACE IF EXISTS {KEYSPACE}")).await?;
    }
    conn.query(&format!(
        "CREATE KEYSPACE IF NOT EXISTS {KEYSPACE} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
    ))
    .await?;
    conn.query(&format!("CREATE TABLE IF NOT EXISTS {TABLE} (k {} PRIMARY KEY, v blob)", cli.key_type.cql())).await?;
    Ok(())
}

/// Prepares the insert and the select on `conn` and checks their bind markers have the types the
/// bench sends.
async fn prepare(conn: &mut Conn, cli: &Cli) -> Result<Statements> {
    let key = match cli.key_type {
        crate::cli::KeyType::Int => type_id::INT,
        crate::cli::KeyType::Bigint => type_id::BIGINT,
    };
    let insert = conn.prepare(&format!("INSERT INTO {TABLE} (k, v) VALUES (?, ?)")).await?;
    check_bind_types(&insert, &[key, type_id::BLOB], cli)?;
    let select = conn.prepare(&format!("SELECT v FROM {TABLE} WHERE k = ?")).await?;
    check_bind_types(&select, &[key], cli)?;
    Ok(Statements { insert: insert.id, select: select.id })
}

fn check_bind_types(p: &Prepared, expected: &[u16], cli: &Cli) -> Result<()> {
    if p.bind_types != expected {
        bail!(
            "{TABLE} does not have the columns (k {}, v blob) (bind marker types {:?}, expected {:?}); \
             run with --drop to recreate it, or pass the --key-type it was created with",
            cli.key_type.cql(),
            p.bind_types,
            expected
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Runs whole workloads against a small in-process fake server that speaks just enough v4
    //! and answers each batch of requests in reverse order (as a real server may).

    use super::*;
    use crate::protocol::tests::{prepared_body, response_frame, rows_body, string};
    use crate::protocol::{opcode, Header, HEADER_LEN};
    use clap::Parser;
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    const INSERT_ID: &[u8] = b"ins";
    const SELECT_ID: &[u8] = b"sel";

    #[derive(Default)]
    struct Seen {
        queries: std::sync::Mutex<Vec<String>>,
        executes: AtomicU64,
    }

    async fn serve(mut s: TcpStream, seen: Arc<Seen>, fail_every: u64) {
        let mut buf = Vec::new();
        let mut chunk = vec![0u8; 65536];
        loop {
            let n = match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            buf.extend_from_slice(&chunk[..n]);
            let mut answers = Vec::new();
            let mut off = 0;
            while buf.len() - off >= HEADER_LEN {
                // Requests carry version 0x04: read the header fields by hand.
                let h = &buf[off..];
                let len = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) as usize;
                if buf.len() - off < HEADER_LEN + len {
                    break;
                }
                let stream = i16::from_be_bytes([h[2], h[3]]);
                let op = h[4];
                let body = buf[off + HEADER_LEN..off + HEADER_LEN + len].to_vec();
                off += HEADER_LEN + len;
                let answer = match op {
                    opcode::STARTUP => response_frame(stream, opcode::READY, 0, &[]),
                    opcode::OPTIONS => response_frame(stream, opcode::SUPPORTED, 0, &[0, 0]),
                    opcode::QUERY => {
                        let qlen = i32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
                        seen.queries.lock().unwrap().push(String::from_utf8_lossy(&body[4..4 + qlen]).into_owned());
                        response_frame(stream, opcode::RESULT, 0, &1i32.to_be_bytes())
                    }
                    opcode::PREPARE => {
                        let q = String::from_utf8_lossy(&body[4..]).into_owned();
                        let b = if q.starts_with("INSERT") {
                            prepared_body(INSERT_ID, &[type_id::BIGINT, type_id::BLOB])
                        } else {
                            prepared_body(SELECT_ID, &[type_id::BIGINT])
                        };
                        response_frame(stream, opcode::RESULT, 0, &b)
                    }
                    opcode::EXECUTE => {
                        let n = seen.executes.fetch_add(1, Ordering::Relaxed) + 1;
                        if fail_every > 0 && n % fail_every == 0 {
                            let mut b = 0x1001i32.to_be_bytes().to_vec();
                            b.extend(string("busy"));
                            response_frame(stream, opcode::ERROR, 0, &b)
                        } else if body[2..5] == *SELECT_ID {
                            // Warnings flag set, to exercise skipping them.
                            let mut b = 1u16.to_be_bytes().to_vec();
                            b.extend(string("a warning"));
                            b.extend(rows_body(1, b"value"));
                            response_frame(stream, opcode::RESULT, crate::protocol::flags::WARNING, &b)
                        } else {
                            response_frame(stream, opcode::RESULT, 0, &1i32.to_be_bytes())
                        }
                    }
                    _ => return,
                };
                answers.push(answer);
            }
            buf.drain(..off);
            // An event nobody asked for, then the answers in reverse order.
            let mut out = response_frame(-1, opcode::EVENT, 0, &string("STATUS_CHANGE"));
            for a in answers.iter().rev() {
                out.extend_from_slice(a);
            }
            if s.write_all(&out).await.is_err() {
                return;
            }
        }
    }

    async fn fake_server(fail_every: u64) -> (u16, Arc<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let s = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, Arc::clone(&s), fail_every));
            }
        });
        (port, seen)
    }

    fn cli(port: u16, args: &[&str]) -> Cli {
        let port = port.to_string();
        let mut all = vec!["sibyl-bench", "--port", &port, "--warmup", "0s", "--timeout", "5s"];
        all.extend_from_slice(args);
        let cli = Cli::parse_from(all);
        cli.validate().unwrap();
        cli
    }

    #[tokio::test]
    async fn ping_counts_every_request() {
        let (port, _) = fake_server(0).await;
        let cli = cli(port, &["--workload", "ping", "--requests", "1000", "--connections", "3", "--concurrency", "10"]);
        let report = run(&cli, &mut |_| {}).await.unwrap();
        assert_eq!(report.ops, 1000);
        assert_eq!(report.errors, 0);
        assert!(report.connection_failures.is_empty());
        assert!(report.latency_us.max >= report.latency_us.p50);
    }

    #[tokio::test]
    async fn read_loads_keys_then_reads() {
        let (port, seen) = fake_server(0).await;
        let cli = cli(port, &["--workload", "read", "--requests", "500", "--keys", "300", "--drop"]);
        let mut lines = Vec::new();
        let report = run(&cli, &mut |l| lines.push(l.to_string())).await.unwrap();
        assert_eq!(report.load.as_ref().map(|l| l.keys), Some(300));
        assert_eq!(report.ops, 500);
        assert_eq!(report.read_misses, Some(0));
        assert_eq!(seen.executes.load(Ordering::Relaxed), 800);
        let queries = seen.queries.lock().unwrap().clone();
        assert!(queries[0].starts_with("DROP KEYSPACE IF EXISTS sibyl_bench"));
        assert!(queries[1].starts_with("CREATE KEYSPACE IF NOT EXISTS sibyl_bench"));
        assert_eq!(queries[2], "CREATE TABLE IF NOT EXISTS sibyl_bench.kv (k bigint PRIMARY KEY, v blob)");
        assert!(lines.iter().any(|l| l.starts_with("loaded 300 keys")));
    }

    #[tokio::test]
    async fn server_errors_are_counted_by_code() {
        let (port, _) = fake_server(10).await;
        let cli = cli(port, &["--workload", "insert", "--requests", "1000"]);
        let report = run(&cli, &mut |_| {}).await.unwrap();
        assert_eq!(report.ops + report.errors, 1000);
        assert_eq!(report.errors, 100);
        assert_eq!(report.error_counts.len(), 1);
        assert_eq!(report.error_counts[0].code, "0x1001");
        assert_eq!(report.error_counts[0].name, "Overloaded");
        assert_eq!(report.error_counts[0].sample, "busy");
    }

    #[tokio::test]
    async fn mixed_reports_reads_and_writes_within_a_duration() {
        let (port, _) = fake_server(0).await;
        let cli = cli(port, &["--workload", "mixed", "--duration", "300ms", "--keys", "100", "--read-ratio", "0.5"]);
        let report = run(&cli, &mut |_| {}).await.unwrap();
        let (reads, writes) = (report.reads.unwrap(), report.writes.unwrap());
        assert!(reads.ops > 0 && writes.ops > 0);
        assert_eq!(reads.ops + writes.ops, report.ops);
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        // Accepts and answers STARTUP, then never answers again.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut req = [0u8; 64];
                let _ = sock.read(&mut req).await;
                let _ = sock.write_all(&response_frame(0, opcode::READY, 0, &[])).await;
                held.push(sock);
            }
        });
        let mut cli =
            cli(port, &["--workload", "ping", "--requests", "10", "--connections", "1", "--concurrency", "2"]);
        cli.timeout = std::time::Duration::from_millis(200);
        let report = run(&cli, &mut |_| {}).await.unwrap();
        assert_eq!(report.ops, 0);
        assert_eq!(report.errors, 2);
        assert_eq!(report.error_counts[0].name, "timeout");
        assert!(report.failed());
    }

    #[test]
    fn header_helper_matches_fake_frames() {
        let f = response_frame(5, opcode::RESULT, 0, &[0, 0, 0, 1]);
        assert_eq!(Header::parse(&f).unwrap().unwrap().length, 4);
    }
}
