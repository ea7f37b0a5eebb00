//! The engine's behaviour through its public API: write and read paths, flush, compaction, recovery,
//! truncation and dropping of tables, and failure handling.

mod common;

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use storage::{Storage, StorageError, SyncMode};
use storage_model::purge::live_view;

#[test]
fn a_write_is_readable_from_the_memtable() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v")]);
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
    assert_eq!(read(&s, t, "missing"), vec![]);
    assert_eq!(s.sstable_generations(t).unwrap(), Vec::<u64>::new());
}

#[test]
fn a_write_is_readable_after_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v")]);
    s.flush_table(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 1);
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
}

#[test]
fn a_memtable_past_the_threshold_is_flushed_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let mut cfg = config(dir.path());
    cfg.memtable_flush_threshold_bytes = 4096;
    let s = Storage::open(cfg, &[t]).unwrap();
    for i in 0..100 {
        apply(&s, &[write(t, &format!("k{i:03}"), "r", 1, "some value")]);
    }
    s.wait_for_background_work();
    assert!(!s.sstable_generations(t).unwrap().is_empty());
    for i in 0..100 {
        assert_eq!(read(&s, t, &format!("k{i:03}")), pairs(&[("r", "some value")]));
    }
}

#[test]
fn a_read_merges_memtable_and_sstables_with_the_newer_timestamp_winning() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "a", 5, "newest-in-sstable"), write(t, "k", "b", 1, "old")]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "k", "a", 3, "older-in-sstable"), write(t, "k", "c", 1, "c")]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "k", "b", 2, "newer-in-memtable"), write(t, "k", "a", 4, "older-in-memtable")]);
    assert_eq!(read(&s, t, "k"), pairs(&[("a", "newest-in-sstable"), ("b", "newer-in-memtable"), ("c", "c")]));
}

#[test]
fn a_deletion_in_the_memtable_shadows_older_data_in_sstables() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "a", 1, "v"), write(t, "k", "b", 1, "w")]);
    s.flush_table(t).unwrap();
    apply(&s, &[delete_row(t, "k", "a", 2, 100)]);
    assert_eq!(read(&s, t, "k"), pairs(&[("b", "w")]));
    apply(&s, &[delete_partition(t, "k", 3, 100)]);
    assert_eq!(read(&s, t, "k"), vec![]);
}

#[test]
fn scan_merges_memtables_and_sstables_in_key_order_within_the_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "a", "r", 1, "a1"), write(t, "c", "r", 1, "c1"), write(t, "e", "r", 1, "e1")]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "b", "r", 1, "b1"), write(t, "c", "r", 2, "c2"), write(t, "d", "r", 1, "d1")]);
    let scan = |start: Bound<Bytes>, end: Bound<Bytes>| -> Vec<(String, Vec<(String, String)>)> {
        s.scan(t, start, end)
            .unwrap()
            .map(|p| {
                let p = live_view(p.unwrap(), NOW);
                (String::from_utf8_lossy(&p.key).into_owned(), rows_of(&p))
            })
            .collect()
    };
    let all = scan(Bound::Unbounded, Bound::Unbounded);
    let keys: Vec<&str> = all.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["a", "b", "c", "d", "e"]);
    assert_eq!(all[2].1, pairs(&[("r", "c2")]));
    let some = scan(Bound::Excluded(bytes("a")), Bound::Included(bytes("d")));
    let keys: Vec<&str> = some.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["b", "c", "d"]);
    let some = scan(Bound::Included(bytes("b")), Bound::Excluded(bytes("d")));
    let keys: Vec<&str> = some.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["b", "c"]);
}

#[test]
fn a_scan_keeps_reading_what_it_started_with_while_the_table_changes() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    for i in 0..10 {
        apply(&s, &[write(t, &format!("k{i}"), "r", 1, "v")]);
        s.flush_table(t).unwrap();
    }
    let mut scan = s.scan(t, Bound::Unbounded, Bound::Unbounded).unwrap();
    let first = scan.next().unwrap().unwrap();
    s.compact_table(t).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 1);
    let rest: Vec<_> = scan.map(|p| p.unwrap()).collect();
    assert_eq!(first.key, bytes("k0"));
    assert_eq!(rest.len(), 9);
}

