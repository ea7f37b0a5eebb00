//! Server time: write timestamps (strictly increasing microseconds, like Cassandra's
//! `ClientState.getTimestamp`), `now_in_seconds` for TTLs, and version 1 UUIDs for `now()`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use uuid::Uuid;

static LAST_MICROS: AtomicI64 = AtomicI64::new(0);
static LAST_UUID_TICKS: AtomicU64 = AtomicU64::new(0);
static LAST_LIST_APPEND: AtomicU64 = AtomicU64::new(0);
static LAST_LIST_PREPEND: AtomicU64 = AtomicU64::new(u64::MAX);

pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

pub fn now_seconds() -> i32 {
    (now_millis() / 1000) as i32
}

/// A write timestamp in microseconds, strictly greater than any returned before.
pub fn write_timestamp() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0);
    let mut last = LAST_MICROS.load(Ordering::Relaxed);
    loop {
        let next = if now > last { now } else { last + 1 };
        match LAST_MICROS.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => last = actual,
        }
    }
}

/// 100-ns intervals between 1582-10-15 and 1970-01-01.
const GREGORIAN_OFFSET: u64 = 0x01B2_1DD2_1381_4000;

/// A new, unique version 1 UUID for the current time.
pub fn timeuuid() -> Uuid {
    let now =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64 / 100).unwrap_or(0) + GREGORIAN_OFFSET;
    let mut last = LAST_UUID_TICKS.load(Ordering::Relaxed);
    let ticks = loop {
        let next = if now > last { now } else { last + 1 };
        match LAST_UUID_TICKS.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break next,
            Err(actual) => last = actual,
        }
    };
    let node = node_id();
    let time_low = (ticks & 0xFFFF_FFFF) as u32;
    let time_mid = ((ticks >> 32) & 0xFFFF) as u16;
    let time_hi = (((ticks >> 48) & 0x0FFF) as u16) | 0x1000;
    let clock_seq: u16 = 0x8000 | (node[0] as u16) << 8 | node[1] as u16 & 0x3FFF;
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&time_low.to_be_bytes());
    b[4..6].copy_from_slice(&time_mid.to_be_bytes());
    b[6..8].copy_from_slice(&time_hi.to_be_bytes());
    b[8..10].copy_from_slice(&(clock_seq & 0xBFFF | 0x8000).to_be_bytes());
    b[10..16].copy_from_slice(&node[2..8]);
    Uuid::from_bytes(b)
}

/// 2010-01-01 in 100-ns ticks since the Gregorian epoch: Cassandra's `PrecisionTime.REFERENCE_TIME`,
/// the point around which prepended list elements run their clock backwards.
const LIST_REFERENCE_TICKS: u64 = 1_262_304_000_000 * 10_000 + GREGORIAN_OFFSET;

fn now_ticks() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64 / 100).unwrap_or(0) + GREGORIAN_OFFSET
}

fn list_path(ticks: u64) -> bytes::Bytes {
    let mut b = Vec::with_capacity(16);
    b.extend_from_slice(&ticks.to_be_bytes());
    b.extend_from_slice(&node_id());
    bytes::Bytes::from(b)
}

/// Cell paths for `n` elements appended to a non-frozen list, in list order.
///
/// A list element's path is a time-ordered id, as Cassandra's timeuuids are: stored as 8 bytes of
/// big-endian 100-ns ticks then 8 bytes of node id, so that the storage engine's byte order of paths
/// is the list's order. Appended paths come from a clock that only moves forward.
pub fn list_append_paths(n: usize) -> Vec<bytes::Bytes> {
    let n64 = n as u64;
    let now = now_ticks();
    let mut last = LAST_LIST_APPEND.load(Ordering::Relaxed);
    let first = loop {
        let first = if now > last { now } else { last + 1 };
        match LAST_LIST_APPEND.compare_exchange_weak(
            last,
            first + n64.saturating_sub(1),
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => break first,
            Err(actual) => last = actual,
        }
    };
    (0..n64).map(|i| list_path(first + i)).collect()
}

/// Cell paths for `n` elements prepended to a non-frozen list, in list order: all smaller than any
/// path handed out before. As Cassandra's `Lists.Prepender` does, they come from a clock running
/// backwards from 2010 (`reference - (now - reference)`), so each prepend lands before the last one.
pub fn list_prepend_paths(n: usize) -> Vec<bytes::Bytes> {
    let n64 = n as u64;
    let backwards = LIST_REFERENCE_TICKS.saturating_sub(now_ticks().saturating_sub(LIST_REFERENCE_TICKS));
    let mut last = LAST_LIST_PREPEND.load(Ordering::Relaxed);
    let lowest = loop {
        // The block [lowest, lowest + n) sits strictly below every earlier one.
        let top = if backwards < last { backwards } else { last.saturating_sub(1) };
        let lowest = top.saturating_sub(n64.saturating_sub(1));
        match LAST_LIST_PREPEND.compare_exchange_weak(last, lowest, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break lowest,
            Err(actual) => last = actual,
        }
    };
    (0..n64).map(|i| list_path(lowest + i)).collect()
}

fn node_id() -> [u8; 8] {
    use std::sync::OnceLock;
    static NODE: OnceLock<[u8; 8]> = OnceLock::new();
    *NODE.get_or_init(|| {
        let r = Uuid::new_v4();
        let mut n = [0u8; 8];
        n.copy_from_slice(&r.as_bytes()[..8]);
        n[2] |= 0x01; // multicast bit: not a real MAC address
        n
    })
}

/// The Unix time in milliseconds of a version 1 UUID.
pub fn timeuuid_millis(bytes: &[u8]) -> Option<i64> {
    if bytes.len() != 16 || bytes[6] >> 4 != 1 {
        return None;
    }
    let time_low = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as u64;
    let time_mid = u16::from_be_bytes([bytes[4], bytes[5]]) as u64;
    let time_hi = (u16::from_be_bytes([bytes[6], bytes[7]]) & 0x0FFF) as u64;
    let ticks = time_hi << 48 | time_mid << 32 | time_low;
    Some((ticks.wrapping_sub(GREGORIAN_OFFSET) / 10_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_timestamps_strictly_increase() {
        let a = write_timestamp();
        let b = write_timestamp();
        assert!(b > a);
    }

    #[test]
    fn list_paths_sort_prepends_first_then_appends_in_order() {
        let a = list_append_paths(3);
        let b = list_append_paths(2);
        let p1 = list_prepend_paths(2);
        let p2 = list_prepend_paths(2);
        let mut all = vec![p2[0].clone(), p2[1].clone(), p1[0].clone(), p1[1].clone()];
        all.extend(a);
        all.extend(b);
        let mut sorted = all.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, all);
    }

    #[test]
    fn timeuuids_are_version_1_and_carry_the_current_time() {
        let u = timeuuid();
        assert_eq!(u.get_version_num(), 1);
        let ms = timeuuid_millis(u.as_bytes()).unwrap();
        assert!((ms - now_millis()).abs() < 5_000);
        assert_ne!(timeuuid(), timeuuid());
    }
}
