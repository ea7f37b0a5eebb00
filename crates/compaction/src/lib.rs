//! Compaction planning: which SSTables of one table to merge, drop or move next.
//!
//! Owns: the strategies, modelled on Cassandra 5.0's, as pure functions over [`SstableInfo`]:
//!
//! * **Size-tiered** ([`Strategy::SizeTiered`], `size_tiered.rs`): SSTables are grouped into buckets of
//!   similar size (within `bucket_low..bucket_high` times the bucket's average, or all below
//!   `min_sstable_size` together); a bucket with at least `min_threshold` SSTables is compacted, at most
//!   `max_threshold` of its smallest at a time. With no read-hotness statistics the bucket with the
//!   smallest average size goes first, as Cassandra does on equal hotness. Sibyl adds
//!   [`CompactionParams::merge_all_above`]: when a table has more SSTables than that and no bucket
//!   qualifies, everything is merged.
//! * **Leveled** ([`Strategy::Leveled`], `leveled.rs`): flushes land in level 0; level `n >= 1` holds
//!   non-overlapping SSTables of about `sstable_size_in_mb` each, `fanout^n` of them at most.
//! * **Time-window** ([`Strategy::TimeWindow`], `time_window.rs`): SSTables are bucketed by the window
//!   of their newest write; past windows are merged into one SSTable each, the current one size-tiered.
//!
//! Whatever the strategy, an SSTable holding only tombstones and expired data past `gc_grace_seconds`
//! that cannot shadow anything else is dropped without being read ([`fully_expired`], Cassandra's
//! `getFullyExpiredSSTables`).
//!
//! When a strategy finds nothing to merge, an SSTable with enough droppable tombstones is compacted
//! alone (`tombstones.rs`, Cassandra's `worthDroppingTombstones`: `tombstone_threshold`,
//! `tombstone_compaction_interval`, `unchecked_tombstone_compaction`).
//!
//! Not implemented: read hotness, and the Unified Compaction Strategy (run as size-tiered).
//!
//! Must not know about: files, partitions or the engine. The engine runs the merge, splits its output
//! at [`CompactionTask::max_output_bytes`], records each SSTable's level in its manifest and decides
//! what to purge. One compaction runs per table at a time, so the planner never has to skip SSTables
//! already being compacted.

mod leveled;
mod options;
mod size_tiered;
mod time_window;
pub mod tombstones;

#[cfg(test)]
mod simulator;

pub use options::{
    CompactionParams, LeveledOptions, OptionsError, SizeTieredOptions, Strategy, TimeWindowOptions,
    TimestampResolution, TombstoneOptions, WindowUnit, DEFAULT_FANOUT, DEFAULT_LEVELED_SSTABLE_SIZE_MIB,
    DEFAULT_MAX_THRESHOLD, DEFAULT_MIN_THRESHOLD, DEFAULT_TOMBSTONE_COMPACTION_INTERVAL, DEFAULT_TOMBSTONE_THRESHOLD,
};
pub use size_tiered::buckets;

/// The highest level leveled compaction uses (Cassandra has levels 0 to 8).
pub const MAX_LEVEL: u32 = 8;

/// What the planner needs to know about one SSTable (from its statistics and the manifest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SstableInfo {
    pub generation: u64,
    /// Size on disk.
    pub size_bytes: u64,
    /// Its level under leveled compaction (0 for a flush; kept in the table's manifest).
    pub level: u32,
    /// First and last partition keys (memcmp order).
    pub min_key: Vec<u8>,
    pub max_key: Vec<u8>,
    /// Smallest and largest write timestamps in the file.
    pub min_timestamp: i64,
    pub max_timestamp: i64,
    /// Largest local deletion time: [`i32::MAX`] as soon as the file holds live, non-expiring data.
    pub max_local_deletion_time: i32,
    /// Partitions in the file.
    pub partition_count: u64,
    /// Cells in the file (the denominator of the droppable tombstone ratio).
    pub cell_count: u64,
    /// Histogram of the local deletion times of the file's tombstones and expiring data: `(point,
    /// count)` by ascending point (see [`tombstones::droppable_tombstones`]).
    pub tombstone_drop_times: Vec<(i32, u64)>,
    /// When the file was written, in seconds since the epoch.
    pub created_at_seconds: i64,
}