#[test]
fn data_survives_a_reopen_through_commitlog_replay() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    {
        let s = Storage::open(config(dir.path()), &[t]).unwrap();
        apply(&s, &[write(t, "k", "r", 1, "v"), write(t, "k2", "r", 1, "w")]);
        apply(&s, &[delete_row(t, "k2", "r", 2, 100)]);
        // Dropped without shutdown: nothing is flushed.
    }
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap(), Vec::<u64>::new());
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
    assert_eq!(read(&s, t, "k2"), vec![]);
}

#[test]
fn data_survives_a_reopen_after_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    {
        let s = Storage::open(config(dir.path()), &[t]).unwrap();
        apply(&s, &[write(t, "k", "r", 1, "v")]);
        s.flush_table(t).unwrap();
        apply(&s, &[write(t, "k", "s", 1, "w")]);
        s.shutdown().unwrap();
    }
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    assert_eq!(s.sstable_generations(t).unwrap().len(), 2);
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v"), ("s", "w")]));
}

#[test]
fn shutdown_flushes_every_memtable_and_refuses_later_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (t1, t2) = (table(1), table(2));
    let s = Storage::open(config(dir.path()), &[t1, t2]).unwrap();
    apply(&s, &[write(t1, "k", "r", 1, "v"), write(t2, "k", "r", 1, "v")]);
    s.shutdown().unwrap();
    assert_eq!(s.sstable_generations(t1).unwrap().len(), 1);
    assert_eq!(s.sstable_generations(t2).unwrap().len(), 1);
    assert!(matches!(s.apply(&[write(t1, "k", "r", 2, "w")]), Err(StorageError::Closed)));
    assert_eq!(read(&s, t1, "k"), pairs(&[("r", "v")]));
    s.shutdown().unwrap();
}

#[test]
fn flushed_commitlog_segments_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    let big = "x".repeat(10_000);
    for i in 0..40 {
        apply(&s, &[write(t, &format!("k{i}"), "r", 1, &big)]);
    }
    let commitlog_dir = dir.path().join("commitlog");
    let before = files_ending_with(&commitlog_dir, ".log").len();
    assert!(before > 3, "expected several segments, found {before}");
    s.flush_table(t).unwrap();
    let after = files_ending_with(&commitlog_dir, ".log").len();
    assert_eq!(after, 1, "only the active segment remains");
}

#[test]
fn unflushed_tables_keep_their_commitlog_segments_when_another_table_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let (t1, t2) = (table(1), table(2));
    {
        let s = Storage::open(config(dir.path()), &[t1, t2]).unwrap();
        let big = "x".repeat(10_000);
        apply(&s, &[write(t2, "unflushed", "r", 1, "kept")]);
        for i in 0..40 {
            apply(&s, &[write(t1, &format!("k{i}"), "r", 1, &big)]);
        }
        s.flush_table(t1).unwrap();
    }
    let s = Storage::open(config(dir.path()), &[t1, t2]).unwrap();
    assert_eq!(read(&s, t2, "unflushed"), pairs(&[("r", "kept")]));
}

#[test]
fn truncate_removes_all_data_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    {
        let s = Storage::open(config(dir.path()), &[t]).unwrap();
        apply(&s, &[write(t, "flushed", "r", 1, "v")]);
        s.flush_table(t).unwrap();
        apply(&s, &[write(t, "in-memtable", "r", 1, "v")]);
        s.truncate_table(t).unwrap();
        assert_eq!(read(&s, t, "flushed"), vec![]);
        assert_eq!(read(&s, t, "in-memtable"), vec![]);
        assert_eq!(s.sstable_generations(t).unwrap(), Vec::<u64>::new());
        eventually("sstable files deleted", || files_ending_with(&s.table_dir(t), "-Data.db").is_empty());
        apply(&s, &[write(t, "after", "r", 1, "v")]);
        // Dropped without shutdown: the commitlog still holds the truncated writes.
    }
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    assert_eq!(read(&s, t, "flushed"), vec![]);
    assert_eq!(read(&s, t, "in-memtable"), vec![]);
    assert_eq!(read(&s, t, "after"), pairs(&[("r", "v")]));
}

