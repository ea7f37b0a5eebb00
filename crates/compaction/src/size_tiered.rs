//! Size-tiered bucketing (Cassandra's `SizeTieredCompactionStrategy.getBuckets` and
//! `mostInterestingBucket`), used on its own and inside leveled (level 0) and time-window (the current
//! window) compaction.

use crate::{SizeTieredOptions, SstableInfo};

/// Groups SSTables into buckets of similar size, considering them from the smallest up so that the
/// grouping is deterministic: an SSTable joins the first bucket whose average it is within
/// `bucket_low..bucket_high` times of, or whose average is, like it, below `min_sstable_size`.
pub fn buckets<'a>(tables: &[&'a SstableInfo], options: &SizeTieredOptions) -> Vec<Vec<&'a SstableInfo>> {
    let mut sorted = tables.to_vec();
    sorted.sort_by_key(|t| (t.size_bytes, t.generation));
    let mut buckets: Vec<(u64, Vec<&SstableInfo>)> = Vec::new();
    for t in sorted {
        let size = t.size_bytes;
        let home = buckets.iter_mut().find(|(avg, _)| {
            let avg_f = *avg as f64;
            let similar = (size as f64) > avg_f * options.bucket_low && (size as f64) < avg_f * options.bucket_high;
            let both_small = size < options.min_sstable_size_bytes && *avg < options.min_sstable_size_bytes;
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

/// The bucket to compact: among buckets of at least `min_threshold` SSTables, each cut down to its
/// `max_threshold` smallest, the one with the smallest average size.
pub(crate) fn most_interesting_bucket<'a>(
    tables: &[&'a SstableInfo],
    options: &SizeTieredOptions,
    min_threshold: usize,
    max_threshold: usize,
) -> Option<Vec<&'a SstableInfo>> {
    buckets(tables, options)
        .into_iter()
        .filter(|b| b.len() >= min_threshold)
        .map(|mut b| {
            b.sort_by_key(|t| (t.size_bytes, t.generation));
            b.truncate(max_threshold);
            b
        })
        .min_by_key(|b| (average_size(b), b.first().map(|t| t.generation)))
}

fn average_size(bucket: &[&SstableInfo]) -> u64 {
    let total: u128 = bucket.iter().map(|t| u128::from(t.size_bytes)).sum();
    u64::try_from(total / bucket.len().max(1) as u128).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::tests::MIB;
    use crate::*;

    fn sst(generation: u64, size_bytes: u64) -> SstableInfo {
        SstableInfo::sized(generation, size_bytes)
    }

    fn plan_stcs(tables: &[SstableInfo], params: &CompactionParams) -> Option<CompactionTask> {
        plan(tables, params, &PlanContext::default())
    }

    #[test]
    fn fewer_than_min_threshold_similar_sstables_need_no_compaction() {
        let tables = [sst(1, MIB), sst(2, MIB), sst(3, MIB)];
        assert_eq!(plan_stcs(&tables, &CompactionParams::default()), None);
    }

    #[test]
    fn min_threshold_small_sstables_are_compacted_together() {
        let tables = [sst(1, MIB), sst(2, 3 * MIB), sst(3, 10), sst(4, 40 * MIB)];
        let t = plan_stcs(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, vec![1, 2, 3, 4]);
        assert_eq!(
            (t.kind, t.reason, t.output_level, t.max_output_bytes),
            (TaskKind::Merge, CompactionReason::SizeTiered, 0, None)
        );
    }

    #[test]
    fn sstables_of_very_different_sizes_are_not_bucketed_together() {
        let tables = [sst(1, 100 * MIB), sst(2, 400 * MIB), sst(3, 1600 * MIB), sst(4, 6400 * MIB)];
        assert_eq!(plan_stcs(&tables, &CompactionParams::default()), None);
    }

    #[test]
    fn large_sstables_within_half_and_one_and_a_half_times_the_average_share_a_bucket() {
        let tables = [sst(1, 100 * MIB), sst(2, 120 * MIB), sst(3, 90 * MIB), sst(4, 110 * MIB), sst(5, 1000 * MIB)];
        let t = plan_stcs(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, vec![1, 2, 3, 4]);
    }

    #[test]
    fn bucket_low_and_high_and_min_sstable_size_are_honoured() {
        // 60 and 100 MiB: not within 0.5..1.5 of each other's average with a narrow window.
        let tables = [sst(1, 60 * MIB), sst(2, 100 * MIB), sst(3, 61 * MIB), sst(4, 99 * MIB)];
        let pairs = CompactionParams { min_threshold: 2, ..CompactionParams::default() };
        assert_eq!(plan_stcs(&tables, &pairs).unwrap().inputs, vec![1, 3]);
        let wide = CompactionParams {
            min_threshold: 2,
            strategy: crate::Strategy::SizeTiered(SizeTieredOptions { bucket_high: 2.0, ..Default::default() }),
            ..CompactionParams::default()
        };
        assert_eq!(plan_stcs(&tables, &wide).unwrap().inputs, vec![1, 2, 3, 4]);
        // Everything below min_sstable_size shares a bucket whatever the sizes.
        let tiny = [sst(1, 1), sst(2, 1000), sst(3, MIB), sst(4, 40 * MIB)];
        assert_eq!(plan_stcs(&tiny, &CompactionParams::default()).unwrap().inputs, vec![1, 2, 3, 4]);
        let no_small = CompactionParams {
            strategy: crate::Strategy::SizeTiered(SizeTieredOptions {
                min_sstable_size_bytes: 0,
                ..Default::default()
            }),
            ..CompactionParams::default()
        };
        assert_eq!(plan_stcs(&tiny, &no_small), None);
    }

    #[test]
    fn at_most_max_threshold_of_the_smallest_sstables_are_compacted_at_once() {
        let tables: Vec<SstableInfo> = (1..=40).map(|g| sst(g, 1000 + g)).collect();
        let t = plan_stcs(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, (1..=32).collect::<Vec<_>>());
    }

    #[test]
    fn the_bucket_with_the_smallest_sstables_goes_first() {
        let mut tables: Vec<SstableInfo> = (1..=4).map(|g| sst(g, 1000 * MIB)).collect();
        tables.extend((5..=8).map(|g| sst(g, 100 * MIB)));
        let t = plan_stcs(&tables, &CompactionParams::default()).unwrap();
        assert_eq!(t.inputs, vec![5, 6, 7, 8]);
    }

    #[test]
    fn more_sstables_than_merge_all_above_merges_everything_when_no_bucket_qualifies() {
        let tables = [sst(1, 100 * MIB), sst(2, 400 * MIB), sst(3, 1600 * MIB)];
        let params = CompactionParams { merge_all_above: Some(2), ..CompactionParams::default() };
        let t = plan_stcs(&tables, &params).unwrap();
        assert_eq!(t.inputs, vec![1, 2, 3]);
        assert_eq!(t.reason, CompactionReason::TooManySstables);
    }

    #[test]
    fn merge_all_above_is_not_triggered_at_the_limit() {
        let tables = [sst(1, 100 * MIB), sst(2, 400 * MIB)];
        let params = CompactionParams { merge_all_above: Some(2), ..CompactionParams::default() };
        assert_eq!(plan_stcs(&tables, &params), None);
    }

    #[test]
    fn a_single_sstable_is_never_compacted() {
        let params = CompactionParams { merge_all_above: Some(0), min_threshold: 1, ..CompactionParams::default() };
        assert_eq!(plan_stcs(&[sst(1, 10)], &params), None);
        assert_eq!(plan_stcs(&[], &params), None);
    }

    proptest! {
        #[test]
        fn a_task_names_at_least_two_distinct_existing_generations_in_ascending_order(
            sizes in proptest::collection::vec(0u64..(200 * MIB), 0..60),
            merge_all_above in proptest::option::of(0usize..10),
        ) {
            let tables: Vec<SstableInfo> = sizes.iter().enumerate().map(|(i, s)| sst(i as u64 + 1, *s)).collect();
            let params = CompactionParams { merge_all_above, ..CompactionParams::default() };
            if let Some(t) = plan_stcs(&tables, &params) {
                prop_assert!(t.inputs.len() >= 2);
                prop_assert!(t.inputs.len() <= params.max_threshold || t.reason == CompactionReason::TooManySstables);
                prop_assert!(t.inputs.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(t.inputs.iter().all(|g| *g >= 1 && *g <= tables.len() as u64));
            }
        }

        #[test]
        fn buckets_partition_the_sstables(sizes in proptest::collection::vec(0u64..(200 * MIB), 0..60)) {
            let tables: Vec<SstableInfo> = sizes.iter().enumerate().map(|(i, s)| sst(i as u64, *s)).collect();
            let refs: Vec<&SstableInfo> = tables.iter().collect();
            let mut gens: Vec<u64> = buckets(&refs, &SizeTieredOptions::default())
                .into_iter().flatten().map(|t| t.generation).collect();
            gens.sort_unstable();
            prop_assert_eq!(gens, (0..tables.len() as u64).collect::<Vec<_>>());
        }
    }
}
