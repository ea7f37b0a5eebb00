//! Point reads through the engine: a table of 20k partitions written three times over (three
//! overlapping SSTables, as random-key inserts leave them, so that every bloom filter says yes) plus
//! a memtable holding a fifth of the keys again; each read merges the sources of one key.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use storage::{CompactionParams, Storage, StorageConfig, SyncMode, TableOptions};
use storage_model::{Cell, ColumnCell, Mutation, Partition, Row, TableId};

const KEYS: u64 = 20_000;
const READS: u64 = 1_000;

fn table() -> TableId {
    TableId::from_u128(1)
}

fn key(k: u64) -> Vec<u8> {
    let mut key = k.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
    key.extend_from_slice(&k.to_be_bytes());
    key
}

fn mutation(k: u64, ts: i64) -> Mutation {
    Mutation {
        table: table(),
        partition: Partition {
            key: key(k).into(),
            rows: vec![Row {
                clustering: bytes::Bytes::new(),
                cells: vec![ColumnCell {
                    column: bytes::Bytes::from_static(b"v"),
                    path: None,
                    cell: Cell::live(ts, bytes::Bytes::from(vec![b'x'; 100])),
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
        ..StorageConfig::new(dir)
    };
    let s = Storage::open(cfg, &[table()]).expect("open");
    let options = TableOptions {
        compaction: CompactionParams { enabled: false, ..CompactionParams::default() },
        chunk_length_bytes: 16 << 10,
        ..TableOptions::default()
    };
    s.set_table_options(table(), options).expect("options");
    s
}

fn point_reads(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = open(dir.path());
    for round in 0..3i64 {
        let batch: Vec<Mutation> = (0..KEYS).map(|k| mutation(k, round + 1)).collect();
        for chunk in batch.chunks(100) {
            s.apply(chunk).expect("apply").wait().expect("durable");
        }
        s.flush_table(table()).expect("flush");
    }
    let batch: Vec<Mutation> = (0..KEYS).step_by(5).map(|k| mutation(k, 10)).collect();
    s.apply(&batch).expect("apply").wait().expect("durable");
    let keys: Vec<Vec<u8>> = (0..READS).map(|i| key(i.wrapping_mul(7919) % KEYS)).collect();
    let mut group = c.benchmark_group("storage_read");
    group.throughput(Throughput::Elements(READS));
    group.bench_function("point_memtable_and_3_sstables", |b| {
        b.iter(|| {
            let mut found = 0;
            for k in &keys {
                found += usize::from(s.read_partition(table(), k).expect("read").is_some());
            }
            assert_eq!(found, READS as usize);
        })
    });
    group.finish();
}

criterion_group!(benches, point_reads);
criterion_main!(benches);
