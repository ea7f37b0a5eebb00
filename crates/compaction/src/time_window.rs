//! Time-window compaction, after Cassandra's `TimeWindowCompactionStrategy`.
//!
//! Each SSTable belongs to the window (`compaction_window_size` × `compaction_window_unit`, aligned
//! on the epoch) holding its *newest* write timestamp. The newest window present is the current one.
//! Going from the newest window to the oldest, the first that qualifies is compacted:
//!
//! * the current window, size-tiered (`min_threshold`, `max_threshold` and the STCS sub-options),
//!   once it holds at least `min_threshold` SSTables;
//! * a past window as soon as it holds two SSTables: all of them (the `max_threshold` smallest if
//!   more), so that each past window ends up as a single SSTable.
//!
//! Windows are never merged with each other, so that data of a window expires (TTL) as a whole and
//! its SSTable is then dropped as fully expired. Cassandra remembers the highest window it ever saw as
//! the current one; Sibyl recomputes it from the live SSTables, which only differs after every SSTable
//! of the newest window was dropped.

use std::collections::BTreeMap;

use crate::size_tiered::most_interesting_bucket;
use crate::{CompactionReason, CompactionTask, SstableInfo, TimeWindowOptions};

/// The start, in seconds since the epoch, of the window holding `timestamp`.
pub fn window_start(timestamp: i64, o: &TimeWindowOptions) -> i64 {
    let seconds = timestamp.div_euclid(o.timestamp_resolution.per_second());
    let window = o.window_seconds().max(1);
    seconds - seconds.rem_euclid(window)
}

pub(crate) fn plan(
    all: &[&SstableInfo],
    o: &TimeWindowOptions,
    min_threshold: usize,
    max_threshold: usize,
) -> Option<CompactionTask> {
    let mut windows: BTreeMap<i64, Vec<&SstableInfo>> = BTreeMap::new();
    for s in all {
        windows.entry(window_start(s.max_timestamp, o)).or_default().push(s);
    }
    let current = *windows.keys().next_back()?;
    for (window, bucket) in windows.iter().rev() {
        if *window >= current {
            if bucket.len() >= min_threshold {
                if let Some(b) = most_interesting_bucket(bucket, &o.size_tiered, min_threshold, max_threshold) {
                    return Some(CompactionTask::merge(&b, CompactionReason::CurrentTimeWindow, 0, None));
                }
            }
        } else if bucket.len() >= 2 {
            let mut b = bucket.clone();
            b.sort_by_key(|s| (s.size_bytes, s.generation));
            b.truncate(max_threshold.max(2));
            return Some(CompactionTask::merge(&b, CompactionReason::TimeWindow, 0, None));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::window_start;
    use crate::tests::MIB;
    use crate::*;

    const HOUR_MICROS: i64 = 3_600_000_000;

    fn twcs() -> CompactionParams {
        CompactionParams {
            strategy: Strategy::TimeWindow(TimeWindowOptions { window_unit: WindowUnit::Hours, ..Default::default() }),
            ..CompactionParams::default()
        }
    }

    /// An SSTable whose newest write is `hour` hours (and a few minutes) after the epoch.
    fn sst(generation: u64, hour: i64, size: u64) -> SstableInfo {
        let ts = hour * HOUR_MICROS + 5 * 60_000_000;
        SstableInfo { min_timestamp: ts - 1000, max_timestamp: ts, ..SstableInfo::sized(generation, size) }
    }

    fn plan_twcs(tables: &[SstableInfo]) -> Option<CompactionTask> {
        plan(tables, &twcs(), &PlanContext::default())
    }

    #[test]
    fn windows_are_aligned_on_the_epoch_in_the_timestamp_resolution() {
        let o = TimeWindowOptions { window_unit: WindowUnit::Hours, window_size: 2, ..Default::default() };
        assert_eq!(window_start(0, &o), 0);
        assert_eq!(window_start(2 * HOUR_MICROS - 1, &o), 0);
        assert_eq!(window_start(2 * HOUR_MICROS, &o), 7200);
        assert_eq!(window_start(-1, &o), -7200);
        let millis = TimeWindowOptions { timestamp_resolution: TimestampResolution::Milliseconds, ..o };
        assert_eq!(window_start(7_200_000, &millis), 7200);
    }

    #[test]
    fn the_current_window_is_compacted_size_tiered_once_it_reaches_min_threshold() {
        let mut tables = vec![sst(1, 10, MIB), sst(2, 10, MIB), sst(3, 10, MIB)];
        assert_eq!(plan_twcs(&tables), None);
        tables.push(sst(4, 10, MIB));
        let t = plan_twcs(&tables).unwrap();
        assert_eq!((t.reason, t.inputs.clone()), (CompactionReason::CurrentTimeWindow, vec![1, 2, 3, 4]));
    }

    #[test]
    fn a_past_window_with_two_sstables_is_merged_whatever_their_sizes() {
        let tables = vec![sst(1, 3, MIB), sst(2, 3, 900 * MIB), sst(3, 5, MIB), sst(4, 10, MIB)];
        let t = plan_twcs(&tables).unwrap();
        assert_eq!((t.reason, t.inputs.clone()), (CompactionReason::TimeWindow, vec![1, 2]));
    }

    #[test]
    fn the_newest_qualifying_window_goes_first_and_windows_never_mix() {
        let tables = vec![sst(1, 3, MIB), sst(2, 3, MIB), sst(3, 7, MIB), sst(4, 7, MIB), sst(5, 10, MIB)];
        let t = plan_twcs(&tables).unwrap();
        assert_eq!(t.inputs, vec![3, 4]);
        let one_per_window = vec![sst(1, 3, MIB), sst(3, 7, MIB), sst(5, 10, MIB)];
        assert_eq!(plan_twcs(&one_per_window), None);
    }

    #[test]
    fn an_sstable_belongs_to_the_window_of_its_newest_write() {
        // Written across hours 2 to 4: it belongs to hour 4, with the other SSTable of hour 4.
        let spanning = SstableInfo {
            min_timestamp: 2 * HOUR_MICROS,
            max_timestamp: 4 * HOUR_MICROS + 1,
            ..SstableInfo::sized(1, MIB)
        };
        let t = plan_twcs(&[spanning, sst(2, 4, MIB), sst(3, 6, MIB)]).unwrap();
        assert_eq!(t.inputs, vec![1, 2]);
    }

    #[test]
    fn fully_expired_windows_are_dropped_and_aggressive_expiration_ignores_overlaps() {
        let mut old = sst(1, 3, MIB);
        old.max_local_deletion_time = 100;
        let mut newer_expired = sst(2, 5, MIB);
        newer_expired.max_local_deletion_time = 100;
        // Live data older than the expired SSTables (an out-of-order write) blocks the safe drop.
        let mut live = sst(3, 6, MIB);
        live.min_timestamp = 0;
        let ctx = PlanContext { gc_before: 1000, ..PlanContext::default() };
        let tables = vec![old, newer_expired, live];
        assert_eq!(plan(&tables, &twcs(), &ctx), None);
        let aggressive = CompactionParams {
            strategy: Strategy::TimeWindow(TimeWindowOptions {
                window_unit: WindowUnit::Hours,
                unsafe_aggressive_sstable_expiration: true,
                ..Default::default()
            }),
            ..CompactionParams::default()
        };
        let t = plan(&tables, &aggressive, &ctx).unwrap();
        assert_eq!((t.kind, t.inputs.clone()), (TaskKind::Drop, vec![1, 2]));
    }
}