impl SstableInfo {
    /// An SSTable of level 0 spanning every key, with timestamps 0 and live data; for tests and
    /// callers that only care about sizes.
    pub fn sized(generation: u64, size_bytes: u64) -> SstableInfo {
        SstableInfo {
            generation,
            size_bytes,
            level: 0,
            min_key: Vec::new(),
            max_key: vec![0xff; 8],
            min_timestamp: 0,
            max_timestamp: 0,
            max_local_deletion_time: i32::MAX,
            partition_count: 0,
            cell_count: 0,
            tombstone_drop_times: Vec::new(),
            created_at_seconds: 0,
        }
    }

    /// True when the key ranges of the two SSTables intersect.
    pub fn overlaps(&self, other: &SstableInfo) -> bool {
        self.min_key <= other.max_key && other.min_key <= self.max_key
    }
}

/// What, besides the SSTables, planning depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanContext {
    /// `now - gc_grace_seconds`: tombstones and expired data older than this may be purged.
    pub gc_before: i32,
    /// The smallest timestamp of anything in the memtables (`i64::MAX` when they are empty): an SSTable
    /// may only be dropped as fully expired if everything in it is older.
    pub memtable_min_timestamp: i64,
    /// The current time in seconds since the epoch (for `tombstone_compaction_interval`).
    pub now_seconds: i64,
}

impl Default for PlanContext {
    /// Nothing purgeable: no SSTable is ever fully expired.
    fn default() -> Self {
        PlanContext { gc_before: i32::MIN, memtable_min_timestamp: i64::MAX, now_seconds: 0 }
    }
}

/// What to do with a task's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Merge the inputs into new SSTables at `output_level`.
    Merge,
    /// Delete the inputs without reading them: they are fully expired.
    Drop,
    /// Move the single input to `output_level` without rewriting it (leveled `single_sstable_uplevel`).
    Move,
}

/// Why a task was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompactionReason {
    /// A bucket of similarly sized SSTables reached `min_threshold`.
    SizeTiered,
    /// The table had more than `merge_all_above` SSTables.
    TooManySstables,
    /// Level 0 reached its trigger and is merged into level 1.
    LevelZero,
    /// Level 0 fell far behind and is compacted size-tiered within itself.
    LevelZeroSizeTiered,
    /// A level held more than its share of data: one SSTable goes up with what it overlaps.
    LevelOverflow,
    /// SSTables of one level overlapped (which leveled compaction never produces): merged again.
    LevelRepair,
    /// A past time window with more than one SSTable.
    TimeWindow,
    /// The current time window's size-tiered bucket reached `min_threshold`.
    CurrentTimeWindow,
    /// SSTables of only purgeable tombstones and expired data, shadowing nothing else.
    FullyExpired,
    /// One SSTable with enough droppable tombstones, compacted alone to purge them.
    Tombstones,
    /// Everything, on demand (`nodetool compact`).
    Major,
}

/// A unit of compaction work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionTask {
    pub kind: TaskKind,
    /// Generations, ascending, at least one. A merge of a single SSTable rewrites it into the next
    /// level (leveled compaction without `single_sstable_uplevel`).
    pub inputs: Vec<u64>,
    pub reason: CompactionReason,
    /// The level of the output SSTables (or of the moved SSTable).
    pub output_level: u32,
    /// Start a new output SSTable once one reaches this size (leveled); `None`: a single output.
    pub max_output_bytes: Option<u64>,
}

