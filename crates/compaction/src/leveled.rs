//! Leveled compaction, after Cassandra's `LeveledManifest`.
//!
//! Flushes land in level 0, where SSTables may overlap. Each level `n >= 1` is one sorted run: its
//! SSTables (about `sstable_size_in_mb` each) do not overlap, and together hold at most
//! `fanout^n × sstable_size` bytes. The planner picks, in this order:
//!
//! 1. a level whose SSTables overlap (never produced by the planner; it would follow a bug or a
//!    hand-edited manifest): the overlapping run is merged again into that level;
//! 2. when level 0 has fallen far behind (more than 32 SSTables, Cassandra's `MAX_COMPACTING_L0`):
//!    size-tiered compaction within level 0, so that reads do not drown in overlapping SSTables;
//! 3. the highest level above its size (score > 1.001, as Cassandra): one of its SSTables goes to the
//!    next level together with the SSTables it overlaps there. Cassandra picks it round-robin by key;
//!    Sibyl picks the one overlapping the fewest bytes of the next level per byte of its own, which
//!    needs no state and writes the least. With `single_sstable_uplevel`, an SSTable that overlaps
//!    nothing in the next level is moved there without being rewritten;
//! 4. level 0 with at least 4 SSTables (its trigger): its oldest SSTables, at most `max_threshold`,
//!    are merged with the level-1 SSTables they overlap into level 1.
//!
//! Merges into level `n >= 1` split their output into SSTables of `sstable_size_in_mb`.

use crate::size_tiered::most_interesting_bucket;
use crate::{
    CompactionReason, CompactionTask, LeveledOptions, SstableInfo, TaskKind, DEFAULT_MIN_THRESHOLD, MAX_LEVEL,
};

/// Level 0 is merged into level 1 once it holds this many SSTables.
pub(crate) const L0_COMPACTION_TRIGGER: usize = 4;
/// Beyond this many SSTables in level 0, level 0 is compacted size-tiered first.
pub(crate) const MAX_COMPACTING_L0: usize = 32;

/// The most bytes level `level` should hold: `fanout^level × sstable_size` (level 0: 4 SSTables).
pub(crate) fn max_bytes_for_level(level: u32, o: &LeveledOptions) -> u64 {
    if level == 0 {
        return o.sstable_size_bytes.saturating_mul(L0_COMPACTION_TRIGGER as u64);
    }
    u64::from(o.fanout.max(1)).checked_pow(level).map_or(u64::MAX, |f| f.saturating_mul(o.sstable_size_bytes))
}

fn total_bytes(tables: &[&SstableInfo]) -> u64 {
    tables.iter().map(|t| t.size_bytes).fold(0u64, u64::saturating_add)
}

