//! Per-table options, compaction strategies, expiry, the compaction throttle, write back-pressure and
//! snapshots, through the engine's public API.

mod common;

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use storage::{
    Clock, CompactionParams, Compression, LeveledOptions, Storage, StorageConfig, StorageError, Strategy, TableOptions,
    TimeWindowOptions, WindowUnit,
};
use storage_model::{Cell, ColumnCell, Mutation, Partition, Row};

const HOUR_MICROS: i64 = 3_600_000_000;

fn leveled(sstable_size_bytes: u64) -> TableOptions {
    TableOptions {
        compaction: CompactionParams {
            strategy: Strategy::Leveled(LeveledOptions { sstable_size_bytes, ..LeveledOptions::default() }),
            ..CompactionParams::default()
        },
        ..TableOptions::default()
    }
}

fn hourly_windows() -> TableOptions {
    TableOptions {
        compaction: CompactionParams {
            strategy: Strategy::TimeWindow(TimeWindowOptions { window_unit: WindowUnit::Hours, ..Default::default() }),
            ..CompactionParams::default()
        },
        ..TableOptions::default()
    }
}

/// A value that does not compress well, so that SSTable sizes follow the data written.
fn noise(seed: u64, len: usize) -> String {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

/// A cell expiring `ttl` seconds after `now`.
fn write_expiring(table: storage_model::TableId, key: &str, ts: i64, ttl: i32, now: i32) -> Mutation {
    Mutation {
        table,
        partition: Partition {
            key: bytes(key),
            rows: vec![Row {
                clustering: bytes("r"),
                cells: vec![ColumnCell {
                    column: bytes("v"),
                    path: None,
                    cell: Cell::expiring(ts, ttl, now, bytes("x")),
                }],
                ..Row::default()
            }],
            ..Partition::default()
        },
    }
}

#[test]
fn a_leveled_table_builds_levels_that_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let levels_before;
    {
        let s = Storage::open(config(dir.path()), &[t]).unwrap();
        s.set_table_options(t, leveled(16 << 10)).unwrap();
        for flush in 0..24u64 {
            let batch: Vec<Mutation> = (0..40u64)
                .map(|i| {
                    write(
                        t,
                        &format!("k{:05}", (i * 7919 + flush * 104_729) % 20_000),
                        "r",
                        flush as i64 + 1,
                        &noise(flush * 40 + i, 200),
                    )
                })
                .collect();
            apply(&s, &batch);
            s.flush_table(t).unwrap();
        }
        s.wait_for_background_work();
        levels_before = s.sstable_levels(t).unwrap();
        assert!(levels_before.iter().any(|(_, level, _)| *level >= 1), "{levels_before:?}");
        assert!(levels_before.iter().filter(|(_, level, _)| *level == 0).count() < 4, "{levels_before:?}");
        // Outputs are split near the target size (a block may overshoot it).
        assert!(
            levels_before.iter().filter(|(_, l, _)| *l >= 1).all(|(_, _, size)| *size < 48 << 10),
            "{levels_before:?}"
        );
        s.shutdown().unwrap();
    }
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    assert_eq!(s.sstable_levels(t).unwrap(), levels_before);
    // Every key written is readable, with its newest value.
    for flush in 0..24u64 {
        for i in 0..40u64 {
            let key = format!("k{:05}", (i * 7919 + flush * 104_729) % 20_000);
            assert_eq!(read(&s, t, &key).len(), 1, "{key}");
        }
    }
    // A major compaction of a leveled table lands in level 1 or above, split.
    s.set_table_options(t, leveled(16 << 10)).unwrap();
    s.compact_table(t).unwrap();
    let after = s.sstable_levels(t).unwrap();
    assert!(after.len() > 1 && after.iter().all(|(_, level, _)| *level >= 1), "{after:?}");
}

