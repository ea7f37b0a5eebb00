//! The load loop: each connection keeps its share of the requests in flight (one stream id each),
//! sends every new request of a round in one write, and times each from encoding to answer.
//! A [`Plan`] decides what the next request is and when to stop; every loop ends by itself, at a
//! deadline or after a count, and a silent server ends it after the timeout.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Buf;
use hdrhistogram::Histogram;

use crate::cli::{KeyDist, KeyType};
use crate::conn::{Conn, ReadError};
use crate::protocol::{self, decode_response, DecodeError, Header, Response, ResultBody, HEADER_LEN};

/// Latencies are recorded in nanoseconds, from 1 µs (everything below counts as 1 µs) to an hour,
/// with 3 significant digits.
const HIST_LOW_NS: u64 = 1_000;
const HIST_HIGH_NS: u64 = 3_600 * 1_000_000_000;
const HIST_SIGFIG: u8 = 3;

pub fn new_histogram() -> Histogram<u64> {
    // Constant bounds that satisfy new_with_bounds (low >= 1, high >= 2 * low, sigfig <= 5).
    Histogram::new_with_bounds(HIST_LOW_NS, HIST_HIGH_NS, HIST_SIGFIG).expect("constant histogram bounds are valid")
}

/// SplitMix64: small, fast, and good enough to pick keys.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// What requests a phase sends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mix {
    Ping,
    Insert,
    Read,
    /// Reads with this probability, else inserts.
    Mixed(f64),
}

/// When a phase stops issuing requests.
#[derive(Debug)]
pub enum Stop {
    /// Issue nothing at or after this instant.
    Deadline(Instant),
    /// Issue this many measured requests (plus whatever the warm-up issues).
    Count { limit: u64, issued: AtomicU64 },
}

/// One phase of load, shared by every connection's loop.
#[derive(Debug)]
pub struct Plan {
    pub mix: Mix,
    pub keys: u64,
    pub key_dist: KeyDist,
    pub key_type: KeyType,
    /// The blob every insert writes.
    pub value: Vec<u8>,
    /// Requests issued before this are the warm-up: sent but not recorded.
    pub measure_from: Instant,
    pub stop: Stop,
    /// The next key of the sequential distribution.
    seq: AtomicU64,
}

impl Plan {
    pub fn new(
        mix: Mix,
        keys: u64,
        key_dist: KeyDist,
        key_type: KeyType,
        value: Vec<u8>,
        measure_from: Instant,
        stop: Stop,
    ) -> Plan {
        Plan { mix, keys, key_dist, key_type, value, measure_from, stop, seq: AtomicU64::new(0) }
    }

    /// The next request to issue at `now`, and whether it is measured; `None` once the phase is over.
    fn next(&self, now: Instant, rng: &mut Rng) -> Option<(Op, bool)> {
        let measured = now >= self.measure_from;
        match &self.stop {
            Stop::Deadline(end) if now >= *end => return None,
            Stop::Deadline(_) => {}
            Stop::Count { limit, issued } => {
                if measured && issued.fetch_add(1, Ordering::Relaxed) >= *limit {
                    return None;
                }
            }
        }
        let op = match self.mix {
            Mix::Ping => Op::Ping,
            Mix::Insert => Op::Write(self.key(rng, true)),
            Mix::Read => Op::Read(self.key(rng, false)),
            Mix::Mixed(ratio) => {
                if rng.unit() < ratio {
                    Op::Read(self.key(rng, false))
                } else {
                    Op::Write(self.key(rng, true))
                }
            }
        };
        Some((op, measured))
    }

    fn key(&self, rng: &mut Rng, write: bool) -> u64 {
        match self.key_dist {
            KeyDist::Random => rng.below(self.keys),
            KeyDist::Seq if write => self.seq.fetch_add(1, Ordering::Relaxed),
            KeyDist::Seq => self.seq.fetch_add(1, Ordering::Relaxed) % self.keys,
        }
    }

