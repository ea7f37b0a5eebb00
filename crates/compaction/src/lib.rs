//! Compaction planning: which SSTables of one table to merge next.
//!
//! Owns: the size-tiered strategy ([`plan`]), modelled on Cassandra's `SizeTieredCompactionStrategy`:
//! SSTables are grouped into buckets of similar size (within `bucket_low..bucket_high` times the
//! bucket's average, or all "small" ones together), and a bucket with at least `min_threshold` SSTables
//! is compacted, at most `max_threshold` of its smallest at a time. With no read-hotness statistics the
//! bucket with the smallest average size goes first, as Cassandra does on equal hotness. On top of that,
//! when a table has more than `merge_all_above` SSTables and no bucket qualifies, everything is merged.
//!
//! Must not know about: files, partitions or the engine. Pure functions over [`SstableInfo`]; the engine
//! runs the merge and decides what to purge.

/// What the planner needs to know about one SSTable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SstableInfo {
    pub generation: u64,
    pub size_bytes: u64,
}

/// Size-tiered compaction settings (Cassandra's defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionParams {
    /// Fewest SSTables in a bucket worth compacting (Cassandra `min_threshold`, default 4).
    pub min_threshold: usize,
    /// Most SSTables compacted at once (Cassandra `max_threshold`, default 32).
    pub max_threshold: usize,
    /// An SSTable joins a bucket if its size is above `bucket_low` times the bucket's average (0.5)…
    pub bucket_low: f64,
    /// …and below `bucket_high` times it (1.5).
    pub bucket_high: f64,
    /// SSTables smaller than this all share one bucket (50 MiB).
    pub min_sstable_size_bytes: u64,
    /// Merge every SSTable when there are more than this many and no bucket qualifies.
    pub merge_all_above: Option<usize>,
}

impl Default for CompactionParams {
    fn default() -> Self {
        CompactionParams {
            min_threshold: 4,
            max_threshold: 32,
            bucket_low: 0.5,
            bucket_high: 1.5,
            min_sstable_size_bytes: 50 * 1024 * 1024,
            merge_all_above: None,
        }
    }
}

/// Why a task was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompactionReason {
    /// A bucket of similarly sized SSTables reached `min_threshold`.
    SizeTiered,
    /// The table had more than `merge_all_above` SSTables.
    TooManySstables,
}

/// SSTables to merge into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionTask {
    /// Generations, ascending; always at least two.
    pub inputs: Vec<u64>,
    pub reason: CompactionReason,
}

/// The next compaction for a table with these SSTables, if any is due.
pub fn plan(tables: &[SstableInfo], params: &CompactionParams) -> Option<CompactionTask> {
    let min_threshold = params.min_threshold.max(2);
    let max_threshold = params.max_threshold.max(min_threshold);

    let best = buckets(tables, params)
        .into_iter()
        .filter(|b| b.len() >= min_threshold)
        .map(|mut b| {
            b.sort_by_key(|t| (t.size_bytes, t.generation));
            b.truncate(max_threshold);
            b
        })
        .min_by_key(|b| (average_size(b), b.first().map(|t| t.generation)));
    if let Some(bucket) = best {
        return Some(task(&bucket, CompactionReason::SizeTiered));
    }

    match params.merge_all_above {
        Some(limit) if tables.len() > limit && tables.len() >= 2 => {
            Some(task(tables, CompactionReason::TooManySstables))
        }
        _ => None,
    }
}

fn task(tables: &[SstableInfo], reason: CompactionReason) -> CompactionTask {
    let mut inputs: Vec<u64> = tables.iter().map(|t| t.generation).collect();
    inputs.sort_unstable();
    inputs.dedup();
    CompactionTask { inputs, reason }
}

fn average_size(bucket: &[SstableInfo]) -> u64 {
    let total: u128 = bucket.iter().map(|t| u128::from(t.size_bytes)).sum();
    u64::try_from(total / bucket.len().max(1) as u128).unwrap_or(u64::MAX)
}

