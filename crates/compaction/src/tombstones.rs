//! Single-SSTable tombstone compactions, as Cassandra's
//! `AbstractCompactionStrategy.worthDroppingTombstones`: when a strategy finds nothing to merge, an
//! SSTable whose estimated droppable tombstones exceed `tombstone_threshold` of its cells is
//! compacted alone, so that its purgeable tombstones go away without waiting for its size tier.
//!
//! The estimate comes from the SSTable's statistics: a histogram of the local deletion times of its
//! tombstones and expiring data ([`SstableInfo::tombstone_drop_times`]) read at `gc_before`, over its
//! cell count. Tombstones can only be purged if they shadow nothing in other SSTables, so unless
//! `unchecked_tombstone_compaction` is set an SSTable whose key range overlaps others qualifies only
//! if it is fully expired against them, or if enough of its tombstones are estimated to lie outside
//! the overlapping ranges. Cassandra estimates those keys from its index summary; Sibyl assumes keys
//! spread evenly over the key range (keys begin with their token), measured on the first 8 bytes.

use crate::{PlanContext, SstableInfo, TombstoneOptions};

/// Cassandra's index summary samples one key in 128: with fewer keys the overlap estimate has a single
/// sample and is not trusted.
const MIN_KEYS_FOR_ESTIMATE: u64 = 129;

/// The number of tombstones expected to be purgeable at `gc_before`: the sum of the histogram's
/// counts at or before it, interpolated between bins (Ben-Haim and Tom-Tov's `sum`).
pub fn droppable_tombstones(bins: &[(i32, u64)], gc_before: i32) -> f64 {
    let Some(first) = bins.first() else { return 0.0 };
    if gc_before < first.0 {
        return 0.0;
    }
    let total: u64 = bins.iter().map(|(_, c)| c).sum();
    let Some(i) = bins.iter().rposition(|(p, _)| *p <= gc_before) else { return 0.0 };
    if i + 1 == bins.len() {
        return total as f64;
    }
    let ((pi, mi), (pn, mn)) = (bins[i], bins[i + 1]);
    let (mi, mn) = (mi as f64, mn as f64);
    let fraction = (f64::from(gc_before) - f64::from(pi)) / (f64::from(pn) - f64::from(pi));
    let mb = mi + (mn - mi) * fraction;
    let before: u64 = bins[..i].iter().map(|(_, c)| c).sum();
    before as f64 + mi / 2.0 + (mi + mb) / 2.0 * fraction
}

/// The estimated fraction of the SSTable's cells that are tombstones droppable at `gc_before`
/// (Cassandra's `getEstimatedDroppableTombstoneRatio`); 0 without cells.
pub fn droppable_ratio(sstable: &SstableInfo, gc_before: i32) -> f64 {
    if sstable.cell_count == 0 {
        return 0.0;
    }
    droppable_tombstones(&sstable.tombstone_drop_times, gc_before) / sstable.cell_count as f64
}

/// Whether compacting `sstable` alone is expected to drop enough tombstones (see the module doc).
pub fn worth_dropping_tombstones(
    sstable: &SstableInfo,
    all: &[&SstableInfo],
    options: &TombstoneOptions,
    ctx: &PlanContext,
) -> bool {
    if !options.enabled {
        return false;
    }
    // The estimate may be wrong: without this delay the same file could be rewritten over and over.
    if ctx.now_seconds < sstable.created_at_seconds.saturating_add(options.interval_seconds) {
        return false;
    }
    let ratio = droppable_ratio(sstable, ctx.gc_before);
    if ratio <= options.threshold {
        return false;
    }
    if options.unchecked {
        return true;
    }
    let overlaps: Vec<&SstableInfo> =
        all.iter().copied().filter(|o| o.generation != sstable.generation && o.overlaps(sstable)).collect();
    if overlaps.is_empty() {
        return true;
    }
    if fully_expired_against(sstable, &overlaps, ctx) {
        return true;
    }
    if sstable.partition_count < MIN_KEYS_FOR_ESTIMATE {
        return false;
    }
    let remaining = 1.0 - covered_fraction(sstable, &overlaps);
    remaining * ratio > options.threshold
}