#[test]
fn a_time_window_table_keeps_one_sstable_per_past_window() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    s.set_table_options(t, hourly_windows()).unwrap();
    let base = 1_700_000_000 / 3600 * HOUR_MICROS;
    // Three flushes in each of hours 0, 1 and 2, then one in hour 3 (the current window).
    for hour in 0..3i64 {
        for f in 0..3i64 {
            apply(&s, &[write(t, &format!("h{hour}-{f}"), "r", base + hour * HOUR_MICROS + f, "v")]);
            s.flush_table(t).unwrap();
        }
    }
    apply(&s, &[write(t, "h3", "r", base + 3 * HOUR_MICROS, "v")]);
    s.flush_table(t).unwrap();
    s.wait_for_background_work();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 4, "{:?}", s.sstable_levels(t).unwrap());
    for hour in 0..3 {
        for f in 0..3 {
            assert_eq!(read(&s, t, &format!("h{hour}-{f}")), pairs(&[("r", "v")]));
        }
    }
}

#[test]
fn fully_expired_sstables_are_dropped_once_ttl_and_gc_grace_have_passed() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let now = Arc::new(AtomicI32::new(1_000_000));
    let clock_now = now.clone();
    let cfg = StorageConfig { clock: Clock::from_fn(move || clock_now.load(Ordering::SeqCst)), ..config(dir.path()) };
    let s = Storage::open(cfg, &[t]).unwrap();
    s.set_table_options(t, TableOptions { gc_grace_seconds: 100, ..hourly_windows() }).unwrap();
    apply(&s, &[write_expiring(t, "a", 10, 60, 1_000_000), write_expiring(t, "b", 11, 60, 1_000_000)]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "live", "r", 20, "v")]);
    s.flush_table(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 2);
    // Expired, but within gc grace: kept.
    now.store(1_000_100, Ordering::SeqCst);
    s.run_background_compactions(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 2);
    // Past gc grace: the SSTable goes without being rewritten; the live one stays.
    now.store(1_000_161, Ordering::SeqCst);
    s.run_background_compactions(t).unwrap();
    let left = s.sstable_generations(t).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(read(&s, t, "live"), pairs(&[("r", "v")]));
    assert_eq!(s.read_partition(t, b"a").unwrap(), None);
}

#[test]
fn table_options_choose_the_compression_and_chunk_length_of_new_sstables() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    s.set_table_options(
        t,
        TableOptions { compression: Compression::Zstd, chunk_length_bytes: 4096, ..TableOptions::default() },
    )
    .unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v")]);
    s.flush_table(t).unwrap();
    let generation = s.sstable_generations(t).unwrap()[0];
    let sst = sstable::Sstable::open(&s.table_dir(t).join(format!("{generation}-Data.db"))).unwrap();
    assert_eq!((sst.compression(), sst.block_size()), (Compression::Zstd, 4096));
    assert_eq!(s.table_options(t).unwrap().compression, Compression::Zstd);
    s.set_gc_grace_seconds(t, 5).unwrap();
    assert_eq!(s.table_options(t).unwrap().gc_grace_seconds, 5);
    assert_eq!(s.table_options(t).unwrap().compression, Compression::Zstd, "set_gc_grace_seconds keeps the rest");
}

#[test]
fn a_throttled_compaction_is_slow_but_never_blocks_writers() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let cfg = StorageConfig { compaction_throughput_mib_per_sec: 1, ..config(dir.path()) };
    let s = Arc::new(Storage::open(cfg, &[t]).unwrap());
    assert_eq!(s.compaction_throughput(), 1);
    for f in 0..3u64 {
        let batch: Vec<Mutation> =
            (0..500u64).map(|i| write(t, &format!("k{f}-{i:04}"), "r", 1, &noise(f * 1000 + i, 1000))).collect();
        apply(&s, &batch);
        s.flush_table(t).unwrap();
    }
    // About 1.5 MB at 1 MiB/s: the major compaction takes over a second.
    let compactor = {
        let s = s.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            s.compact_table(t).unwrap();
            start.elapsed()
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    let mut slowest = Duration::ZERO;
    let mut writes = 0;
    while !compactor.is_finished() {
        let start = Instant::now();
        apply(&s, &[write(t, &format!("during-{writes}"), "r", 1, "v")]);
        slowest = slowest.max(start.elapsed());
        writes += 1;
    }
    let took = compactor.join().unwrap();
    assert!(took >= Duration::from_millis(900), "the throttle did not slow the compaction: {took:?}");
    assert!(writes > 10, "only {writes} writes during the compaction");
    assert!(slowest < Duration::from_millis(600), "a write waited {slowest:?} during the compaction");
    assert_eq!(s.sstable_generations(t).unwrap().len(), 1);
    s.set_compaction_throughput(0);
    assert_eq!(s.compaction_throughput(), 0);
}