impl CompactionTask {
    fn merge(inputs: &[&SstableInfo], reason: CompactionReason, output_level: u32, split: Option<u64>) -> Self {
        CompactionTask {
            kind: TaskKind::Merge,
            inputs: generations(inputs),
            reason,
            output_level,
            max_output_bytes: split,
        }
    }
}

fn generations(tables: &[&SstableInfo]) -> Vec<u64> {
    let mut inputs: Vec<u64> = tables.iter().map(|t| t.generation).collect();
    inputs.sort_unstable();
    inputs.dedup();
    inputs
}

/// The next background task for a table with these SSTables, if any is due.
pub fn plan(sstables: &[SstableInfo], params: &CompactionParams, ctx: &PlanContext) -> Option<CompactionTask> {
    if !params.enabled {
        return None;
    }
    let ignore_overlaps = matches!(&params.strategy, Strategy::TimeWindow(o) if o.unsafe_aggressive_sstable_expiration);
    let expired = fully_expired(sstables, ctx, ignore_overlaps);
    if !expired.is_empty() {
        return Some(CompactionTask {
            kind: TaskKind::Drop,
            inputs: expired,
            reason: CompactionReason::FullyExpired,
            output_level: 0,
            max_output_bytes: None,
        });
    }
    let all: Vec<&SstableInfo> = sstables.iter().collect();
    let min_threshold = params.min_threshold.max(2);
    let max_threshold = params.max_threshold.max(min_threshold);
    let tombstones = &params.tombstones;
    match &params.strategy {
        Strategy::SizeTiered(o) => {
            if let Some(bucket) = size_tiered::most_interesting_bucket(&all, o, min_threshold, max_threshold) {
                return Some(CompactionTask::merge(&bucket, CompactionReason::SizeTiered, 0, None));
            }
            match params.merge_all_above {
                Some(limit) if all.len() > limit && all.len() >= 2 => {
                    Some(CompactionTask::merge(&all, CompactionReason::TooManySstables, 0, None))
                }
                _ => tombstones::pick(&all, &all, tombstones, ctx, true)
                    .map(|s| CompactionTask::merge(&[s], CompactionReason::Tombstones, s.level, None)),
            }
        }
        Strategy::Leveled(o) => leveled::plan(&all, o, max_threshold).or_else(|| {
            tombstones::pick_leveled(&all, tombstones, ctx).map(|s| {
                CompactionTask::merge(&[s], CompactionReason::Tombstones, s.level, Some(o.sstable_size_bytes.max(1)))
            })
        }),
        Strategy::TimeWindow(o) => time_window::plan(&all, o, min_threshold, max_threshold).or_else(|| {
            tombstones::pick(&all, &all, tombstones, ctx, false)
                .map(|s| CompactionTask::merge(&[s], CompactionReason::Tombstones, s.level, None))
        }),
    }
}

/// A task merging every SSTable (`nodetool compact`), or `None` with fewer than two. Leveled
/// compaction splits the output into `sstable_size_in_mb` SSTables placed in the lowest level that can
/// hold them all; the other strategies write one SSTable.
pub fn plan_major(sstables: &[SstableInfo], params: &CompactionParams) -> Option<CompactionTask> {
    if sstables.len() < 2 {
        return None;
    }
    let all: Vec<&SstableInfo> = sstables.iter().collect();
    let (level, split) = match &params.strategy {
        Strategy::Leveled(o) => {
            let total: u64 = sstables.iter().map(|s| s.size_bytes).sum();
            let level = (1..=MAX_LEVEL).find(|l| leveled::max_bytes_for_level(*l, o) >= total).unwrap_or(MAX_LEVEL);
            (level, Some(o.sstable_size_bytes))
        }
        _ => (0, None),
    };
    Some(CompactionTask::merge(&all, CompactionReason::Major, level, split))
}

