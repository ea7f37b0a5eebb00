//! A compaction simulator (no I/O): feeds flushes to the planner, carries out its tasks on paper and
//! checks the shapes each strategy promises, in the spirit of mini-lsm's compaction simulator.
//!
//! A merge's output is as large as its inputs together (no overwrite or deletion is reconciled away:
//! the worst case) and spans their key range; a split output divides that range evenly.

use crate::leveled::{max_bytes_for_level, L0_COMPACTION_TRIGGER};
use crate::time_window::window_start;
use crate::*;

const MIB: u64 = 1024 * 1024;
const SECOND_MICROS: i64 = 1_000_000;

fn key(k: u32) -> Vec<u8> {
    k.to_be_bytes().to_vec()
}

fn key_value(k: &[u8]) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&k[..4]);
    u32::from_be_bytes(b)
}

struct Sim {
    params: CompactionParams,
    tables: Vec<SstableInfo>,
    next_generation: u64,
    /// Bytes flushed, and bytes written by flushes and compactions.
    flushed: u64,
    written: u64,
    tasks: usize,
    /// Seconds since the epoch.
    now: i64,
    gc_grace: i64,
    rng: u64,
}

impl Sim {
    fn new(params: CompactionParams) -> Sim {
        Sim {
            params,
            tables: Vec::new(),
            next_generation: 1,
            flushed: 0,
            written: 0,
            tasks: 0,
            now: 1_700_000_000,
            gc_grace: 0,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation - 1
    }

    /// Flushes a memtable of `size` bytes holding keys `keys` written over the last `span` seconds,
    /// expiring `ttl` seconds after they were written (`None`: live data).
    fn flush(&mut self, size: u64, keys: (u32, u32), span: i64, ttl: Option<i64>) {
        let generation = self.generation();
        let max_local_deletion_time = match ttl {
            Some(ttl) => i32::try_from(self.now + ttl).unwrap_or(i32::MAX),
            None => i32::MAX,
        };
        self.tables.push(SstableInfo {
            generation,
            size_bytes: size,
            level: 0,
            min_key: key(keys.0),
            max_key: key(keys.1),
            min_timestamp: (self.now - span) * SECOND_MICROS,
            max_timestamp: self.now * SECOND_MICROS - 1,
            max_local_deletion_time,
            ..SstableInfo::sized(generation, size)
        });
        self.flushed += size;
        self.written += size;
    }

    /// A flush of `size` bytes over random keys (a random slice of the key space).
    fn flush_random(&mut self, size: u64) {
        let a = (self.random() % u64::from(u32::MAX)) as u32;
        let b = (self.random() % u64::from(u32::MAX)) as u32;
        self.flush(size, (a.min(b), a.max(b)), 1, None);
    }

    fn context(&self) -> PlanContext {
        PlanContext {
            gc_before: i32::try_from(self.now - self.gc_grace).unwrap_or(i32::MAX),
            memtable_min_timestamp: i64::MAX,
            now_seconds: self.now,
        }
    }

    /// Runs planned tasks until the planner is satisfied; returns how many ran.
    fn settle(&mut self) -> usize {
        let mut ran = 0;
        while let Some(task) = plan(&self.tables, &self.params, &self.context()) {
            self.run(&task);
            ran += 1;
            assert!(ran < 10_000, "the planner does not converge: {task:?}");
        }
        self.tasks += ran;
        ran
    }

    fn run(&mut self, task: &CompactionTask) {
        assert!(!task.inputs.is_empty(), "{task:?}");
        assert!(task.inputs.windows(2).all(|w| w[0] < w[1]), "{task:?}");
        let inputs: Vec<SstableInfo> =
            self.tables.iter().filter(|t| task.inputs.contains(&t.generation)).cloned().collect();
        assert_eq!(inputs.len(), task.inputs.len(), "the task names SSTables that do not exist: {task:?}");
        match task.kind {
            TaskKind::Drop => {
                let ctx = self.context();
                assert!(inputs.iter().all(|t| t.max_local_deletion_time < ctx.gc_before), "{task:?}");
                self.tables.retain(|t| !task.inputs.contains(&t.generation));
            }
            TaskKind::Move => {
                assert_eq!(inputs.len(), 1);
                for t in self.tables.iter_mut().filter(|t| t.generation == task.inputs[0]) {
                    t.level = task.output_level;
                }
            }
            TaskKind::Merge => {
                self.tables.retain(|t| !task.inputs.contains(&t.generation));
                let total: u64 = inputs.iter().map(|t| t.size_bytes).sum();
                let lo = inputs.iter().map(|t| key_value(&t.min_key)).min().unwrap_or(0);
                let hi = inputs.iter().map(|t| key_value(&t.max_key)).max().unwrap_or(0);
                let pieces = match task.max_output_bytes {
                    Some(m) => total.div_ceil(m.max(1)).max(1),
                    None => 1,
                };
                let span = u64::from(hi - lo) + 1;
                for i in 0..pieces {
                    let generation = self.generation();
                    let first = lo + (span * i / pieces) as u32;
                    let last = lo + (span * (i + 1) / pieces).saturating_sub(1) as u32;
                    let size = match task.max_output_bytes {
                        Some(m) if i + 1 < pieces => m,
                        Some(m) => total - m * (pieces - 1),
                        None => total,
                    };
                    self.tables.push(SstableInfo {
                        generation,
                        size_bytes: size,
                        level: task.output_level,
                        min_key: key(first),
                        max_key: key(last.max(first)),
                        min_timestamp: inputs.iter().map(|t| t.min_timestamp).min().unwrap_or(0),
                        max_timestamp: inputs.iter().map(|t| t.max_timestamp).max().unwrap_or(0),
                        max_local_deletion_time: inputs.iter().map(|t| t.max_local_deletion_time).max().unwrap_or(0),
                        ..SstableInfo::sized(generation, size)
                    });
                    self.written += size;
                }
            }
        }
    }

    fn write_amplification(&self) -> f64 {
        self.written as f64 / self.flushed.max(1) as f64
    }

    fn level(&self, n: u32) -> Vec<&SstableInfo> {
        let mut level: Vec<&SstableInfo> = self.tables.iter().filter(|t| t.level == n).collect();
        level.sort_by(|a, b| a.min_key.cmp(&b.min_key));
        level
    }
}

fn leveled(sstable_size: u64) -> CompactionParams {
    CompactionParams {
        strategy: Strategy::Leveled(LeveledOptions { sstable_size_bytes: sstable_size, ..LeveledOptions::default() }),
        ..CompactionParams::default()
    }
}

#[test]
fn size_tiered_keeps_a_logarithmic_number_of_sstables() {
    let mut sim = Sim::new(CompactionParams::default());
    let flush = 64 * MIB;
    for i in 1..=512u64 {
        sim.flush_random(flush);
        sim.settle();
        // Each tier holds fewer than min_threshold SSTables once settled.
        let tiers = ((i as f64).log(4.0).floor() as usize) + 1;
        assert!(sim.tables.len() <= 3 * tiers, "{} sstables after {i} flushes", sim.tables.len());
        for bucket in buckets(&sim.tables.iter().collect::<Vec<_>>(), &SizeTieredOptions::default()) {
            assert!(bucket.len() < 4, "a settled bucket holds {} SSTables", bucket.len());
        }
    }
    // 512 flushes = 4^4.5: every byte is rewritten about once per tier.
    let wa = sim.write_amplification();
    assert!((4.0..=7.0).contains(&wa), "write amplification {wa}");
}

#[test]
fn size_tiered_with_small_sstables_groups_them_all() {
    let mut sim = Sim::new(CompactionParams::default());
    for _ in 0..40 {
        sim.flush_random(MIB);
        sim.settle();
        assert!(sim.tables.len() < 4 + 3, "{} sstables", sim.tables.len());
    }
}

#[test]
fn leveled_keeps_levels_sorted_and_within_their_size() {
    let sstable = MIB;
    let mut sim = Sim::new(leveled(sstable));
    let options = LeveledOptions { sstable_size_bytes: sstable, ..LeveledOptions::default() };
    for i in 1..=600u64 {
        sim.flush_random(sstable / 3);
        sim.settle();
        assert!(sim.level(0).len() < L0_COMPACTION_TRIGGER, "level 0 after flush {i}");
        for n in 1..=MAX_LEVEL {
            let level = sim.level(n);
            for w in level.windows(2) {
                assert!(w[0].max_key < w[1].min_key, "level {n} overlaps after flush {i}: {w:?}");
            }
            let bytes: u64 = level.iter().map(|t| t.size_bytes).sum();
            if n < MAX_LEVEL {
                assert!(bytes as f64 <= 1.001 * max_bytes_for_level(n, &options) as f64, "level {n} holds {bytes}");
            }
            assert!(level.iter().all(|t| t.size_bytes <= sstable), "level {n} has an oversized SSTable");
        }
    }
    // 200 MiB flushed: levels 1 (10 MiB), 2 (100 MiB) and 3 are in use.
    assert!(!sim.level(3).is_empty());
    assert!(sim.level(4).is_empty());
    let wa = sim.write_amplification();
    assert!(wa < 40.0, "write amplification {wa}");
}

#[test]
fn leveled_pushes_level_zero_up_only_from_four_sstables() {
    let mut sim = Sim::new(leveled(MIB));
    for _ in 0..3 {
        sim.flush(MIB / 4, (0, 1000), 1, None);
        assert_eq!(sim.settle(), 0);
    }
    sim.flush(MIB / 4, (0, 1000), 1, None);
    assert_eq!(sim.settle(), 1);
    assert!(sim.level(0).is_empty());
    assert_eq!(sim.level(1).len(), 1);
}

#[test]
fn leveled_recovers_from_a_level_zero_backlog() {
    // Compaction was off (enabled: false) while 100 flushes piled up in level 0.
    let mut sim = Sim::new(CompactionParams { enabled: false, ..leveled(MIB) });
    for _ in 0..100 {
        sim.flush_random(MIB / 4);
    }
    assert_eq!(sim.settle(), 0);
    sim.params.enabled = true;
    let first = plan(&sim.tables, &sim.params, &sim.context()).unwrap();
    assert_eq!(first.reason, CompactionReason::LevelZeroSizeTiered);
    sim.settle();
    assert!(sim.level(0).len() < L0_COMPACTION_TRIGGER);
}

#[test]
fn time_window_leaves_one_sstable_per_past_window() {
    let options = TimeWindowOptions { window_unit: WindowUnit::Hours, ..TimeWindowOptions::default() };
    let params = CompactionParams { strategy: Strategy::TimeWindow(options.clone()), ..CompactionParams::default() };
    let mut sim = Sim::new(params);
    // A flush every 10 minutes for two days.
    for _ in 0..(6 * 48) {
        sim.now += 600;
        sim.flush_random(MIB);
        sim.settle();
        let current = window_start(sim.now * SECOND_MICROS - 1, &options);
        let mut per_window = std::collections::BTreeMap::<i64, usize>::new();
        for t in &sim.tables {
            *per_window.entry(window_start(t.max_timestamp, &options)).or_default() += 1;
        }
        for (window, count) in &per_window {
            if *window < current {
                assert_eq!(*count, 1, "past window {window} holds {count} SSTables");
            } else {
                assert!(*count < 4, "the current window holds {count} SSTables");
            }
        }
    }
    // 48 hours span 49 windows (the start is not aligned); the current one may hold up to 3.
    assert!((48..=52).contains(&sim.tables.len()), "{} sstables", sim.tables.len());
}

#[test]
fn time_window_drops_whole_windows_once_their_ttl_and_gc_grace_passed() {
    let options = TimeWindowOptions { window_unit: WindowUnit::Hours, ..TimeWindowOptions::default() };
    let params = CompactionParams { strategy: Strategy::TimeWindow(options), ..CompactionParams::default() };
    let mut sim = Sim::new(params);
    sim.gc_grace = 3600;
    let ttl = 6 * 3600;
    for _ in 0..(6 * 48) {
        sim.now += 600;
        sim.flush(MIB, (0, 1 << 20), 600, Some(ttl));
        sim.settle();
        // The TTL keeps 6 hours, gc_grace one more, plus the current window's flushes.
        assert!(sim.tables.len() <= 6 + 1 + 1 + 3, "{} sstables", sim.tables.len());
    }
    let drops_happened = sim.flushed > sim.tables.iter().map(|t| t.size_bytes).sum::<u64>();
    assert!(drops_happened);
}