#[test]
fn writers_wait_for_memtable_room_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let (t1, t2) = (table(1), table(2));
    // Memtables are only flushed to make room: the flush threshold is never reached. In periodic mode
    // an ack that is not ready at once is one waiting for room.
    let limit = 64 << 10;
    let cfg = StorageConfig {
        memtable_space_bytes: limit,
        sync: storage::SyncMode::Periodic { period: Duration::from_secs(60) },
        ..config(dir.path())
    };
    let s = Storage::open(cfg, &[t1, t2]).unwrap();
    let table_of = |i: u64| match i % 3 {
        0 => t1,
        _ => t2,
    };

    // Many writes in flight at once (a pipelining client): memory overshoots by at most those writes,
    // and their acks wait until flushes bring it back under the budget.
    let acks: Vec<_> = (0..64u64)
        .map(|i| s.apply(&[write(table_of(i), &format!("k{i:04}"), "r", 1, &noise(i, 4096))]).unwrap())
        .collect();
    let waiting = acks.iter().filter(|a| !a.is_ready()).count();
    assert!(waiting > 0, "64 writes of 4 KiB never filled a 64 KiB budget");
    for ack in acks {
        ack.wait().unwrap();
    }
    assert!(s.memtable_memory_used() < limit);

    // One write at a time: memory never exceeds the budget by more than one write.
    let mut peak = 0;
    for i in 64..400u64 {
        let ack = s.apply(&[write(table_of(i), &format!("k{i:04}"), "r", 1, &noise(i, 500))]).unwrap();
        peak = peak.max(s.memtable_memory_used());
        ack.wait().unwrap();
        assert!(s.memtable_memory_used() < limit, "an ack resolved while memtables were full");
    }
    assert!(peak < limit + 1024, "memtables grew to {peak} bytes");
    assert!(!s.sstable_generations(t1).unwrap().is_empty() && !s.sstable_generations(t2).unwrap().is_empty());
    for i in 0..400u64 {
        assert_eq!(read(&s, table_of(i), &format!("k{i:04}")).len(), 1);
    }
    // Truncation and drops hand memory back.
    s.truncate_table(t1).unwrap();
    s.drop_table(t2).unwrap();
    assert_eq!(s.memtable_memory_used(), 0);
}

#[test]
fn a_write_waiting_for_room_fails_instead_of_hanging_when_flushes_fail() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let cfg = StorageConfig { memtable_space_bytes: 8 << 10, ..config(dir.path()) };
    let s = Storage::open(cfg, &[t]).unwrap();
    std::fs::remove_dir_all(s.table_dir(t)).unwrap();
    let mut failed = false;
    for i in 0..100 {
        match s.apply(&[write(t, &format!("k{i}"), "r", 1, &noise(i, 500))]) {
            Ok(ack) => {
                if let Err(e) = ack.wait() {
                    assert!(matches!(e, StorageError::Poisoned(_)), "{e}");
                    failed = true;
                    break;
                }
            }
            Err(StorageError::Poisoned(_)) => {
                failed = true;
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(failed);
}

#[test]
fn a_snapshot_keeps_the_sstables_of_its_moment() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "a", "r", 1, "v1")]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "b", "r", 1, "v1")]); // in the memtable: the snapshot flushes it
    let path = s.snapshot(t, "before").unwrap();
    assert_eq!(path, s.table_dir(t).join("snapshots").join("before"));
    let linked = files_ending_with(&path, "-Data.db");
    assert_eq!(linked.len(), 2);
    assert!(path.join("MANIFEST").exists());
    assert!(matches!(s.snapshot(t, "before"), Err(StorageError::Other(_))));
    assert!(s.snapshot(t, "../escape").is_err());

    // Compaction and truncation delete the live files; the snapshot's stay readable.
    apply(&s, &[write(t, "a", "r", 2, "v2")]);
    s.flush_table(t).unwrap();
    s.compact_table(t).unwrap();
    s.truncate_table(t).unwrap();
    eventually("live files deleted", || files_ending_with(&s.table_dir(t), "-Data.db").is_empty());
    let mut keys = Vec::new();
    for name in &linked {
        let sst = Arc::new(sstable::Sstable::open(&path.join(name)).unwrap());
        for p in sst.scan(std::ops::Bound::Unbounded) {
            keys.push(p.unwrap().key);
        }
    }
    keys.sort();
    assert_eq!(keys, vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
    assert_eq!(s.list_snapshots(t).unwrap(), vec!["before".to_string()]);
    s.clear_snapshot(t, "before").unwrap();
    assert!(s.list_snapshots(t).unwrap().is_empty());
    assert!(!path.exists());
}

