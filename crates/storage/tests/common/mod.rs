//! Builders shared by the engine's integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use storage::{Storage, StorageConfig, SyncMode};
use storage_model::purge::live_view;
use storage_model::{Cell, ColumnCell, DeletionTime, Mutation, Partition, Row, TableId};

/// A server time far in the past, so that `live_view` sees nothing as expired.
pub const NOW: i32 = 1_000_000;

/// Batch sync, small commitlog segments, no automatic flush, no merge-all compaction, no throttle.
pub fn config(dir: &Path) -> StorageConfig {
    StorageConfig {
        sync: SyncMode::Batch,
        commitlog_segment_size_bytes: 64 * 1024,
        memtable_flush_threshold_bytes: 1 << 30,
        compaction_threshold: 100,
        compaction_throughput_mib_per_sec: 0,
        ..StorageConfig::new(dir)
    }
}

pub fn table(n: u128) -> TableId {
    TableId::from_u128(n)
}

pub fn bytes(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Sets column `v` of row `clustering` in partition `key`.
pub fn write(table: TableId, key: &str, clustering: &str, timestamp: i64, value: &str) -> Mutation {
    Mutation {
        table,
        partition: Partition {
            key: bytes(key),
            rows: vec![Row {
                clustering: bytes(clustering),
                cells: vec![ColumnCell { column: bytes("v"), path: None, cell: Cell::live(timestamp, bytes(value)) }],
                ..Row::default()
            }],
            ..Partition::default()
        },
    }
}

pub fn delete_partition(table: TableId, key: &str, timestamp: i64, local_deletion_time: i32) -> Mutation {
    Mutation {
        table,
        partition: Partition {
            key: bytes(key),
            deletion: Some(DeletionTime { marked_for_delete_at: timestamp, local_deletion_time }),
            ..Partition::default()
        },
    }
}

pub fn delete_row(table: TableId, key: &str, clustering: &str, timestamp: i64, local_deletion_time: i32) -> Mutation {
    Mutation {
        table,
        partition: Partition {
            key: bytes(key),
            rows: vec![Row {
                clustering: bytes(clustering),
                deletion: Some(DeletionTime { marked_for_delete_at: timestamp, local_deletion_time }),
                ..Row::default()
            }],
            ..Partition::default()
        },
    }
}

/// Applies and waits until durable.
pub fn apply(storage: &Storage, mutations: &[Mutation]) {
    storage.apply(mutations).unwrap().wait().unwrap();
}

/// The live `(clustering, value)` pairs of a partition as a read returns them.
pub fn read(storage: &Storage, table: TableId, key: &str) -> Vec<(String, String)> {
    match storage.read_partition(table, key.as_bytes()).unwrap() {
        None => vec![],
        Some(p) => rows_of(&live_view(p, NOW)),
    }
}

pub fn rows_of(p: &Partition) -> Vec<(String, String)> {
    p.rows
        .iter()
        .flat_map(|r| {
            r.cells.iter().filter_map(move |c| {
                Some((
                    String::from_utf8_lossy(&r.clustering).into_owned(),
                    String::from_utf8_lossy(c.cell.value.as_deref()?).into_owned(),
                ))
            })
        })
        .collect()
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Polls `f` until it is true (background work), failing after a while.
pub fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for: {what}");
}

/// Files in a directory whose name ends with `suffix`.
pub fn files_ending_with(dir: &Path, suffix: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.ends_with(suffix)).collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}