/// SSTables that only hold tombstones and expired data older than `gc_before`, and whose newest
/// timestamp is older than the oldest timestamp of anything live elsewhere (memtables and other
/// SSTables, expired ones excepted): nothing they hold can shadow anything, so they can be deleted
/// unread. With `ignore_overlaps` (TWCS's unsafe option) the second condition is skipped.
pub fn fully_expired(sstables: &[SstableInfo], ctx: &PlanContext, ignore_overlaps: bool) -> Vec<u64> {
    let candidates: Vec<&SstableInfo> = sstables.iter().filter(|s| s.max_local_deletion_time < ctx.gc_before).collect();
    if candidates.is_empty() {
        return Vec::new();
    }
    let oldest_live = sstables
        .iter()
        .filter(|s| s.max_local_deletion_time >= ctx.gc_before)
        .map(|s| s.min_timestamp)
        .chain(std::iter::once(ctx.memtable_min_timestamp))
        .min()
        .unwrap_or(i64::MAX);
    let mut out: Vec<u64> = candidates
        .into_iter()
        .filter(|s| ignore_overlaps || s.max_timestamp < oldest_live)
        .map(|s| s.generation)
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const MIB: u64 = 1024 * 1024;

    fn sst(generation: u64, size_bytes: u64) -> SstableInfo {
        SstableInfo::sized(generation, size_bytes)
    }

    #[test]
    fn a_disabled_strategy_plans_nothing_but_a_major_compaction_still_runs() {
        let tables: Vec<SstableInfo> = (1..=8).map(|g| sst(g, MIB)).collect();
        let params = CompactionParams { enabled: false, ..CompactionParams::default() };
        assert_eq!(plan(&tables, &params, &PlanContext::default()), None);
        let major = plan_major(&tables, &params).unwrap();
        assert_eq!(major.inputs, (1..=8).collect::<Vec<_>>());
        assert_eq!(major.reason, CompactionReason::Major);
    }

    #[test]
    fn fully_expired_sstables_older_than_all_live_data_are_dropped_first() {
        let mut expired = sst(1, MIB);
        expired.max_local_deletion_time = 100;
        expired.max_timestamp = 10;
        let mut live = sst(2, MIB);
        live.min_timestamp = 20;
        let ctx = PlanContext { gc_before: 200, ..PlanContext::default() };
        let task = plan(&[expired.clone(), live.clone()], &CompactionParams::default(), &ctx).unwrap();
        assert_eq!((task.kind, task.inputs.clone()), (TaskKind::Drop, vec![1]));

        // Not past gc_before yet.
        let early = PlanContext { gc_before: 50, ..ctx };
        assert_eq!(plan(&[expired.clone(), live.clone()], &CompactionParams::default(), &early), None);
        // Live data as old as the tombstones: they may still shadow it.
        live.min_timestamp = 10;
        assert_eq!(fully_expired(&[expired.clone(), live.clone()], &ctx, false), Vec::<u64>::new());
        assert_eq!(fully_expired(&[expired.clone(), live], &ctx, true), vec![1]);
        // The memtables count as live data.
        let busy = PlanContext { memtable_min_timestamp: 5, ..ctx };
        assert_eq!(fully_expired(&[expired], &busy, false), Vec::<u64>::new());
    }

    #[test]
    fn a_major_leveled_compaction_lands_in_the_lowest_level_that_holds_it() {
        let params = CompactionParams {
            strategy: Strategy::Leveled(LeveledOptions { sstable_size_bytes: MIB, ..LeveledOptions::default() }),
            ..CompactionParams::default()
        };
        let small: Vec<SstableInfo> = (1..=4).map(|g| sst(g, MIB)).collect();
        let t = plan_major(&small, &params).unwrap();
        assert_eq!((t.output_level, t.max_output_bytes), (1, Some(MIB)));
        let big: Vec<SstableInfo> = (1..=4).map(|g| sst(g, 10 * MIB)).collect();
        assert_eq!(plan_major(&big, &params).unwrap().output_level, 2);
        assert_eq!(plan_major(&big[..1], &params), None);
    }
}