#[test]
fn auto_snapshot_saves_the_data_of_truncate_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let (t, no_snapshot) = (table(1), table(2));
    let cfg = StorageConfig { auto_snapshot: true, ..config(dir.path()) };
    let s = Storage::open(cfg, &[t, no_snapshot]).unwrap();
    s.set_table_options(no_snapshot, TableOptions { allow_auto_snapshot: false, ..TableOptions::default() }).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v"), write(no_snapshot, "k", "r", 1, "v")]);
    s.truncate_table(t).unwrap();
    let snapshots = s.list_snapshots(t).unwrap();
    assert_eq!(snapshots.len(), 1);
    assert!(snapshots[0].starts_with("truncated-"), "{snapshots:?}");
    assert_eq!(read(&s, t, "k"), vec![]);

    apply(&s, &[write(t, "k2", "r", 1, "v")]);
    let table_dir = s.table_dir(t);
    s.drop_table(t).unwrap();
    let mut left: Vec<String> =
        std::fs::read_dir(&table_dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, vec!["snapshots".to_string()]);
    let snapshots = snapshot_names(&table_dir);
    assert_eq!(snapshots.len(), 2);
    assert!(snapshots.iter().any(|n| n.starts_with("dropped-")));

    let other_dir = s.table_dir(no_snapshot);
    s.truncate_table(no_snapshot).unwrap();
    assert!(s.list_snapshots(no_snapshot).unwrap().is_empty());
    s.drop_table(no_snapshot).unwrap();
    assert!(!other_dir.exists());
}

fn snapshot_names(table_dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(table_dir.join("snapshots"))
        .map(|d| d.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
        .unwrap_or_default()
}

#[test]
fn changing_the_strategy_keeps_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    let strategies = [leveled(8 << 10), hourly_windows(), TableOptions::default(), leveled(4 << 10)];
    let mut written = 0u64;
    for (round, options) in strategies.iter().enumerate() {
        s.set_table_options(t, options.clone()).unwrap();
        for _ in 0..6 {
            let batch: Vec<Mutation> = (0..20)
                .map(|i| write(t, &format!("k{:04}", (written + i) * 37 % 1000), "r", round as i64, "v"))
                .collect();
            written += 20;
            apply(&s, &batch);
            s.flush_table(t).unwrap();
        }
        s.wait_for_background_work();
        s.health().unwrap();
    }
    let live = s.scan(t, std::ops::Bound::Unbounded, std::ops::Bound::Unbounded).unwrap().count() as u64;
    assert_eq!(live, written.min(1000));
}

#[test]
fn a_time_window_compaction_keeps_tombstones_shadowing_older_windows() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let now = Arc::new(AtomicI32::new(1_000_000));
    let clock_now = now.clone();
    let cfg = StorageConfig { clock: Clock::from_fn(move || clock_now.load(Ordering::SeqCst)), ..config(dir.path()) };
    let s = Storage::open(cfg, &[t]).unwrap();
    let mut options = TableOptions { gc_grace_seconds: 0, ..hourly_windows() };
    options.compaction.min_threshold = 2;
    s.set_table_options(t, options).unwrap();
    // Hour 0: the data. Hour 5: its deletion, and another SSTable, so that the current window compacts.
    apply(&s, &[write(t, "k", "r", HOUR_MICROS / 2, "old")]);
    s.flush_table(t).unwrap();
    apply(&s, &[delete_partition(t, "k", 5 * HOUR_MICROS, 1_000_000)]);
    s.flush_table(t).unwrap();
    // Past gc grace when the current window compacts (after the next flush).
    now.store(1_000_100, Ordering::SeqCst);
    apply(&s, &[write(t, "other", "r", 5 * HOUR_MICROS + 1, "v")]);
    s.flush_table(t).unwrap();
    s.run_background_compactions(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 2, "the current window was compacted");
    assert_eq!(read(&s, t, "k"), vec![], "the purged tombstone let older data reappear");
    // A major compaction merges everything: now the tombstone and the data go together.
    s.compact_table(t).unwrap();
    assert_eq!(s.read_partition(t, b"k").unwrap(), None);
    assert_eq!(read(&s, t, "other"), pairs(&[("r", "v")]));
}

