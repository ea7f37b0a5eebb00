//! Compaction throughput throttle (cassandra.yaml `compaction_throughput`, MiB/s, 0 = unthrottled).
//!
//! Compactions account the bytes they write; once they are ahead of the allowed rate, the compaction
//! thread sleeps (in short slices, so that an abandoned compaction stops promptly). Flushes are never
//! throttled, and writers never wait for compaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

const MIB: u64 = 1024 * 1024;
/// Credit a throttle may accumulate while idle, so that a burst after a pause is not unlimited.
const MAX_BURST: Duration = Duration::from_millis(100);
/// The longest uninterrupted sleep.
const SLICE: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct Throttle {
    bytes_per_second: AtomicU64,
    /// When the bytes accounted so far are paid for.
    paid_until: Mutex<Instant>,
}

impl Throttle {
    pub fn new(mib_per_second: u64) -> Throttle {
        Throttle {
            bytes_per_second: AtomicU64::new(mib_per_second.saturating_mul(MIB)),
            paid_until: Mutex::new(Instant::now()),
        }
    }

    pub fn set_mib_per_second(&self, mib_per_second: u64) {
        self.bytes_per_second.store(mib_per_second.saturating_mul(MIB), Ordering::SeqCst);
    }

    pub fn mib_per_second(&self) -> u64 {
        self.bytes_per_second.load(Ordering::SeqCst) / MIB
    }

    /// Accounts `bytes` and sleeps as long as the rate requires, or until `abort` returns true.
    pub fn acquire(&self, bytes: u64, abort: impl Fn() -> bool) {
        let rate = self.bytes_per_second.load(Ordering::SeqCst);
        if rate == 0 || bytes == 0 {
            return;
        }
        let deadline = {
            let mut paid_until = self.paid_until.lock();
            let now = Instant::now();
            let earliest = now.checked_sub(MAX_BURST).unwrap_or(now);
            if *paid_until < earliest {
                *paid_until = earliest;
            }
            *paid_until += Duration::from_secs_f64(bytes as f64 / rate as f64);
            *paid_until
        };
        loop {
            let now = Instant::now();
            if now >= deadline || abort() {
                return;
            }
            std::thread::sleep((deadline - now).min(SLICE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unthrottled_throttle_never_sleeps() {
        let t = Throttle::new(0);
        let start = Instant::now();
        for _ in 0..1000 {
            t.acquire(100 * MIB, || false);
        }
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn a_throttle_holds_the_rate() {
        let t = Throttle::new(10);
        let start = Instant::now();
        // 3 MiB at 10 MiB/s: about 300 ms (less the burst allowance).
        for _ in 0..30 {
            t.acquire(MIB / 10, || false);
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(180) && took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn a_throttled_wait_stops_when_aborted() {
        let t = Throttle::new(1);
        let start = Instant::now();
        t.acquire(100 * MIB, || start.elapsed() > Duration::from_millis(30));
        assert!(start.elapsed() < Duration::from_secs(1));
        t.set_mib_per_second(0);
        assert_eq!(t.mib_per_second(), 0);
    }
}