/// Cassandra's `getFullyExpiredSSTables` for one SSTable against the SSTables it overlaps.
fn fully_expired_against(sstable: &SstableInfo, overlaps: &[&SstableInfo], ctx: &PlanContext) -> bool {
    if sstable.max_local_deletion_time >= ctx.gc_before {
        return false;
    }
    let oldest_live = overlaps
        .iter()
        .filter(|o| o.max_local_deletion_time >= ctx.gc_before)
        .map(|o| o.min_timestamp)
        .chain(std::iter::once(ctx.memtable_min_timestamp))
        .min()
        .unwrap_or(i64::MAX);
    sstable.max_timestamp < oldest_live
}

/// The first 8 bytes of a key as a big-endian number, zero-padded: an order consistent with the keys'.
fn key_position(key: &[u8]) -> f64 {
    let mut word = [0u8; 8];
    let n = key.len().min(8);
    word[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(word) as f64
}

/// The fraction of `sstable`'s key range that the key ranges of `overlaps` cover, keys assumed
/// evenly spread.
fn covered_fraction(sstable: &SstableInfo, overlaps: &[&SstableInfo]) -> f64 {
    let (low, high) = (key_position(&sstable.min_key), key_position(&sstable.max_key));
    if high <= low {
        return 1.0;
    }
    let mut ranges: Vec<(f64, f64)> = overlaps
        .iter()
        .map(|o| (key_position(&o.min_key).max(low), key_position(&o.max_key).min(high)))
        .filter(|(a, b)| a <= b)
        .collect();
    ranges.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut covered = 0.0;
    let mut end = low;
    for (a, b) in ranges {
        let a = a.max(end);
        if b > a {
            covered += b - a;
            end = b;
        }
    }
    (covered / (high - low)).clamp(0.0, 1.0)
}

/// Of the SSTables worth a tombstone compaction, the one a strategy compacts: the largest for
/// size-tiered (Cassandra's STCS), the smallest for time-window (TWCS).
pub(crate) fn pick<'a>(
    candidates: &[&'a SstableInfo],
    all: &[&SstableInfo],
    options: &TombstoneOptions,
    ctx: &PlanContext,
    largest: bool,
) -> Option<&'a SstableInfo> {
    let worth = candidates.iter().copied().filter(|s| worth_dropping_tombstones(s, all, options, ctx));
    if largest {
        worth.max_by_key(|s| (s.size_bytes, std::cmp::Reverse(s.generation)))
    } else {
        worth.min_by_key(|s| (s.size_bytes, s.generation))
    }
}