pub(crate) fn plan(all: &[&SstableInfo], o: &LeveledOptions, max_threshold: usize) -> Option<CompactionTask> {
    let mut levels: Vec<Vec<&SstableInfo>> = vec![Vec::new(); MAX_LEVEL as usize + 1];
    for s in all {
        levels[s.level.min(MAX_LEVEL) as usize].push(s);
    }
    for level in &mut levels[1..] {
        level.sort_by(|a, b| (&a.min_key, a.generation).cmp(&(&b.min_key, b.generation)));
    }
    let split = Some(o.sstable_size_bytes.max(1));

    // 1. Repair a level whose SSTables overlap.
    for (n, level) in levels.iter().enumerate().skip(1) {
        if let Some(run) = overlapping_run(level) {
            return Some(CompactionTask::merge(&run, CompactionReason::LevelRepair, n as u32, split));
        }
    }

    // 2. Level 0 far behind: size-tiered within it.
    if levels[0].len() > MAX_COMPACTING_L0 {
        let bucket = most_interesting_bucket(&levels[0], &o.l0_size_tiered, DEFAULT_MIN_THRESHOLD, max_threshold);
        if let Some(bucket) = bucket {
            return Some(CompactionTask::merge(&bucket, CompactionReason::LevelZeroSizeTiered, 0, None));
        }
    }

    // 3. The highest level above its size sends one SSTable up.
    for n in (1..MAX_LEVEL as usize).rev() {
        let score = total_bytes(&levels[n]) as f64 / max_bytes_for_level(n as u32, o) as f64;
        if score <= 1.001 {
            continue;
        }
        let next = &levels[n + 1];
        let overlaps =
            |s: &SstableInfo| -> Vec<&SstableInfo> { next.iter().copied().filter(|t| t.overlaps(s)).collect() };
        let (chosen, above) = levels[n].iter().map(|s| (*s, overlaps(s))).min_by(|(a, oa), (b, ob)| {
            let ratio = |s: &SstableInfo, o: &[&SstableInfo]| total_bytes(o) as f64 / s.size_bytes.max(1) as f64;
            ratio(a, oa).total_cmp(&ratio(b, ob)).then_with(|| a.min_key.cmp(&b.min_key))
        })?;
        let output_level = n as u32 + 1;
        if above.is_empty() && o.single_sstable_uplevel {
            return Some(CompactionTask {
                kind: TaskKind::Move,
                inputs: vec![chosen.generation],
                reason: CompactionReason::LevelOverflow,
                output_level,
                max_output_bytes: None,
            });
        }
        let mut inputs = above;
        inputs.push(chosen);
        return Some(CompactionTask::merge(&inputs, CompactionReason::LevelOverflow, output_level, split));
    }

    // 4. Level 0 into level 1.
    if levels[0].len() >= L0_COMPACTION_TRIGGER {
        let mut l0 = levels[0].clone();
        l0.sort_by_key(|s| s.generation);
        l0.truncate(max_threshold.max(2));
        let min_key = l0.iter().map(|s| &s.min_key).min()?;
        let max_key = l0.iter().map(|s| &s.max_key).max()?;
        let mut inputs: Vec<&SstableInfo> =
            levels[1].iter().copied().filter(|t| &t.min_key <= max_key && min_key <= &t.max_key).collect();
        inputs.extend(l0);
        return Some(CompactionTask::merge(&inputs, CompactionReason::LevelZero, 1, split));
    }
    None
}

/// The first maximal run of overlapping SSTables in a level sorted by first key, if any overlap.
fn overlapping_run<'a>(level: &[&'a SstableInfo]) -> Option<Vec<&'a SstableInfo>> {
    let start = level.windows(2).position(|w| w[0].max_key >= w[1].min_key)?;
    let mut run = vec![level[start]];
    let mut end_key = &level[start].max_key;
    for s in &level[start + 1..] {
        if &s.min_key > end_key {
            break;
        }
        if s.max_key > *end_key {
            end_key = &s.max_key;
        }
        run.push(s);
    }
    Some(run)
}

#[cfg(test)]
mod tests {
    use super::max_bytes_for_level;
    use crate::tests::MIB;
    use crate::*;

    fn lcs() -> CompactionParams {
        CompactionParams {
            strategy: Strategy::Leveled(LeveledOptions { sstable_size_bytes: MIB, ..LeveledOptions::default() }),
            ..CompactionParams::default()
        }
    }

    fn sst(generation: u64, level: u32, keys: (u8, u8), size: u64) -> SstableInfo {
        SstableInfo { level, min_key: vec![keys.0], max_key: vec![keys.1], ..SstableInfo::sized(generation, size) }
    }

    fn plan_lcs(tables: &[SstableInfo]) -> Option<CompactionTask> {
        plan(tables, &lcs(), &PlanContext::default())
    }

    #[test]
    fn level_zero_waits_for_four_sstables_then_goes_to_level_one_with_what_it_overlaps() {
        let mut tables = vec![sst(1, 0, (10, 50), MIB / 4), sst(2, 0, (20, 60), MIB / 4), sst(3, 0, (0, 40), MIB / 4)];
        tables.push(sst(10, 1, (0, 5), MIB));
        tables.push(sst(11, 1, (55, 70), MIB));
        tables.push(sst(12, 1, (71, 90), MIB));
        assert_eq!(plan_lcs(&tables), None);
        tables.push(sst(4, 0, (30, 45), MIB / 4));
        let t = plan_lcs(&tables).unwrap();
        assert_eq!(t.kind, TaskKind::Merge);
        assert_eq!(t.reason, CompactionReason::LevelZero);
        assert_eq!(t.inputs, vec![1, 2, 3, 4, 10, 11]);
        assert_eq!((t.output_level, t.max_output_bytes), (1, Some(MIB)));
    }