/// Groups SSTables into buckets of similar size (Cassandra's `getBuckets`), considering them from the
/// smallest up so that the grouping is deterministic.
pub fn buckets(tables: &[SstableInfo], params: &CompactionParams) -> Vec<Vec<SstableInfo>> {
    let mut sorted = tables.to_vec();
    sorted.sort_by_key(|t| (t.size_bytes, t.generation));
    let mut buckets: Vec<(u64, Vec<SstableInfo>)> = Vec::new();
    for t in sorted {
        let size = t.size_bytes;
        let home = buckets.iter_mut().find(|(avg, _)| {
            let avg_f = *avg as f64;
            let similar = (size as f64) > avg_f * params.bucket_low && (size as f64) < avg_f * params.bucket_high;
            let both_small = size < params.min_sstable_size_bytes && *avg < params.min_sstable_size_bytes;
            similar || both_small
        });
        match home {
            Some((avg, members)) => {
                let n = members.len() as u128;
                let total = u128::from(*avg) * n + u128::from(size);
                *avg = u64::try_from(total / (n + 1)).unwrap_or(u64::MAX);
                members.push(t);
            }
            None => buckets.push((size, vec![t])),
        }
    }
    buckets.into_iter().map(|(_, members)| members).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn sst(generation: u64, size_bytes: u64) -> SstableInfo {
        SstableInfo { generation, size_bytes }
    }

    #[test]
    fn fewer_than_min_threshold_similar_sstables_need_no_compaction() {
        let tables = [sst(1, MIB), sst(2, MIB), sst(3, MIB)];
        assert_eq!(plan(&tables, &CompactionParams::default()), None);
    }

    #[test]
    fn min_threshold_small_sstables_are_compacted_together() {
        let tables = [sst(1, MIB), sst(2, 3 * MIB), sst(3, 10), sst(4, 40 * MIB)];
        let t = plan(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, vec![1, 2, 3, 4]);
        assert_eq!(t.reason, CompactionReason::SizeTiered);
    }

    #[test]
    fn sstables_of_very_different_sizes_are_not_bucketed_together() {
        let tables = [sst(1, 100 * MIB), sst(2, 400 * MIB), sst(3, 1600 * MIB), sst(4, 6400 * MIB)];
        assert_eq!(plan(&tables, &CompactionParams::default()), None);
    }

    #[test]
    fn large_sstables_within_half_and_one_and_a_half_times_the_average_share_a_bucket() {
        let tables = [sst(1, 100 * MIB), sst(2, 120 * MIB), sst(3, 90 * MIB), sst(4, 110 * MIB), sst(5, 1000 * MIB)];
        let t = plan(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, vec![1, 2, 3, 4]);
    }

    #[test]
    fn at_most_max_threshold_of_the_smallest_sstables_are_compacted_at_once() {
        let tables: Vec<SstableInfo> = (1..=40).map(|g| sst(g, 1000 + g)).collect();
        let t = plan(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, (1..=32).collect::<Vec<_>>());
    }

    #[test]
    fn the_bucket_with_the_smallest_sstables_goes_first() {
        let mut tables: Vec<SstableInfo> = (1..=4).map(|g| sst(g, 1000 * MIB)).collect();
        tables.extend((5..=8).map(|g| sst(g, 100 * MIB)));
        let t = plan(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, vec![5, 6, 7, 8]);
    }

    #[test]
    fn more_sstables_than_merge_all_above_merges_everything_when_no_bucket_qualifies() {
        let tables = [sst(1, 100 * MIB), sst(2, 400 * MIB), sst(3, 1600 * MIB)];
        let params = CompactionParams { merge_all_above: Some(2), ..CompactionParams::default() };
        let t = plan(&tables, &params).unwrap();
        assert_eq!(t.inputs, vec![1, 2, 3]);
        assert_eq!(t.reason, CompactionReason::TooManySstables);
    }

    #[test]
    fn merge_all_above_is_not_triggered_at_the_limit() {
        let tables = [sst(1, 100 * MIB), sst(2, 400 * MIB)];
        let params = CompactionParams { merge_all_above: Some(2), ..CompactionParams::default() };
        assert_eq!(plan(&tables, &params), None);
    }

    #[test]
    fn a_single_sstable_is_never_compacted() {
        let params = CompactionParams { merge_all_above: Some(0), min_threshold: 1, ..CompactionParams::default() };
        assert_eq!(plan(&[sst(1, 10)], &params), None);
        assert_eq!(plan(&[], &params), None);
    }

    proptest! {
        #[test]
        fn a_task_names_at_least_two_distinct_existing_generations_in_ascending_order(
            sizes in proptest::collection::vec(0u64..(200 * MIB), 0..60),
            merge_all_above in proptest::option::of(0usize..10),
        ) {
            let tables: Vec<SstableInfo> = sizes.iter().enumerate().map(|(i, s)| sst(i as u64 + 1, *s)).collect();
            let params = CompactionParams { merge_all_above, ..CompactionParams::default() };
            if let Some(t) = plan(&tables, &params) {
                prop_assert!(t.inputs.len() >= 2);
                prop_assert!(t.inputs.len() <= params.max_threshold || t.reason == CompactionReason::TooManySstables);
                prop_assert!(t.inputs.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(t.inputs.iter().all(|g| *g >= 1 && *g <= tables.len() as u64));
            }
        }

        #[test]
        fn buckets_partition_the_sstables(sizes in proptest::collection::vec(0u64..(200 * MIB), 0..60)) {
            let tables: Vec<SstableInfo> = sizes.iter().enumerate().map(|(i, s)| sst(i as u64, *s)).collect();
            let mut gens: Vec<u64> = buckets(&tables, &CompactionParams::default())
                .into_iter().flatten().map(|t| t.generation).collect();
            gens.sort_unstable();
            prop_assert_eq!(gens, (0..tables.len() as u64).collect::<Vec<_>>());
        }
    }
}