#[test]
fn drop_table_forgets_the_table_and_deletes_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (t, other) = (table(1), table(2));
    let s = Storage::open(config(dir.path()), &[t, other]).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v"), write(other, "k", "r", 1, "v")]);
    s.flush_table(t).unwrap();
    let table_dir = s.table_dir(t);
    assert!(table_dir.exists());
    s.drop_table(t).unwrap();
    assert!(!table_dir.exists());
    assert!(matches!(s.read_partition(t, b"k"), Err(StorageError::UnknownTable(_))));
    assert!(matches!(s.apply(&[write(t, "k", "r", 2, "w")]), Err(StorageError::UnknownTable(_))));
    assert_eq!(read(&s, other, "k"), pairs(&[("r", "v")]));
}

#[test]
fn a_created_table_starts_empty_and_accepts_writes() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(7);
    let s = Storage::open(config(dir.path()), &[]).unwrap();
    assert!(matches!(s.apply(&[write(t, "k", "r", 1, "v")]), Err(StorageError::UnknownTable(_))));
    s.create_table(t).unwrap();
    s.create_table(t).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v")]);
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
}

#[test]
fn a_batch_naming_an_unknown_table_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    let result = s.apply(&[write(t, "k", "r", 1, "v"), write(table(99), "k", "r", 1, "v")]);
    assert!(matches!(result, Err(StorageError::UnknownTable(_))));
    assert_eq!(read(&s, t, "k"), vec![]);
}

#[test]
fn commitlog_records_of_tables_not_opened_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (t1, t2) = (table(1), table(2));
    {
        let s = Storage::open(config(dir.path()), &[t1, t2]).unwrap();
        apply(&s, &[write(t1, "k", "r", 1, "v"), write(t2, "k", "r", 1, "v")]);
    }
    let s = Storage::open(config(dir.path()), &[t1]).unwrap();
    assert_eq!(read(&s, t1, "k"), pairs(&[("r", "v")]));
    assert!(matches!(s.read_partition(t2, b"k"), Err(StorageError::UnknownTable(_))));
}

#[test]
fn compaction_keeps_the_newest_values_and_deletes_its_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    for ts in 1..=3 {
        apply(&s, &[write(t, "k", "r", ts, &format!("v{ts}")), write(t, &format!("only{ts}"), "r", ts, "x")]);
        s.flush_table(t).unwrap();
    }
    let inputs = s.sstable_generations(t).unwrap();
    assert_eq!(inputs.len(), 3, "below STCS's min_threshold: no background compaction");
    s.compact_table(t).unwrap();
    let outputs = s.sstable_generations(t).unwrap();
    assert_eq!(outputs.len(), 1);
    assert!(!inputs.contains(&outputs[0]));
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v3")]));
    for ts in 1..=3 {
        assert_eq!(read(&s, t, &format!("only{ts}")), pairs(&[("r", "x")]));
    }
    eventually("input files deleted", || files_ending_with(&s.table_dir(t), "-Data.db").len() == 1);
}

#[test]
fn flushes_past_the_threshold_trigger_a_background_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let mut cfg = config(dir.path());
    cfg.compaction_threshold = 2;
    let s = Storage::open(cfg, &[t]).unwrap();
    for i in 0..6 {
        apply(&s, &[write(t, "k", &format!("r{i}"), 1, "v")]);
        s.flush_table(t).unwrap();
    }
    s.wait_for_background_work();
    assert!(s.sstable_generations(t).unwrap().len() <= 2);
    assert_eq!(read(&s, t, "k").len(), 6);
}

#[test]
fn compaction_purges_tombstones_past_gc_grace_with_the_data_they_shadow() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    s.set_gc_grace_seconds(t, 0).unwrap();
    apply(&s, &[write(t, "deleted", "r", 1, "v"), write(t, "kept", "r", 1, "v")]);
    s.flush_table(t).unwrap();
    apply(&s, &[delete_partition(t, "deleted", 2, 1000)]);
    s.flush_table(t).unwrap();
    s.compact_table(t).unwrap();
    let p = s.read_partition(t, b"deleted").unwrap();
    assert_eq!(p, None, "neither the tombstone nor the data it shadowed survives");
    assert_eq!(read(&s, t, "kept"), pairs(&[("r", "v")]));
}

