//! Writing 100k partitions, point reads, and a full scan.

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sstable::{Sstable, SstableWriter, WriterOptions};
use storage_model::{Cell, ColumnCell, LivenessInfo, Partition, Row, NO_DELETION_TIME};

const PARTITIONS: u64 = 100_000;
const TS: i64 = 1_700_000_000_000_000;

fn key(i: u64) -> Bytes {
    let mut k = i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_be_bytes().to_vec();
    k.extend_from_slice(&i.to_be_bytes());
    Bytes::from(k)
}

fn partitions() -> Vec<Partition> {
    let mut keys: Vec<Bytes> = (0..PARTITIONS).map(key).collect();
    keys.sort();
    keys.into_iter()
        .enumerate()
        .map(|(i, key)| Partition {
            key,
            rows: (0..2u32)
                .map(|c| Row {
                    clustering: Bytes::copy_from_slice(&c.to_be_bytes()),
                    liveness: Some(LivenessInfo { timestamp: TS, ttl: 0, local_expiration_time: NO_DELETION_TIME }),
                    cells: vec![ColumnCell {
                        column: Bytes::from_static(b"value"),
                        path: None,
                        cell: Cell::live(TS, Bytes::from(format!("some value {i} {c}"))),
                    }],
                    ..Row::default()
                })
                .collect(),
            ..Partition::default()
        })
        .collect()
}

fn write(dir: &std::path::Path, generation: u64, partitions: &[Partition]) -> Sstable {
    let mut writer = SstableWriter::create(dir, generation, WriterOptions::default()).expect("create");
    for p in partitions {
        writer.add(p).expect("add");
    }
    writer.finish().expect("finish")
}

fn bench(c: &mut Criterion) {
    let partitions = partitions();
    let dir = tempfile::tempdir().expect("tempdir");

    let mut group = c.benchmark_group("sstable");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PARTITIONS));
    let mut generation = 0;
    group.bench_function("write_100k_partitions", |b| {
        b.iter_batched(
            || {
                generation += 1;
                generation
            },
            |generation| write(dir.path(), generation, &partitions).delete().expect("delete"),
            BatchSize::SmallInput,
        )
    });

    let table = Arc::new(write(dir.path(), u64::MAX, &partitions));
    group.bench_function("scan_100k_partitions", |b| {
        b.iter(|| table.scan(Bound::Unbounded).map(|p| p.expect("scan").rows.len()).sum::<usize>())
    });
    group.finish();

    let mut group = c.benchmark_group("sstable");
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("get_present", |b| {
        b.iter(|| {
            i = (i + 7919) % PARTITIONS;
            table.get(&key(i)).expect("get").expect("present")
        })
    });
    group.bench_function("get_absent", |b| {
        b.iter(|| {
            i += 1;
            table.get(&key(PARTITIONS + i)).expect("get")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