/// Leveled: from the highest level down, the SSTables whose droppable ratio is above the threshold,
/// highest ratio first; the first one worth it is compacted alone in its level (Cassandra's
/// `LeveledCompactionStrategy.findDroppableSSTable`).
pub(crate) fn pick_leveled<'a>(
    all: &[&'a SstableInfo],
    options: &TombstoneOptions,
    ctx: &PlanContext,
) -> Option<&'a SstableInfo> {
    let top = all.iter().map(|s| s.level).max()?;
    for level in (0..=top).rev() {
        let mut in_level: Vec<(&SstableInfo, f64)> = all
            .iter()
            .copied()
            .filter(|s| s.level == level)
            .map(|s| (s, droppable_ratio(s, ctx.gc_before)))
            .filter(|(_, ratio)| *ratio > options.threshold)
            .collect();
        in_level.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.generation.cmp(&b.0.generation)));
        if let Some((s, _)) = in_level.into_iter().find(|(s, _)| worth_dropping_tombstones(s, all, options, ctx)) {
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::MIB;
    use crate::*;

    const DAY: i64 = 86_400;

    /// An SSTable written at time 0 over keys `keys.0 ..= keys.1` (first byte) with `cells` cells,
    /// `tombstones` of them deleted at time 1000.
    fn sst(generation: u64, keys: (u8, u8), cells: u64, tombstones: u64) -> SstableInfo {
        SstableInfo {
            min_key: vec![keys.0],
            max_key: vec![keys.1],
            partition_count: 1000,
            cell_count: cells,
            tombstone_drop_times: if tombstones > 0 { vec![(1020, tombstones)] } else { Vec::new() },
            max_local_deletion_time: i32::MAX,
            ..SstableInfo::sized(generation, MIB)
        }
    }

    fn ctx(now_seconds: i64, gc_before: i32) -> PlanContext {
        PlanContext { gc_before, memtable_min_timestamp: i64::MAX, now_seconds }
    }

    #[test]
    fn droppable_tombstones_interpolate_between_bins() {
        let bins = [(100, 10), (200, 20), (300, 30)];
        assert_eq!(droppable_tombstones(&bins, 99), 0.0);
        assert_eq!(droppable_tombstones(&bins, 300), 60.0);
        assert_eq!(droppable_tombstones(&bins, 10_000), 60.0);
        assert_eq!(droppable_tombstones(&bins, 100), 5.0);
        let mid = droppable_tombstones(&bins, 150);
        assert!(mid > 5.0 && mid < 30.0, "{mid}");
        assert_eq!(droppable_tombstones(&[], 1000), 0.0);
    }

    #[test]
    fn an_sstable_with_more_droppable_tombstones_than_the_threshold_is_compacted_alone() {
        let tables = [sst(1, (0, 9), 100, 50)];
        let task = plan(&tables, &CompactionParams::default(), &ctx(2 * DAY, 2000)).unwrap();
        assert_eq!(task.reason, CompactionReason::Tombstones);
        assert_eq!((task.kind, task.inputs, task.output_level), (TaskKind::Merge, vec![1], 0));
    }

    #[test]
    fn tombstones_not_yet_past_gc_grace_do_not_count() {
        let tables = [sst(1, (0, 9), 100, 50)];
        assert_eq!(plan(&tables, &CompactionParams::default(), &ctx(2 * DAY, 1000)), None);
    }

    #[test]
    fn a_ratio_at_or_below_tombstone_threshold_is_not_enough() {
        let tables = [sst(1, (0, 9), 100, 20)];
        assert_eq!(plan(&tables, &CompactionParams::default(), &ctx(2 * DAY, 2000)), None);
        let mut params = CompactionParams::default();
        params.tombstones.threshold = 0.1;
        assert!(plan(&tables, &params, &ctx(2 * DAY, 2000)).is_some());
    }

    #[test]
    fn an_sstable_younger_than_tombstone_compaction_interval_waits() {
        let tables = [sst(1, (0, 9), 100, 50)];
        assert_eq!(plan(&tables, &CompactionParams::default(), &ctx(DAY - 1, 2000)), None);
        assert!(plan(&tables, &CompactionParams::default(), &ctx(DAY, 2000)).is_some());
        let mut params = CompactionParams::default();
        params.tombstones.interval_seconds = 0;
        assert!(plan(&tables, &params, &ctx(0, 2000)).is_some());
    }

    #[test]
    fn overlapping_sstables_block_it_unless_enough_tombstones_lie_outside_them() {
        let params = CompactionParams::default();
        let now = ctx(2 * DAY, 2000);
        // Half the key range is overlapped: 0.5 × 0.5 = 0.25 > 0.2.
        let half = [sst(1, (0, 100), 100, 50), sst(2, (50, 200), 100, 0)];
        assert_eq!(plan(&half, &params, &now).unwrap().inputs, vec![1]);
        // Fully overlapped: nothing expected to drop.
        let covered = [sst(1, (10, 20), 100, 50), sst(2, (0, 200), 100, 0)];
        assert_eq!(plan(&covered, &params, &now), None);
        // unchecked_tombstone_compaction skips the check.
        let mut unchecked = params.clone();
        unchecked.tombstones.unchecked = true;
        assert_eq!(plan(&covered, &unchecked, &now).unwrap().inputs, vec![1]);
        // Too few keys to estimate the overlap.
        let few = [SstableInfo { partition_count: 10, ..sst(1, (0, 100), 100, 50) }, sst(2, (50, 200), 100, 0)];
        assert_eq!(plan(&few, &params, &now), None);
    }

    #[test]
    fn an_sstable_fully_expired_against_what_it_overlaps_qualifies() {
        let mut old = sst(1, (10, 20), 100, 50);
        old.max_local_deletion_time = 1500;
        old.max_timestamp = 5;
        let mut newer = sst(2, (0, 200), 100, 0);
        newer.min_timestamp = 10;
        // Old live data elsewhere, in a part of the key space `old` does not cover.
        let mut elsewhere = sst(3, (250, 255), 100, 0);
        elsewhere.min_timestamp = 1;
        let now = ctx(2 * DAY, 2000);
        let tables = [old.clone(), newer.clone(), elsewhere];
        // Not fully expired table-wide (it might shadow `elsewhere`'s timestamps), and fully
        // overlapped, but fully expired against the SSTables it overlaps.
        assert_eq!(fully_expired(&tables, &now, false), Vec::<u64>::new());
        assert_eq!(plan(&tables, &CompactionParams::default(), &now).unwrap().inputs, vec![1]);
        // A memtable holding older data blocks it.
        let busy = PlanContext { memtable_min_timestamp: 3, ..now };
        assert_eq!(plan(&tables, &CompactionParams::default(), &busy), None);
    }

    #[test]
    fn size_tiered_picks_the_largest_and_time_window_the_smallest() {
        let mut big = sst(1, (0, 9), 100, 50);
        big.size_bytes = 10 * MIB;
        let small = SstableInfo { min_key: vec![20], max_key: vec![29], ..sst(2, (0, 9), 100, 50) };
        let tables = [big, small];
        let now = ctx(2 * DAY, 2000);
        assert_eq!(plan(&tables, &CompactionParams::default(), &now).unwrap().inputs, vec![1]);
        let mut twcs = CompactionParams {
            strategy: Strategy::TimeWindow(TimeWindowOptions::default()),
            ..CompactionParams::default()
        };
        assert_eq!(plan(&tables, &twcs, &now).unwrap().inputs, vec![2]);
        twcs.tombstones.enabled = false;
        assert_eq!(plan(&tables, &twcs, &now), None);
    }

    #[test]
    fn leveled_compacts_the_highest_ratio_of_the_highest_level_in_place() {
        let params =
            CompactionParams { strategy: Strategy::Leveled(LeveledOptions::default()), ..CompactionParams::default() };
        let mut l1 = sst(1, (0, 9), 100, 90);
        l1.level = 1;
        let mut l2a = sst(2, (20, 29), 100, 40);
        l2a.level = 2;
        let mut l2b = sst(3, (30, 39), 100, 60);
        l2b.level = 2;
        let task = plan(&[l1, l2a, l2b], &params, &ctx(2 * DAY, 2000)).unwrap();
        assert_eq!((task.inputs, task.output_level, task.reason), (vec![3], 2, CompactionReason::Tombstones));
        assert_eq!(task.max_output_bytes, Some(LeveledOptions::default().sstable_size_bytes));
    }

    #[test]
    fn time_window_tables_need_a_tombstone_option_to_enable_them() {
        let map = |pairs: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let twcs = CompactionParams::from_cassandra_options(&map(&[("class", "TimeWindowCompactionStrategy")]));
        assert!(!twcs.unwrap().tombstones.enabled);
        let on = CompactionParams::from_cassandra_options(&map(&[
            ("class", "TimeWindowCompactionStrategy"),
            ("tombstone_threshold", "0.5"),
        ]))
        .unwrap();
        assert!(on.tombstones.enabled);
        assert_eq!(on.tombstones.threshold, 0.5);
        let stcs = CompactionParams::from_cassandra_options(&map(&[
            ("class", "SizeTieredCompactionStrategy"),
            ("tombstone_compaction_interval", "60"),
            ("unchecked_tombstone_compaction", "true"),
        ]))
        .unwrap();
        assert_eq!(
            stcs.tombstones,
            TombstoneOptions { enabled: true, threshold: 0.2, interval_seconds: 60, unchecked: true }
        );
    }
}