#[test]
fn compaction_keeps_tombstones_that_shadow_data_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    s.set_gc_grace_seconds(t, 0).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "old")]);
    s.flush_table(t).unwrap();
    // The memtable holds older data than the tombstone: the tombstone must survive compaction.
    apply(&s, &[delete_partition(t, "k", 5, 1000)]);
    s.flush_table(t).unwrap();
    apply(&s, &[write(t, "k", "s", 2, "older than the deletion")]);
    s.compact_table(t).unwrap();
    assert_eq!(read(&s, t, "k"), vec![]);
}

#[test]
fn a_torn_commitlog_tail_is_tolerated_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    {
        let s = Storage::open(config(dir.path()), &[t]).unwrap();
        apply(&s, &[write(t, "k", "r", 1, "v")]);
    }
    let commitlog_dir = dir.path().join("commitlog");
    let last = files_ending_with(&commitlog_dir, ".log").pop().unwrap();
    let path = commitlog_dir.join(last);
    let mut data = std::fs::read(&path).unwrap();
    data.extend_from_slice(&[0x55, 0x00, 0x00, 0x10, 0xde, 0xad]);
    std::fs::write(&path, data).unwrap();
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
    apply(&s, &[write(t, "k", "s", 1, "w")]);
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v"), ("s", "w")]));
}

#[test]
fn an_sstable_not_in_the_manifest_is_deleted_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let orphan;
    {
        let s = Storage::open(config(dir.path()), &[t]).unwrap();
        apply(&s, &[write(t, "k", "r", 1, "v")]);
        s.flush_table(t).unwrap();
        let table_dir = s.table_dir(t);
        let live = files_ending_with(&table_dir, "-Data.db").pop().unwrap();
        // A flush that wrote its SSTable but crashed before updating the manifest.
        orphan = table_dir.join("99-Data.db");
        std::fs::copy(table_dir.join(live), &orphan).unwrap();
        s.shutdown().unwrap();
    }
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    assert!(!orphan.exists());
    assert_eq!(s.sstable_generations(t).unwrap().len(), 1);
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
}

#[test]
fn concurrent_writers_from_several_threads_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let mut cfg = config(dir.path());
    cfg.sync = SyncMode::Group { window: std::time::Duration::from_millis(1) };
    cfg.memtable_flush_threshold_bytes = 16 * 1024;
    cfg.compaction_threshold = 3;
    let s = Arc::new(Storage::open(cfg, &[t]).unwrap());
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let s = s.clone();
            std::thread::spawn(move || {
                for i in 0..150 {
                    apply(
                        &s,
                        &[
                            write(t, &format!("w{w}-{i:03}"), "r", 1, "v"),
                            write(t, "shared", &format!("{w}-{i:03}"), 1, "v"),
                        ],
                    );
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    s.wait_for_background_work();
    assert_eq!(read(&s, t, "shared").len(), 600);
    for w in 0..4 {
        for i in 0..150 {
            assert_eq!(read(&s, t, &format!("w{w}-{i:03}")).len(), 1);
        }
    }
    let scanned = s.scan(t, Bound::Unbounded, Bound::Unbounded).unwrap().count();
    assert_eq!(scanned, 601);
}

#[test]
fn a_failed_flush_poisons_the_engine_and_later_writes_fail() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(1);
    let s = Storage::open(config(dir.path()), &[t]).unwrap();
    apply(&s, &[write(t, "k", "r", 1, "v")]);
    std::fs::remove_dir_all(s.table_dir(t)).unwrap();
    assert!(matches!(s.flush_table(t), Err(StorageError::Poisoned(_))));
    assert!(matches!(s.apply(&[write(t, "k", "r", 2, "w")]), Err(StorageError::Poisoned(_))));
    // The memtable whose flush failed is still readable.
    assert_eq!(read(&s, t, "k"), pairs(&[("r", "v")]));
}

#[test]
fn a_write_ack_resolves_in_every_sync_mode() {
    for sync in [
        SyncMode::Batch,
        SyncMode::Group { window: std::time::Duration::from_millis(2) },
        SyncMode::Periodic { period: std::time::Duration::from_millis(50) },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let t = table(1);
        let mut cfg = config(dir.path());
        cfg.sync = sync;
        let s = Storage::open(cfg, &[t]).unwrap();
        s.apply(&[write(t, "k", "r", 1, "v")]).unwrap().wait().unwrap();
    }
}