    /// The key serialized as the key column's type.
    fn key_bytes(&self, key: u64, out: &mut [u8; 8]) -> usize {
        match self.key_type {
            KeyType::Bigint => {
                *out = (key as i64).to_be_bytes();
                8
            }
            KeyType::Int => {
                out[..4].copy_from_slice(&(key as i32).to_be_bytes());
                4
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Ping,
    Write(u64),
    Read(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Ping,
    Write,
    Read,
}

/// A request in flight.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: Instant,
    kind: OpKind,
    measured: bool,
}

/// The prepared statement ids one connection uses (empty for ping).
#[derive(Debug, Clone, Default)]
pub struct Statements {
    pub insert: Vec<u8>,
    pub select: Vec<u8>,
}

/// How a request failed, as reported: a server error code or a client-side reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKey {
    Server(i32),
    Client(&'static str),
}

#[derive(Debug, Clone)]
pub struct ErrorCount {
    pub count: u64,
    /// The first message seen.
    pub sample: String,
}

/// What one or more connections measured in a phase.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Latency of every successful measured request, in nanoseconds.
    pub all: Histogram<u64>,
    pub reads: Histogram<u64>,
    pub writes: Histogram<u64>,
    /// Successful measured requests.
    pub ok: u64,
    /// Reads that found no row.
    pub misses: u64,
    pub errors: BTreeMap<ErrorKey, ErrorCount>,
    /// When the last measured request completed.
    pub last_done: Option<Instant>,
    /// Why connections stopped early.
    pub failures: Vec<String>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            all: new_histogram(),
            reads: new_histogram(),
            writes: new_histogram(),
            ok: 0,
            misses: 0,
            errors: BTreeMap::new(),
            last_done: None,
            failures: Vec::new(),
        }
    }
}

impl Stats {
    pub fn error_total(&self) -> u64 {
        self.errors.values().map(|e| e.count).sum()
    }

    fn error(&mut self, key: ErrorKey, count: u64, message: &str) {
        if count == 0 {
            return;
        }
        let entry = self.errors.entry(key).or_insert_with(|| ErrorCount { count: 0, sample: message.to_string() });
        entry.count += count;
    }

    /// Adds what `other` measured.
    pub fn merge(&mut self, other: Stats) {
        // Histograms made by new_histogram() share their bounds, so adding cannot fail; if it ever
        // did, the failure is reported rather than lost.
        for (mine, theirs) in
            [(&mut self.all, &other.all), (&mut self.reads, &other.reads), (&mut self.writes, &other.writes)]
        {
            if let Err(e) = mine.add(theirs) {
                self.failures.push(format!("merging latency histograms: {e:?}"));
            }
        }
        self.ok += other.ok;
        self.misses += other.misses;
        for (key, e) in other.errors {
            self.errors.entry(key).and_modify(|mine| mine.count += e.count).or_insert(e);
        }
        self.last_done = self.last_done.max(other.last_done);
        self.failures.extend(other.failures);
    }
}

/// What an answer meant for its request.
enum Outcome<'a> {
    Ok { miss: bool },
    ServerError(i32, &'a str),
    ClientError(&'static str, String),
}

fn classify<'a>(kind: OpKind, response: Result<Response<'a>, DecodeError>) -> Outcome<'a> {
    match (kind, response) {
        (OpKind::Ping, Ok(Response::Supported)) => Outcome::Ok { miss: false },
        (OpKind::Read, Ok(Response::Result(ResultBody::Rows { rows }))) => Outcome::Ok { miss: rows == 0 },
        (OpKind::Write, Ok(Response::Result(ResultBody::Void))) => Outcome::Ok { miss: false },
        (_, Ok(Response::Error { code, message })) => Outcome::ServerError(code, message),
        (_, Ok(other)) => Outcome::ClientError("unexpected response", format!("{other:?}")),
        (_, Err(e)) => Outcome::ClientError("malformed response", e.to_string()),
    }
}

/// The state of one connection's loop.
struct Pipeline {
    slots: Vec<Option<Slot>>,
    free: Vec<i16>,
    outstanding: usize,
    stats: Stats,
}

impl Pipeline {
    fn new(window: usize) -> Pipeline {
        // window <= 32768 (validated), so every id fits an i16.
        let window = window.clamp(1, crate::cli::MAX_STREAMS_PER_CONNECTION);
        Pipeline {
            slots: vec![None; window],
            free: (0..window).rev().map(|id| id as i16).collect(),
            outstanding: 0,
            stats: Stats::default(),
        }
    }

    /// Gives up on the requests still in flight (counted as errors of `key`).
    fn abandon(&mut self, key: &'static str, message: String) {
        let lost = self.slots.iter().flatten().filter(|s| s.measured).count() as u64;
        self.stats.error(ErrorKey::Client(key), lost, &message);
        self.stats.failures.push(message);
    }
}

