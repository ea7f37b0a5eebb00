//! Compaction throughput: a major compaction of 4 overlapping SSTables (20k partitions, about 4 MiB
//! of data) into one (size-tiered) or into 1 MiB SSTables (leveled), unthrottled, including the
//! manifest update. Throughput is counted in bytes of input SSTables.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use storage::{CompactionParams, LeveledOptions, Storage, StorageConfig, Strategy, SyncMode, TableOptions};
use storage_model::{Cell, ColumnCell, Mutation, Partition, Row, TableId};

const SSTABLES: u64 = 4;
const PARTITIONS_PER_SSTABLE: u64 = 5_000;
const TS: i64 = 1_700_000_000_000_000;

fn table() -> TableId {
    TableId::from_u128(1)
}

fn value(i: u64) -> bytes::Bytes {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let v: Vec<u8> = (0..160)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b'a' + (x % 26) as u8
        })
        .collect();
    bytes::Bytes::from(v)
}

fn mutation(key: u64, ts: i64) -> Mutation {
    let mut k = key.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
    k.extend_from_slice(&key.to_be_bytes());
    Mutation {
        table: table(),
        partition: Partition {
            key: k.into(),
            rows: vec![Row {
                clustering: bytes::Bytes::from_static(b"r"),
                cells: vec![ColumnCell {
                    column: bytes::Bytes::from_static(b"v"),
                    path: None,
                    cell: Cell::live(ts, value(key ^ ts as u64)),
                }],
                ..Row::default()
            }],
            ..Partition::default()
        },
    }
}

fn open(dir: &Path) -> Storage {
    let cfg = StorageConfig {
        sync: SyncMode::Periodic { period: std::time::Duration::from_secs(60) },
        memtable_flush_threshold_bytes: 1 << 30,
        compaction_threshold: 1000,
        compaction_throughput_mib_per_sec: 0,
        ..StorageConfig::new(dir)
    };
    Storage::open(cfg, &[table()]).expect("open")
}

/// A fresh engine with `SSTABLES` flushed SSTables; half of each one's keys overwrite the previous
/// one's. Returns the engine and the bytes of its SSTables.
fn setup(options: &TableOptions) -> (tempfile::TempDir, Storage, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = open(dir.path());
    s.set_table_options(
        table(),
        TableOptions {
            compaction: CompactionParams { enabled: false, ..options.compaction.clone() },
            ..options.clone()
        },
    )
    .expect("options");
    for n in 0..SSTABLES {
        let first = n * PARTITIONS_PER_SSTABLE / 2;
        let batch: Vec<Mutation> =
            (first..first + PARTITIONS_PER_SSTABLE).map(|k| mutation(k, TS + n as i64)).collect();
        for chunk in batch.chunks(500) {
            s.apply(chunk).expect("apply").wait().expect("ack");
        }
        s.flush_table(table()).expect("flush");
    }
    let bytes = s.sstable_levels(table()).expect("levels").iter().map(|(_, _, size)| size).sum();
    (dir, s, bytes)
}

fn bench(c: &mut Criterion) {
    let strategies = [
        ("size_tiered_major", TableOptions::default()),
        (
            "leveled_major_1MiB",
            TableOptions {
                compaction: CompactionParams {
                    strategy: Strategy::Leveled(LeveledOptions {
                        sstable_size_bytes: 1 << 20,
                        ..LeveledOptions::default()
                    }),
                    ..CompactionParams::default()
                },
                ..TableOptions::default()
            },
        ),
    ];
    let mut group = c.benchmark_group("compaction");
    group.sample_size(10);
    let (_dir, _s, input_bytes) = setup(&strategies[0].1);
    group.throughput(Throughput::Bytes(input_bytes));
    for (name, options) in &strategies {
        group.bench_function(*name, |b| {
            b.iter_batched(
                || setup(options),
                |(dir, s, _)| {
                    s.compact_table(table()).expect("compact");
                    (dir, s)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