    #[test]
    fn a_level_over_its_size_sends_the_sstable_overlapping_least_up() {
        // Level 1 may hold 10 MiB; it holds 11 in 11 SSTables.
        let mut tables: Vec<SstableInfo> =
            (0..11u8).map(|i| sst(100 + u64::from(i), 1, (i * 20, i * 20 + 9), MIB)).collect();
        // Per byte of its own, the level-1 SSTable at keys 40..49 overlaps the least of level 2.
        tables.push(sst(200, 2, (0, 35), 2 * MIB));
        tables.push(sst(201, 2, (36, 41), MIB));
        tables.push(sst(202, 2, (60, 255), 30 * MIB));
        let t = plan_lcs(&tables).unwrap();
        assert_eq!(t.reason, CompactionReason::LevelOverflow);
        assert_eq!(t.inputs, vec![102, 201]);
        assert_eq!(t.output_level, 2);
    }

    #[test]
    fn an_sstable_overlapping_nothing_above_moves_up_without_a_rewrite() {
        let mut tables: Vec<SstableInfo> =
            (0..11u8).map(|i| sst(100 + u64::from(i), 1, (i * 20, i * 20 + 9), MIB)).collect();
        tables.push(sst(200, 2, (230, 255), MIB));
        let t = plan_lcs(&tables).unwrap();
        assert_eq!((t.kind, t.inputs.clone(), t.output_level), (TaskKind::Move, vec![100], 2));
        let no_uplevel = CompactionParams {
            strategy: Strategy::Leveled(LeveledOptions {
                sstable_size_bytes: MIB,
                single_sstable_uplevel: false,
                ..LeveledOptions::default()
            }),
            ..CompactionParams::default()
        };
        let t = plan(&tables, &no_uplevel, &PlanContext::default()).unwrap();
        assert_eq!((t.kind, t.inputs.clone()), (TaskKind::Merge, vec![100]));
    }

    #[test]
    fn higher_levels_are_served_before_level_zero() {
        let mut tables: Vec<SstableInfo> = (0..4u64).map(|g| sst(g + 1, 0, (0, 255), MIB / 4)).collect();
        tables.extend((0..11u8).map(|i| sst(100 + u64::from(i), 1, (i * 20, i * 20 + 9), MIB)));
        assert_eq!(plan_lcs(&tables).unwrap().reason, CompactionReason::LevelOverflow);
    }

    #[test]
    fn level_zero_far_behind_is_compacted_size_tiered_within_itself() {
        let tables: Vec<SstableInfo> = (1..=33u64).map(|g| sst(g, 0, (0, 255), MIB / 8)).collect();
        let t = plan_lcs(&tables).unwrap();
        assert_eq!(t.reason, CompactionReason::LevelZeroSizeTiered);
        assert_eq!((t.output_level, t.max_output_bytes, t.inputs.len()), (0, None, 32));
    }

    #[test]
    fn overlapping_sstables_in_a_level_are_merged_again() {
        let tables =
            vec![sst(1, 2, (0, 10), MIB), sst(2, 2, (11, 20), MIB), sst(3, 2, (15, 30), MIB), sst(4, 2, (40, 50), MIB)];
        let t = plan_lcs(&tables).unwrap();
        assert_eq!((t.reason, t.inputs.clone(), t.output_level), (CompactionReason::LevelRepair, vec![2, 3], 2));
    }

    #[test]
    fn level_sizes_grow_by_the_fanout() {
        let o = LeveledOptions { sstable_size_bytes: MIB, fanout: 10, ..LeveledOptions::default() };
        assert_eq!(max_bytes_for_level(0, &o), 4 * MIB);
        assert_eq!(max_bytes_for_level(1, &o), 10 * MIB);
        assert_eq!(max_bytes_for_level(3, &o), 1000 * MIB);
        assert_eq!(max_bytes_for_level(8, &LeveledOptions { fanout: 1000, ..o }), u64::MAX);
    }
}