/// Runs `plan` on one connection with `window` requests in flight until the plan stops and every
/// answer is in (or the connection fails, which is recorded in the stats).
pub async fn drive(conn: &mut Conn, plan: &Plan, statements: &Statements, window: usize, rng: &mut Rng) -> Stats {
    let mut p = Pipeline::new(window);
    if let Err((key, message)) = pump(conn, plan, statements, rng, &mut p).await {
        p.abandon(key, message);
    }
    p.stats
}

async fn pump(
    conn: &mut Conn,
    plan: &Plan,
    statements: &Statements,
    rng: &mut Rng,
    p: &mut Pipeline,
) -> Result<(), (&'static str, String)> {
    let mut issuing = true;
    let mut key_buf = [0u8; 8];
    loop {
        if issuing && !p.free.is_empty() {
            let now = Instant::now();
            while let Some(&stream) = p.free.last() {
                let Some((op, measured)) = plan.next(now, rng) else {
                    issuing = false;
                    break;
                };
                p.free.pop();
                let kind = match op {
                    Op::Ping => {
                        protocol::encode_options(&mut conn.wbuf, stream);
                        OpKind::Ping
                    }
                    Op::Write(key) => {
                        let n = plan.key_bytes(key, &mut key_buf);
                        protocol::encode_execute(
                            &mut conn.wbuf,
                            stream,
                            &statements.insert,
                            protocol::CONSISTENCY_ONE,
                            &[&key_buf[..n], &plan.value],
                            true,
                        );
                        OpKind::Write
                    }
                    Op::Read(key) => {
                        let n = plan.key_bytes(key, &mut key_buf);
                        protocol::encode_execute(
                            &mut conn.wbuf,
                            stream,
                            &statements.select,
                            protocol::CONSISTENCY_ONE,
                            &[&key_buf[..n]],
                            true,
                        );
                        OpKind::Read
                    }
                };
                p.slots[stream as usize] = Some(Slot { start: now, kind, measured });
                p.outstanding += 1;
            }
        }
        if !conn.wbuf.is_empty() {
            conn.flush().await.map_err(|e| ("connection lost", format!("{e:#}")))?;
        }
        if p.outstanding == 0 {
            return Ok(());
        }
        conn.fill().await.map_err(|e| match e {
            ReadError::Timeout(_) => ("timeout", e.to_string()),
            ReadError::Closed | ReadError::Io(_) => ("connection lost", e.to_string()),
        })?;
        let done = Instant::now();
        let mut offset = 0;
        loop {
            let header = match Header::parse(&conn.rbuf[offset..]) {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => return Err(("malformed response", e.to_string())),
            };
            let end = offset + HEADER_LEN + header.length;
            if conn.rbuf.len() < end {
                break;
            }
            let body = &conn.rbuf[offset + HEADER_LEN..end];
            offset = end;
            if header.stream < 0 {
                continue; // a server event; the bench registers for none
            }
            let Some(slot) = p.slots.get_mut(header.stream as usize).and_then(Option::take) else {
                return Err(("unexpected response", format!("an answer on stream {} with no request", header.stream)));
            };
            p.free.push(header.stream);
            p.outstanding -= 1;
            let outcome = classify(slot.kind, decode_response(&header, body));
            if !slot.measured {
                continue;
            }
            let stats = &mut p.stats;
            match outcome {
                Outcome::Ok { miss } => {
                    let nanos =
                        u64::try_from(done.saturating_duration_since(slot.start).as_nanos()).unwrap_or(u64::MAX);
                    stats.all.saturating_record(nanos);
                    match slot.kind {
                        OpKind::Read => stats.reads.saturating_record(nanos),
                        OpKind::Write => stats.writes.saturating_record(nanos),
                        OpKind::Ping => {}
                    }
                    stats.ok += 1;
                    stats.misses += u64::from(miss);
                    stats.last_done = Some(done);
                }
                Outcome::ServerError(code, message) => stats.error(ErrorKey::Server(code), 1, message),
                Outcome::ClientError(key, message) => stats.error(ErrorKey::Client(key), 1, &message),
            }
        }
        conn.rbuf.advance(offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn plan(mix: Mix, dist: KeyDist, stop: Stop, measure_from: Instant) -> Plan {
        Plan::new(mix, 10, dist, KeyType::Bigint, vec![1, 2, 3], measure_from, stop)
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            let x = a.below(7);
            assert_eq!(x, b.below(7));
            assert!(x < 7);
            let u = a.unit();
            assert_eq!(u, b.unit());
            assert!((0.0..1.0).contains(&u));
        }
        let mut buf = [0u8; 13];
        a.fill(&mut buf);
        assert!(buf.iter().any(|&x| x != 0));
    }

    #[test]
    fn count_stop_ignores_warmup_requests() {
        let now = Instant::now();
        let later = now + Duration::from_secs(3600);
        let p = plan(Mix::Ping, KeyDist::Random, Stop::Count { limit: 3, issued: AtomicU64::new(0) }, later);
        let mut rng = Rng::new(1);
        // Before measure_from: warm-up, unbounded by the count.
        for _ in 0..10 {
            assert_eq!(p.next(now, &mut rng), Some((Op::Ping, false)));
        }
        for _ in 0..3 {
            assert_eq!(p.next(later, &mut rng), Some((Op::Ping, true)));
        }
        assert_eq!(p.next(later, &mut rng), None);
    }

    #[test]
    fn deadline_stop() {
        let now = Instant::now();
        let end = now + Duration::from_secs(1);
        let p = plan(Mix::Insert, KeyDist::Seq, Stop::Deadline(end), now);
        let mut rng = Rng::new(1);
        assert_eq!(p.next(now, &mut rng), Some((Op::Write(0), true)));
        assert_eq!(p.next(now, &mut rng), Some((Op::Write(1), true)));
        assert_eq!(p.next(end, &mut rng), None);
    }

    #[test]
    fn sequential_keys_wrap_for_reads_only() {
        let now = Instant::now();
        let p = plan(Mix::Read, KeyDist::Seq, Stop::Deadline(now + Duration::from_secs(60)), now);
        let mut rng = Rng::new(1);
        let keys: Vec<_> = (0..12).map(|_| p.next(now, &mut rng).unwrap().0).collect();
        assert_eq!(keys[9], Op::Read(9));
        assert_eq!(keys[10], Op::Read(0));
        let w = plan(Mix::Insert, KeyDist::Seq, Stop::Deadline(now + Duration::from_secs(60)), now);
        let keys: Vec<_> = (0..12).map(|_| w.next(now, &mut rng).unwrap().0).collect();
        assert_eq!(keys[11], Op::Write(11));
    }

    #[test]
    fn mixed_ratio_extremes() {
        let now = Instant::now();
        let stop = || Stop::Deadline(now + Duration::from_secs(60));
        let mut rng = Rng::new(5);
        let reads = plan(Mix::Mixed(1.0), KeyDist::Random, stop(), now);
        let writes = plan(Mix::Mixed(0.0), KeyDist::Random, stop(), now);
        for _ in 0..100 {
            assert!(matches!(reads.next(now, &mut rng), Some((Op::Read(k), true)) if k < 10));
            assert!(matches!(writes.next(now, &mut rng), Some((Op::Write(k), true)) if k < 10));
        }
    }

    #[test]
    fn key_encoding() {
        let now = Instant::now();
        let mut p = plan(Mix::Insert, KeyDist::Seq, Stop::Deadline(now), now);
        let mut buf = [0u8; 8];
        assert_eq!(p.key_bytes(258, &mut buf), 8);
        assert_eq!(buf, [0, 0, 0, 0, 0, 0, 1, 2]);
        p.key_type = KeyType::Int;
        assert_eq!(p.key_bytes(258, &mut buf), 4);
        assert_eq!(buf[..4], [0, 0, 1, 2]);
    }

    #[test]
    fn stats_merge() {
        let mut a = Stats::default();
        a.all.saturating_record(5_000);
        a.ok = 1;
        a.error(ErrorKey::Server(0x2200), 2, "first");
        let mut b = Stats::default();
        b.all.saturating_record(7_000);
        b.ok = 1;
        b.error(ErrorKey::Server(0x2200), 1, "second");
        b.error(ErrorKey::Client("timeout"), 1, "slow");
        a.merge(b);
        assert_eq!(a.ok, 2);
        assert_eq!(a.all.len(), 2);
        assert_eq!(a.error_total(), 4);
        assert_eq!(a.errors[&ErrorKey::Server(0x2200)].sample, "first");
    }
}