#[test]
fn an_sstable_with_enough_droppable_tombstones_is_compacted_alone_once_old_enough() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i32;
    let now = Arc::new(AtomicI32::new(start));
    let clock_now = now.clone();
    let cfg = StorageConfig { clock: Clock::from_fn(move || clock_now.load(Ordering::SeqCst)), ..config(dir.path()) };
    let s = Storage::open(cfg, &[t]).unwrap();
    s.set_table_options(t, TableOptions { gc_grace_seconds: 100, ..TableOptions::default() }).unwrap();
    // Ten rows, eight of them deleted: two cells and eight row tombstones in one SSTable.
    let rows: Vec<Mutation> = (0..10).map(|i| write(t, "p", &format!("r{i}"), 1, "v")).collect();
    apply(&s, &rows);
    let deletes: Vec<Mutation> = (0..8).map(|i| delete_row(t, "p", &format!("r{i}"), 2, start)).collect();
    apply(&s, &deletes);
    s.flush_table(t).unwrap();
    let written = s.sstable_generations(t).unwrap();
    assert_eq!(written.len(), 1);
    let day = 86_400;
    // Past gc grace but younger than tombstone_compaction_interval (one day): kept as is.
    now.store(start + 200, Ordering::SeqCst);
    s.run_background_compactions(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap(), written);
    // Old enough, but the tombstones are still within gc grace there: kept.
    now.store(start + day, Ordering::SeqCst);
    s.set_table_options(t, TableOptions { gc_grace_seconds: 2 * day, ..TableOptions::default() }).unwrap();
    s.run_background_compactions(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap(), written);
    // Old enough and purgeable: rewritten alone, the tombstones gone, the two live rows kept.
    s.set_table_options(t, TableOptions { gc_grace_seconds: 100, ..TableOptions::default() }).unwrap();
    s.run_background_compactions(t).unwrap();
    let rewritten = s.sstable_generations(t).unwrap();
    assert_eq!(rewritten.len(), 1);
    assert_ne!(rewritten, written);
    assert_eq!(read(&s, t, "p"), pairs(&[("r8", "v"), ("r9", "v")]));
    let raw = s.read_partition(t, b"p").unwrap().unwrap();
    assert!(raw.rows.iter().all(|r| r.deletion.is_none()), "{raw:?}");
    // Nothing droppable is left: no further rewrite.
    now.store(start + 3 * day, Ordering::SeqCst);
    s.run_background_compactions(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap(), rewritten);
}

#[test]
fn tombstone_compactions_are_off_when_tombstone_compaction_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i32;
    let now = Arc::new(AtomicI32::new(start));
    let clock_now = now.clone();
    let cfg = StorageConfig { clock: Clock::from_fn(move || clock_now.load(Ordering::SeqCst)), ..config(dir.path()) };
    let s = Storage::open(cfg, &[t]).unwrap();
    let mut options = TableOptions { gc_grace_seconds: 0, ..hourly_windows() };
    assert!(options.compaction.tombstones.enabled);
    options.compaction.tombstones.enabled = false;
    s.set_table_options(t, options).unwrap();
    apply(&s, &[write(t, "p", "r0", 1, "v"), write(t, "p", "r1", 1, "v"), delete_row(t, "p", "r1", 2, start)]);
    s.flush_table(t).unwrap();
    let written = s.sstable_generations(t).unwrap();
    now.store(start + 2 * 86_400, Ordering::SeqCst);
    s.run_background_compactions(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap(), written);
}
